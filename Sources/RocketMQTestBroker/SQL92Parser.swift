/// Recursive descent over the grammar in ``SQL92Filter``, with the checks the broker makes while
/// building its expression tree (operands that cannot be compared, BETWEEN bounds, IN on a property).
struct SQL92Parser {
    private let tokens: [SQL92Token]
    private var position = 0
    private var depth = 0

    init(tokens: [SQL92Token]) {
        self.tokens = tokens
    }

    private var current: SQL92Token { tokens[min(position, tokens.count - 1)] }
    private func peek(_ offset: Int) -> SQL92Token { tokens[min(position + offset, tokens.count - 1)] }

    private func isKeyword(_ token: SQL92Token, _ word: String) -> Bool { token.kind == .keyword(word) }
    private func isSymbol(_ token: SQL92Token, _ symbol: String) -> Bool { token.kind == .symbol(symbol) }

    private func unexpected() -> SQL92FilterError {
        let token = current
        return .parse("Encountered \"\(token.image)\" at line \(token.line), column \(token.column).")
    }

    private mutating func expectSymbol(_ symbol: String) throws(SQL92FilterError) {
        guard isSymbol(current, symbol) else { throw unexpected() }
        position += 1
    }

    private mutating func expectKeyword(_ word: String) throws(SQL92FilterError) {
        guard isKeyword(current, word) else { throw unexpected() }
        position += 1
    }

    /// `JmsSelector`: the whole expression must be a condition. What follows it is not read.
    mutating func parseSelector() throws(SQL92FilterError) -> SQL92Node {
        try Self.asBoolean(try parseOr())
    }

    private static func asBoolean(_ node: SQL92Node) throws(SQL92FilterError) -> SQL92Node {
        if node.isBoolean { return node }
        if case .property = node { return .booleanCast(node) }
        throw .parse("Expression will not result in a boolean value: \(node.description)")
    }

    private mutating func parseOr() throws(SQL92FilterError) -> SQL92Node {
        var left = try parseAnd()
        while isKeyword(current, "OR") {
            position += 1
            let right = try parseAnd()
            left = .or(try Self.asBoolean(left), try Self.asBoolean(right))
        }
        return left
    }

    private mutating func parseAnd() throws(SQL92FilterError) -> SQL92Node {
        var left = try parseEquality()
        while isKeyword(current, "AND") {
            position += 1
            let right = try parseEquality()
            left = .and(try Self.asBoolean(left), try Self.asBoolean(right))
        }
        return left
    }

    private mutating func parseEquality() throws(SQL92FilterError) -> SQL92Node {
        var left = try parseComparison()
        while true {
            if isSymbol(current, "=") {
                position += 1
                left = try Self.equal(left, try parseComparison())
            } else if isSymbol(current, "<>") {
                position += 1
                left = .not(try Self.equal(left, try parseComparison()))
            } else if isKeyword(current, "IS") {
                position += 1
                if isKeyword(current, "NOT") {
                    position += 1
                    try expectKeyword("NULL")
                    left = .not(.equal(left, .constant(nil)))
                } else {
                    try expectKeyword("NULL")
                    left = .equal(left, .constant(nil))
                }
            } else {
                return left
            }
        }
    }

    private mutating func parseComparison() throws(SQL92FilterError) -> SQL92Node {
        var left = try parseUnary()
        while true {
            let token = current
            if case .symbol(let symbol) = token.kind, let op = SQL92Node.Comparison(rawValue: symbol) {
                position += 1
                left = try Self.compare(left, op, try parseUnary())
            } else if isKeyword(token, "BETWEEN") || (isKeyword(token, "NOT") && isKeyword(peek(1), "BETWEEN")) {
                let negated = isKeyword(token, "NOT")
                position += negated ? 2 : 1
                let low = try parseUnary()
                try expectKeyword("AND")
                let high = try parseUnary()
                left = try negated ? Self.notBetween(left, low, high) : Self.between(left, low, high)
            } else if isKeyword(token, "IN") || (isKeyword(token, "NOT") && isKeyword(peek(1), "IN")) {
                let negated = isKeyword(token, "NOT")
                position += negated ? 2 : 1
                try expectSymbol("(")
                var values: [String] = []
                repeat {
                    if !values.isEmpty { position += 1 }  // the comma
                    guard case .string(let value) = current.kind else { throw unexpected() }
                    values.append(value)
                    position += 1
                } while isSymbol(current, ",")
                try expectSymbol(")")
                guard case .property(let name) = left else {
                    throw .runtime("Expected a property for In expression, got: \(left.description)")
                }
                left = .inList(property: name, values: Set(values), order: values, negated: negated)
            } else {
                return left
            }
        }
    }

    private mutating func parseUnary() throws(SQL92FilterError) -> SQL92Node {
        // Every level of nesting passes here (parentheses too), so this bounds the recursion.
        depth += 1
        defer { depth -= 1 }
        guard depth <= SQL92Filter.maxDepth else {
            throw .runtime("expression nested deeper than \(SQL92Filter.maxDepth) levels")
        }
        if isSymbol(current, "+") {
            position += 1
            return try parseUnary()
        }
        if isSymbol(current, "-") {
            position += 1
            return .negate(try parseUnary())
        }
        if isKeyword(current, "NOT") {
            position += 1
            return .not(try Self.asBoolean(try parseUnary()))
        }
        return try parsePrimary()
    }

    private mutating func parsePrimary() throws(SQL92FilterError) -> SQL92Node {
        let token = current
        switch token.kind {
        case .string(let value):
            position += 1
            return .constant(.string(value))
        case .decimal(let digits):
            position += 1
            // ConstantExpression.createFromDecimal: a Long, an Integer when it fits in 32 bits.
            guard let value = Int64(digits) else {
                throw SQL92FilterError(remark: "java.lang.NumberFormatException: For input string: \"\(digits)\"")
            }
            return .constant(Int32(exactly: value).map(SQL92Value.int) ?? .long(value))
        case .floating(let text):
            position += 1
            guard let value = Double(text) else { throw .runtime("\(text) is not a number") }
            // ConstantExpression.createFloat refuses infinity and anything below Double.MIN_VALUE
            // (the smallest positive double), so 0.0 itself is refused.
            if value > Double.greatestFiniteMagnitude { throw .runtime("\(text) is greater than 1.7976931348623157E308") }
            if value < Double.leastNonzeroMagnitude { throw .runtime("\(text) is less than 4.9E-324") }
            return .constant(.double(value))
        case .keyword("TRUE"):
            position += 1
            return .constant(.boolean(true))
        case .keyword("FALSE"):
            position += 1
            return .constant(.boolean(false))
        case .keyword("NULL"):
            position += 1
            return .constant(nil)
        case .identifier(let name):
            position += 1
            return .property(name)
        case .symbol("("):
            position += 1
            let inner = try parseOr()
            try expectSymbol(")")
            return inner
        case .keyword, .symbol, .end:
            throw unexpected()
        }
    }

    // The broker's ComparisonExpression factory checks.

    private static func equal(_ left: SQL92Node, _ right: SQL92Node) throws(SQL92FilterError) -> SQL92Node {
        for operand in [left, right] {
            if case .constant(nil) = operand { throw .runtime("'NULL' cannot be compared.") }
        }
        if left.isConstant, right.isConstant, left.isBoolean, !right.isBoolean {
            throw .runtime("'\(left.description)' cannot be compared with '\(right.description)'")
        }
        return .equal(left, right)
    }

    /// Only numbers, properties and arithmetic can be ordered.
    private static func checkOrderable(_ operand: SQL92Node) throws(SQL92FilterError) {
        if case .constant(let value) = operand {
            if value?.isNumber == true { return }
            throw .runtime("Value '\(operand.description)' cannot be compared.")
        }
        if operand.isBoolean { throw .runtime("Value '\(operand.description)' cannot be compared.") }
    }

    private static func compare(_ left: SQL92Node, _ op: SQL92Node.Comparison, _ right: SQL92Node) throws(SQL92FilterError) -> SQL92Node {
        try checkOrderable(left)
        try checkOrderable(right)
        return .compare(left, op, right)
    }

    private static func between(_ value: SQL92Node, _ low: SQL92Node, _ high: SQL92Node) throws(SQL92FilterError) -> SQL92Node {
        if case .constant(let lowValue) = low, case .constant(let highValue) = high {
            guard let lowValue, let highValue else { throw .runtime("Illegal values of between, values can not be null!") }
            if let ordering = numericOrder(highValue, lowValue), ordering < 0 {
                throw .runtime("Illegal values of between, left value(\(lowValue.plainDescription)) "
                    + "must less than or equal to right value(\(highValue.plainDescription))")
            }
        }
        return .and(try compare(value, .greaterOrEqual, low), try compare(value, .lessOrEqual, high))
    }

    private static func notBetween(_ value: SQL92Node, _ low: SQL92Node, _ high: SQL92Node) throws(SQL92FilterError) -> SQL92Node {
        .or(try compare(value, .less, low), try compare(value, .greater, high))
    }

    private static func numericOrder(_ l: SQL92Value, _ r: SQL92Value) -> Int? {
        func number(_ v: SQL92Value) -> Double? {
            switch v {
            case .int(let x): return Double(x)
            case .long(let x): return Double(x)
            case .double(let x): return x
            case .string, .boolean: return nil
            }
        }
        guard let a = number(l), let b = number(r) else { return nil }
        return a < b ? -1 : (a == b ? 0 : 1)
    }
}
