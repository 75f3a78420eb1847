/// A parsed JSON value, as produced by ``JSONValue/parse(_:maxDepth:)``.
///
/// RocketMQ bodies are written by fastjson, which is not always JSON: map keys can be bare integers
/// (`{0:"127.0.0.1:10911"}`, docs/protocol-remoting.md §3.2) or whole objects
/// (`{{"topic":"T",...}:42}`, docs/protocol-remoting.md §2.16). The parser therefore accepts any value
/// as an object key and keeps the key's source text: a quoted key becomes its string, a bare number its
/// digits, an object key its raw JSON text. Objects keep the key order of the input (the order matters
/// for reproducing Java bytes). Numbers keep their text, so 64-bit values never go through `Double`.
///
/// A value type; safe to use from any thread.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number exactly as written.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in input order; keys as described above.
    case object([(key: String, value: JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// The member named `key` (the first one if repeated), for objects.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first(where: { $0.key == key })?.value
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// A string, or a number/bool rendered as text (fastjson peers sometimes send numbers where
    /// strings are expected, e.g. `"queueId":0` in extFields, docs/protocol-remoting.md §1.2).
    public var scalarText: String? {
        switch self {
        case .string(let s): return s
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }

    /// An integer from a number or a numeric string.
    public var int64Value: Int64? {
        switch self {
        case .number(let n), .string(let n): return Int64(n)
        default: return nil
        }
    }

    public var int32Value: Int32? { int64Value.flatMap { Int32(exactly: $0) } }

    public var boolValue: Bool? {
        switch self {
        case .bool(let b): return b
        case .string(let s): return s == "true" ? true : (s == "false" ? false : nil)
        default: return nil
        }
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: [(key: String, value: JSONValue)]? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// Parses UTF-8 JSON text (with the fastjson key extensions above).
    ///
    /// - Parameter maxDepth: nesting bound, so hostile input cannot exhaust the stack.
    /// - Throws: ``JSONParseError`` with the byte offset of the problem.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 64) throws -> JSONValue {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        let value = try parser.parseValue(depth: 0)
        try parser.expectEnd()
        return value
    }

    /// Parses a Swift string as UTF-8 JSON text.
    public static func parse(_ text: String, maxDepth: Int = 64) throws -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }
}

/// Why JSON text could not be parsed.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset in the input.
    public var offset: Int
    public var reason: String
    public var description: String { "JSON parse error at byte \(offset): \(reason)" }
}

/// A small recursive-descent parser over UTF-8 bytes. Every read is bounds-checked.
struct JSONParser {
    let bytes: [UInt8]
    let maxDepth: Int
    var index = 0

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    func fail(_ reason: String) -> JSONParseError { JSONParseError(offset: index, reason: reason) }

    /// Only whitespace may follow the value just parsed.
    mutating func expectEnd() throws {
        skipWhitespace()
        guard index == bytes.count else { throw fail("trailing characters") }
    }

    /// The next byte after whitespace, if any (nothing is consumed but the whitespace).
    mutating func peekPastWhitespace() -> UInt8? {
        skipWhitespace()
        return index < bytes.count ? bytes[index] : nil
    }

    mutating func parseValue(depth: Int) throws -> JSONValue {
        guard depth <= maxDepth else { throw fail("nesting deeper than \(maxDepth)") }
        skipWhitespace()
        guard index < bytes.count else { throw fail("unexpected end") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumberText())
        default: throw fail("unexpected character")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws {
        let count = literal.utf8CodeUnitCount
        let matches = index + count <= bytes.count && literal.withUTF8Buffer { expected in
            bytes[index..<index + count].elementsEqual(expected)
        }
        guard matches else { throw fail("invalid literal") }
        index += count
    }

    mutating func parseNumberText() throws -> String {
        let start = index
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        var digits = 0
        while index < bytes.count {
            let b = bytes[index]
            if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) {
                digits += 1
            } else if b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
                || ((b == UInt8(ascii: "+") || b == UInt8(ascii: "-")) && index > start) {
                // fraction / exponent characters: kept in the text, validated loosely
            } else {
                break
            }
            index += 1
        }
        guard digits > 0 else { throw fail("invalid number") }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    mutating func parseObject(depth: Int) throws -> JSONValue {
        var members: [(key: String, value: JSONValue)] = []
        try parseMembers(depth: depth) { parser, key in
            // A remoting header has eight members: room for them at once instead of four regrowths.
            if members.isEmpty { members.reserveCapacity(8) }
            members.append((key: key, value: try parser.parseValue(depth: depth + 1)))
        }
        return .object(members)
    }

    /// Parses the object at `index` (its `{` not yet consumed), handing each key to `member`, which
    /// must consume the value (with `parseValue(depth: depth + 1)` or a reader of its own). Lets a
    /// caller that wants a few members take them without building the tree.
    mutating func parseMembers(depth: Int, _ member: (inout JSONParser, String) throws -> Void) throws {
        index += 1  // {
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            let key = try parseKey(depth: depth)
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            index += 1
            try member(&self, key)
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end in object") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return
            }
            throw fail("expected ',' or '}'")
        }
    }

    /// A key: a string, or (fastjson) a bare token or a nested object/array kept as raw text.
    mutating func parseKey(depth: Int) throws -> String {
        guard index < bytes.count else { throw fail("unexpected end, expected key") }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            return try parseString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let start = index
            _ = try parseValue(depth: depth + 1)
            return String(decoding: bytes[start..<index], as: UTF8.self)
        default:
            let start = index
            while index < bytes.count {
                let b = bytes[index]
                let isToken = (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b)
                    || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b)
                    || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b)
                    || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == UInt8(ascii: ".")
                if !isToken { break }
                index += 1
            }
            guard index > start else { throw fail("invalid object key") }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
    }

    mutating func parseArray(depth: Int) throws -> JSONValue {
        index += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end in array") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            throw fail("expected ',' or ']'")
        }
    }

    mutating func parseHex4() throws -> UInt16 {
        guard index + 4 <= bytes.count else { throw fail("short \\u escape") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw fail("bad hex digit in \\u escape")
            }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }

    mutating func parseString() throws -> String {
        index += 1  // opening quote
        // Most strings have no escape: find their end and take them in one piece, straight from
        // the buffer, where the scan runs without the array's bounds check at each byte.
        let start = index
        let plain: (end: Int, text: String?) = bytes.withUnsafeBufferPointer { buffer in
            var end = start
            while end < buffer.count, buffer[end] != UInt8(ascii: "\""), buffer[end] != UInt8(ascii: "\\") { end += 1 }
            guard end < buffer.count, buffer[end] == UInt8(ascii: "\"") else { return (end, nil) }
            return (end, String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self))
        }
        let end = plain.end
        if let text = plain.text {
            index = end + 1
            return text
        }
        var out = Array(bytes[index..<end])
        index = end
        while true {
            guard index < bytes.count else { throw fail("unterminated string") }
            let b = bytes[index]
            index += 1
            if b == UInt8(ascii: "\"") { break }
            if b != UInt8(ascii: "\\") {
                out.append(b)
                continue
            }
            guard index < bytes.count else { throw fail("unterminated escape") }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var unit = try parseHex4()
                var scalar: Unicode.Scalar?
                if (0xD800...0xDBFF).contains(unit), index + 6 <= bytes.count,
                   bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                    let save = index
                    index += 2
                    let low = try parseHex4()
                    if (0xDC00...0xDFFF).contains(low) {
                        let combined = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                        scalar = Unicode.Scalar(combined)
                    } else {
                        index = save
                    }
                } else {
                    scalar = Unicode.Scalar(unit)
                }
                if scalar == nil { unit = 0xFFFD; scalar = Unicode.Scalar(unit) }
                if let scalar { out.append(contentsOf: Array(String(Character(scalar)).utf8)) }
            default:
                throw fail("invalid escape")
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
