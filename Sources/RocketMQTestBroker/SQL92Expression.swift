/// A value during evaluation, with the Java class it would have (the conversions depend on it).
enum SQL92Value: Sendable, Equatable {
    case string(String)
    case boolean(Bool)
    /// A `java.lang.Integer` (a literal within 32 bits).
    case int(Int32)
    /// A `java.lang.Long`.
    case long(Int64)
    case double(Double)

    /// `ConstantExpression.toString`, for error messages.
    var description: String {
        switch self {
        case .string(let text): return "'" + text.flatMap { $0 == "'" ? ["'", "'"] : [$0] } + "'"
        case .boolean(let value): return value ? "TRUE" : "FALSE"
        case .int(let value): return String(value)
        case .long(let value): return String(value)
        case .double(let value): return String(value)
        }
    }

    /// The raw value as Java's `%s` prints it.
    var plainDescription: String {
        if case .string(let text) = self { return text }
        return description
    }

    var isNumber: Bool {
        switch self {
        case .int, .long, .double: return true
        case .string, .boolean: return false
        }
    }
}

/// A failure while evaluating one message: the broker logs it and does not deliver the message.
struct SQL92EvaluationError: Error {}

/// The compiled expression. Each case mirrors one of the broker's expression classes.
indirect enum SQL92Node: Sendable {
    enum Comparison: String, Sendable {
        case greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<="
    }

    case property(String)
    /// A literal; nil is `NULL`.
    case constant(SQL92Value?)
    case negate(SQL92Node)
    case not(SQL92Node)
    /// A bare property used as a condition: true only if its value is a boolean, which a message
    /// property (a string) never is.
    case booleanCast(SQL92Node)
    case and(SQL92Node, SQL92Node)
    case or(SQL92Node, SQL92Node)
    case equal(SQL92Node, SQL92Node)
    case compare(SQL92Node, Comparison, SQL92Node)
    case inList(property: String, values: Set<String>, order: [String], negated: Bool)

    /// Whether the broker's parser sees a `BooleanExpression` (usable with AND, OR, NOT).
    var isBoolean: Bool {
        switch self {
        case .constant(let value):
            if case .boolean? = value { return true }
            return value == nil
        case .not, .booleanCast, .and, .or, .equal, .compare, .inList: return true
        case .property, .negate: return false
        }
    }

    var isConstant: Bool {
        if case .constant = self { return true }
        return false
    }

    /// The broker's `toString` of the expression, for error messages.
    var description: String {
        switch self {
        case .property(let name): return name
        case .constant(let value): return value?.description ?? "NULL"
        case .negate(let operand): return "(- \(operand.description))"
        case .not(let operand): return "(NOT \(operand.description))"
        case .booleanCast(let operand): return operand.description
        case .and(let left, let right): return "(\(left.description) && \(right.description))"
        case .or(let left, let right): return "(\(left.description) || \(right.description))"
        case .equal(let left, let right): return "(\(left.description) == \(right.description))"
        case .compare(let left, let op, let right): return "(\(left.description) \(op.rawValue) \(right.description))"
        case .inList(let property, _, let order, let negated):
            return "\(property) \(negated ? "NOT IN" : "IN") ( \(order.joined(separator: ", ")) )"
        }
    }

    /// The value of the expression for one message; nil is SQL's unknown (null).
    func evaluate(_ properties: [String: String]) throws(SQL92EvaluationError) -> SQL92Value? {
        switch self {
        case .property(let name):
            return properties[name].map(SQL92Value.string)
        case .constant(let value):
            return value
        case .negate(let operand):
            switch try operand.evaluate(properties) {
            case .int(let value)?: return .int(0 &- value)
            case .long(let value)?: return .long(0 &- value)
            case .double(let value)?: return .double(-value)
            case .string?, .boolean?, nil: return nil
            }
        case .not(let operand):
            guard let value = try operand.evaluate(properties) else { return nil }
            guard case .boolean(let flag) = value else { throw SQL92EvaluationError() }
            return .boolean(!flag)
        case .booleanCast(let operand):
            guard let value = try operand.evaluate(properties) else { return nil }
            if case .boolean = value { return value }
            return .boolean(false)
        case .and(let left, let right):
            let lhs = try Self.truth(left.evaluate(properties))
            if lhs == false { return .boolean(false) }
            let rhs = try Self.truth(right.evaluate(properties))
            if rhs == false { return .boolean(false) }
            guard lhs != nil, rhs != nil else { return nil }
            return .boolean(true)
        case .or(let left, let right):
            let lhs = try Self.truth(left.evaluate(properties))
            if lhs == true { return .boolean(true) }
            let rhs = try Self.truth(right.evaluate(properties))
            if rhs == true { return .boolean(true) }
            guard lhs != nil, rhs != nil else { return nil }
            return .boolean(false)
        case .equal(let left, let right):
            let lhs = try left.evaluate(properties)
            let rhs = try right.evaluate(properties)
            switch (lhs, rhs) {
            case (nil, nil): return .boolean(true)
            case (nil, _?): return nil  // the broker's asymmetry: unknown when the left is missing
            case (_?, nil): return .boolean(false)
            case (let lhs?, let rhs?):
                if lhs == rhs { return .boolean(true) }
                return .boolean(try Self.order(lhs, rhs) == 0)
            }
        case .compare(let left, let op, let right):
            guard let lhs = try left.evaluate(properties), let rhs = try right.evaluate(properties) else { return nil }
            let ordering: Int
            if case .string(let l) = lhs, case .string(let r) = rhs {
                // Two strings are compared as numbers or not at all.
                guard let lv = JavaNumber.double(l), let rv = JavaNumber.double(r) else { throw SQL92EvaluationError() }
                ordering = Self.order(lv, rv)
            } else {
                ordering = try Self.order(lhs, rhs)
            }
            switch op {
            case .greater: return .boolean(ordering > 0)
            case .greaterOrEqual: return .boolean(ordering >= 0)
            case .less: return .boolean(ordering < 0)
            case .lessOrEqual: return .boolean(ordering <= 0)
            }
        case .inList(let property, let values, _, let negated):
            guard let value = properties[property] else { return nil }
            return .boolean(values.contains(value) != negated)
        }
    }

    private static func truth(_ value: SQL92Value?) throws(SQL92EvaluationError) -> Bool? {
        switch value {
        case nil: return nil
        case .boolean(let flag)?: return flag
        case .string?, .int?, .long?, .double?: throw SQL92EvaluationError()
        }
    }

    /// `ComparisonExpression.__compare` with string conversion on: values of different types are
    /// converted to the left's (a string to the number's); a failed conversion fails evaluation.
    private static func order(_ lhs: SQL92Value, _ rhs: SQL92Value) throws(SQL92EvaluationError) -> Int {
        switch (lhs, rhs) {
        case (.string(let l), .string(let r)): return order(Array(l.utf16), Array(r.utf16))
        case (.boolean(let l), .boolean(let r)): return l == r ? 0 : (l ? 1 : -1)
        case (.boolean, .string):
            throw SQL92EvaluationError()  // the broker casts the boolean to a string and fails
        case (.boolean, _): return -1
        case (.string(let l), .boolean(let r)): return try order(.boolean(l.lowercased() == "true"), .boolean(r))
        case (.string(let l), .int(let r)):
            guard let lv = JavaNumber.int(l) else { throw SQL92EvaluationError() }
            return order(Int64(lv), Int64(r))
        case (.string(let l), .long(let r)):
            guard let lv = JavaNumber.long(l) else { throw SQL92EvaluationError() }
            return order(lv, r)
        case (.string(let l), .double(let r)):
            guard let lv = JavaNumber.double(l) else { throw SQL92EvaluationError() }
            return order(lv, r)
        case (.int(let l), .string(let r)):
            guard let rv = JavaNumber.int(r) else { throw SQL92EvaluationError() }
            return order(Int64(l), Int64(rv))
        case (.long(let l), .string(let r)):
            guard let rv = JavaNumber.long(r) else { throw SQL92EvaluationError() }
            return order(l, rv)
        case (.double(let l), .string(let r)):
            guard let rv = JavaNumber.double(r) else { throw SQL92EvaluationError() }
            return order(l, rv)
        case (.int, .boolean), (.long, .boolean), (.double, .boolean): return -1
        case (.int(let l), .int(let r)): return order(Int64(l), Int64(r))
        case (.int(let l), .long(let r)): return order(Int64(l), r)
        case (.long(let l), .int(let r)): return order(l, Int64(r))
        case (.long(let l), .long(let r)): return order(l, r)
        case (.int(let l), .double(let r)): return order(Double(l), r)
        case (.long(let l), .double(let r)): return order(Double(l), r)
        case (.double(let l), .int(let r)): return order(l, Double(r))
        case (.double(let l), .long(let r)): return order(l, Double(r))
        case (.double(let l), .double(let r)): return order(l, r)
        }
    }

    private static func order<T: Comparable>(_ l: T, _ r: T) -> Int { l < r ? -1 : (l == r ? 0 : 1) }

    private static func order(_ l: [UInt16], _ r: [UInt16]) -> Int {
        // Java String.compareTo: by UTF-16 code unit.
        for (a, b) in zip(l, r) where a != b { return a < b ? -1 : 1 }
        return order(l.count, r.count)
    }
}

/// Java's `Integer.valueOf`, `Long.valueOf` and `Double.valueOf` on a property value, which the
/// broker uses to compare a property with a number.
enum JavaNumber {
    /// An optional sign and ASCII digits, within 64 bits (Swift's parser accepts the same).
    static func long(_ text: String) -> Int64? { Int64(text) }

    static func int(_ text: String) -> Int32? { long(text).flatMap { Int32(exactly: $0) } }

    static func double(_ text: String) -> Double? {
        // Double.valueOf trims control characters and spaces and allows a d/f suffix.
        var trimmed = Substring(text)
        while let first = trimmed.unicodeScalars.first, first.value <= 0x20 { trimmed = trimmed.dropFirst() }
        while let last = trimmed.unicodeScalars.last, last.value <= 0x20 { trimmed = trimmed.dropLast() }
        switch trimmed {
        case "NaN": return .nan
        case "Infinity", "+Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: break
        }
        if let last = trimmed.last, "dDfF".contains(last) { trimmed = trimmed.dropLast() }
        // Swift also reads "nan", "inf" and hexadecimal forms, which Java spells differently.
        guard !trimmed.isEmpty, trimmed.allSatisfy({ "0123456789+-.eE".contains($0) }) else { return nil }
        return Double(trimmed)
    }
}
