/// Writes JSON text byte for byte the way fastjson 1.2.x (the JSON library of the Java broker and
/// client) does, so headers and bodies we produce equal the Java bytes (docs/protocol-remoting.md §1.2,
/// §10.1, §10.3).
///
/// fastjson escaping: `"` and `\` get a backslash; `\b \t \n \f \r` use their short escapes; every
/// other control character below 0x20 and DEL (0x7F) becomes `\u00XX` with uppercase hex (the
/// property separators come out as `\u0001` / `\u0002`); `/` is not escaped. Non-ASCII characters are
/// written as raw UTF-8, unless ``Options/escapeNonASCII`` asks for `BrowserCompatible` (`\u00E9`).
///
/// A value type; use one per document, from one thread at a time.
public struct FastJSONWriter: Sendable {
    /// Output options.
    public struct Options: Sendable {
        /// fastjson `BrowserCompatible`: non-ASCII as `\uXXXX` (UTF-16 units, uppercase hex).
        public var escapeNonASCII: Bool
        /// fastjson's default for `Map<Long,...>` keys: integer keys without quotes (not valid JSON).
        public var bareIntegerKeys: Bool

        public init(escapeNonASCII: Bool = false, bareIntegerKeys: Bool = false) {
            self.escapeNonASCII = escapeNonASCII
            self.bareIntegerKeys = bareIntegerKeys
        }
    }

    /// The text written so far, UTF-8.
    public private(set) var bytes: [UInt8] = []
    public var options: Options

    public init(options: Options = Options()) {
        self.options = options
    }

    /// The text written so far as a string.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Appends characters as they are (punctuation, numbers).
    public mutating func raw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// Appends fixed punctuation and member names as they are, with no escaping to look for.
    public mutating func fragment(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends a decimal integer (Java `String.valueOf`), without making a `String` of it first.
    public mutating func integer(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[23 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            bytes.append(contentsOf: buffer[(24 - count)...])
        }
    }

    /// Appends a quoted, escaped string.
    public mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        if options.escapeNonASCII {
            for scalar in value.unicodeScalars { appendEscaped(scalar) }
        } else {
            // Raw UTF-8 out: only single bytes are ever escaped, so work on the bytes and copy
            // the runs between escapes whole.
            var text = value
            text.withUTF8 { appendEscapedUTF8($0) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscapedUTF8(_ text: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        for index in text.indices {
            let byte = text[index]
            guard byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F else { continue }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[runStart..<index]))
            appendEscaped(Unicode.Scalar(byte))
            runStart = index + 1
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[runStart...]))
    }

    private mutating func appendEscaped(_ scalar: Unicode.Scalar) {
        switch scalar.value {
        case 0x22: appendBackslashed(0x22)
        case 0x5C: appendBackslashed(0x5C)
        case 0x08: appendBackslashed(UInt8(ascii: "b"))
        case 0x09: appendBackslashed(UInt8(ascii: "t"))
        case 0x0A: appendBackslashed(UInt8(ascii: "n"))
        case 0x0C: appendBackslashed(UInt8(ascii: "f"))
        case 0x0D: appendBackslashed(UInt8(ascii: "r"))
        case 0x00..<0x20, 0x7F:
            unicodeEscape(UInt16(scalar.value))
        case 0x80...:  // only with escapeNonASCII: raw UTF-8 never comes here
            for unit in scalar.utf16 { unicodeEscape(unit) }
        default:
            bytes.append(UInt8(truncatingIfNeeded: scalar.value))
        }
    }

    private mutating func appendBackslashed(_ byte: UInt8) {
        bytes.append(0x5C)
        bytes.append(byte)
    }

    /// `\uXXXX`, uppercase hex.
    private mutating func unicodeEscape(_ unit: UInt16) {
        appendBackslashed(UInt8(ascii: "u"))
        for shift in stride(from: 12, through: 0, by: -4) {
            let digit = UInt8((unit >> UInt16(shift)) & 0xF)
            bytes.append(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "A") + digit - 10)
        }
    }

    /// Makes room for `count` more bytes (a caller that knows the size spares the regrowth).
    public mutating func reserveCapacity(_ count: Int) {
        bytes.reserveCapacity(bytes.count + count)
    }

    /// Appends an object key followed by `:`. With ``Options/bareIntegerKeys``, keys that are
    /// integers are written without quotes, like fastjson does for non-String map keys.
    public mutating func key(_ key: String) {
        if options.bareIntegerKeys, Int64(key) != nil {
            raw(key)
        } else {
            string(key)
        }
        bytes.append(UInt8(ascii: ":"))
    }

    /// Appends a parsed value in its stored member order.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: raw("null")
        case .bool(let b): raw(b ? "true" : "false")
        case .number(let n): raw(n)
        case .string(let s): string(s)
        case .array(let elements):
            raw("[")
            for (i, element) in elements.enumerated() {
                if i > 0 { raw(",") }
                self.value(element)
            }
            raw("]")
        case .object(let members):
            raw("{")
            for (i, member) in members.enumerated() {
                if i > 0 { raw(",") }
                key(member.key)
                self.value(member.value)
            }
            raw("}")
        }
    }

    /// The fastjson text of a value.
    public static func text(of value: JSONValue, options: Options = Options()) -> String {
        var writer = FastJSONWriter(options: options)
        writer.value(value)
        return writer.text
    }
}
