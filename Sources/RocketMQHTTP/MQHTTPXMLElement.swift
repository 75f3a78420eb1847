// The small part of XML 1.0 the HTTP access bodies use (docs/protocol-mq-http.md §4): elements, character
// data, the five predefined entities, character references, CDATA, comments and processing
// instructions. No DTD is read (a `<!DOCTYPE` is refused), so no entity can expand.

/// A malformed body, or one without what its type needs.
public struct MQHTTPXMLError: Error, Equatable, CustomStringConvertible {
    public var reason: String

    init(_ reason: String) { self.reason = reason }

    public var description: String { reason }
}

/// One element of a body: its local name (any namespace prefix dropped), its child elements in
/// order and its own character data, entities resolved, kept exactly as written (white space too).
public struct MQHTTPXMLElement: Sendable, Equatable {
    public var name: String
    public var children: [MQHTTPXMLElement]
    public var text: String

    public init(name: String, children: [MQHTTPXMLElement] = [], text: String = "") {
        self.name = name
        self.children = children
        self.text = text
    }

    /// The text of the first child called `name`, nil without one.
    public func text(of name: String) -> String? {
        children.first { $0.name == name }?.text
    }

    /// The text of the first child called `name`; an error without one.
    public func requiredText(of name: String) throws -> String {
        guard let text = text(of: name) else { throw MQHTTPXMLError("<\(self.name)> has no <\(name)>") }
        return text
    }

    /// The first child called `name` as a decimal integer; nil without one, an error if it is not one.
    public func integer<Value: FixedWidthInteger>(of name: String, as type: Value.Type = Value.self) throws -> Value? {
        guard let text = text(of: name) else { return nil }
        guard let value = Value(text) else { throw MQHTTPXMLError("<\(name)> is not an integer: '\(text.prefix(40))'") }
        return value
    }

    /// The first child called `name` as a decimal integer; an error without one or if it is not one.
    public func requiredInteger<Value: FixedWidthInteger>(of name: String, as type: Value.Type = Value.self) throws -> Value {
        guard let value = try integer(of: name, as: type) else { throw MQHTTPXMLError("<\(self.name)> has no <\(name)>") }
        return value
    }

    public func elements(named name: String) -> [MQHTTPXMLElement] {
        children.filter { $0.name == name }
    }

    /// Parses a whole body: one root element, with only white space, comments and processing
    /// instructions around it. At most `maxDepth` nested elements.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 32) throws -> MQHTTPXMLElement {
        var parser = Parser(bytes: bytes, maxDepth: maxDepth)
        return try parser.document()
    }
}

/// Writes elements with the escaping the Go SDK's bodies use, so the text survives any reader.
public struct MQHTTPXMLWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func open(_ name: String, namespace: String? = nil) {
        append("<" + name)
        if let namespace {
            append(" xmlns=\"")
            appendEscaped(namespace)
            append("\"")
        }
        append(">")
    }

    public mutating func close(_ name: String) {
        append("</" + name + ">")
    }

    /// `<name>text</name>`; nothing for nil.
    public mutating func element(_ name: String, _ text: String?) {
        guard let text else { return }
        open(name)
        appendEscaped(text)
        close(name)
    }

    private mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// `& < > ' "` as entities; a carriage return as a character reference, because a reader
    /// turns a literal one into a line feed.
    private mutating func appendEscaped(_ text: String) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): append("&amp;")
            case UInt8(ascii: "<"): append("&lt;")
            case UInt8(ascii: ">"): append("&gt;")
            case UInt8(ascii: "'"): append("&apos;")
            case UInt8(ascii: "\""): append("&quot;")
            case UInt8(ascii: "\r"): append("&#xD;")
            default: bytes.append(byte)
            }
        }
    }
}

/// A recursive-descent reader over the UTF-8 bytes. Every loop advances or throws.
private struct Parser {
    let bytes: [UInt8]
    let maxDepth: Int
    var index = 0

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }  // a UTF-8 byte order mark
    }

    mutating func document() throws -> MQHTTPXMLElement {
        try skipMisc()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "<") else { throw error("no root element") }
        let root = try element(depth: 1)
        try skipMisc()
        guard index == bytes.count else { throw error("content after the root element") }
        return root
    }

    /// White space, comments and processing instructions (the XML declaration among them).
    private mutating func skipMisc() throws {
        while index < bytes.count {
            if isSpace(bytes[index]) {
                index += 1
            } else if starts(with: "<?") {
                try skip(past: "?>")
            } else if starts(with: "<!--") {
                try skip(past: "-->")
            } else if starts(with: "<!") {
                throw error("a document type declaration is not accepted")
            } else {
                return
            }
        }
    }

    /// At `<`: the element, its content and its end tag.
    private mutating func element(depth: Int) throws -> MQHTTPXMLElement {
        guard depth <= maxDepth else { throw error("elements nested deeper than \(maxDepth)") }
        index += 1
        let qualifiedName = try name()
        try skipAttributes()
        var element = MQHTTPXMLElement(name: Self.localName(qualifiedName))
        if starts(with: "/>") {
            index += 2
            return element
        }
        index += 1  // ">"
        var text: [UInt8] = []
        while true {
            guard index < bytes.count else { throw error("<\(qualifiedName)> is not closed") }
            let byte = bytes[index]
            if byte != UInt8(ascii: "<") {
                try characterData(into: &text)
            } else if starts(with: "</") {
                index += 2
                let closing = try name()
                while index < bytes.count, isSpace(bytes[index]) { index += 1 }
                guard closing == qualifiedName, index < bytes.count, bytes[index] == UInt8(ascii: ">") else {
                    throw error("</\(closing)> does not close <\(qualifiedName)>")
                }
                index += 1
                break
            } else if starts(with: "<![CDATA[") {
                index += 9
                let start = index
                try skip(past: "]]>")
                text.append(contentsOf: bytes[start..<(index - 3)])
            } else if starts(with: "<!--") {
                try skip(past: "-->")
            } else if starts(with: "<?") {
                try skip(past: "?>")
            } else {
                element.children.append(try self.element(depth: depth + 1))
            }
        }
        guard let decoded = String(validating: text, as: UTF8.self) else { throw error("<\(qualifiedName)> is not UTF-8") }
        element.text = decoded
        return element
    }

    /// Character data up to the next `<`: entities resolved, line ends normalised to a line feed.
    private mutating func characterData(into text: inout [UInt8]) throws {
        while index < bytes.count, bytes[index] != UInt8(ascii: "<") {
            let byte = bytes[index]
            if byte == UInt8(ascii: "&") {
                try reference(into: &text)
            } else if byte == UInt8(ascii: "\r") {
                text.append(UInt8(ascii: "\n"))
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "\n") { index += 1 }
            } else {
                text.append(byte)
                index += 1
            }
        }
    }

    /// At `&`: one of the five predefined entities or a character reference.
    private mutating func reference(into text: inout [UInt8]) throws {
        guard let semicolon = bytes[index...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
            throw error("an '&' that starts no reference")
        }
        let body = String(decoding: bytes[(index + 1)..<semicolon], as: UTF8.self)
        index = semicolon + 1
        switch body {
        case "lt": text.append(UInt8(ascii: "<"))
        case "gt": text.append(UInt8(ascii: ">"))
        case "amp": text.append(UInt8(ascii: "&"))
        case "apos": text.append(UInt8(ascii: "'"))
        case "quot": text.append(UInt8(ascii: "\""))
        default:
            let value: UInt32?
            if body.hasPrefix("#x") {
                value = UInt32(body.dropFirst(2), radix: 16)
            } else if body.hasPrefix("#") {
                value = UInt32(body.dropFirst(), radix: 10)
            } else {
                throw error("unknown entity &\(body);")
            }
            guard let value, let scalar = Unicode.Scalar(value), MQHTTPXMLElement.isXMLCharacter(scalar) else {
                throw error("&\(body); is not a character")
            }
            text.append(contentsOf: String(Character(scalar)).utf8)
        }
    }

    /// A tag name: everything up to white space, `/` or `>`.
    private mutating func name() throws -> String {
        let start = index
        while index < bytes.count, !isSpace(bytes[index]), bytes[index] != UInt8(ascii: "/"),
              bytes[index] != UInt8(ascii: ">"), bytes[index] != UInt8(ascii: "<") {
            index += 1
        }
        guard index > start, let name = String(validating: bytes[start..<index], as: UTF8.self) else {
            throw error("a tag without a name")
        }
        return name
    }

    /// Attributes are skipped (the namespace declarations are all the bodies carry); quoted
    /// values may hold `>` or `/`.
    private mutating func skipAttributes() throws {
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: ">") || starts(with: "/>") { return }
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                guard let end = bytes[(index + 1)...].firstIndex(of: byte) else { throw error("an attribute value is not closed") }
                index = end + 1
            } else if byte == UInt8(ascii: "<") {
                throw error("'<' inside a tag")
            } else {
                index += 1
            }
        }
        throw error("a tag is not closed")
    }

    private mutating func skip(past terminator: String) throws {
        let pattern = Array(terminator.utf8)
        while index < bytes.count {
            if bytes[index...].starts(with: pattern) {
                index += pattern.count
                return
            }
            index += 1
        }
        throw error("no '\(terminator)' before the end")
    }

    private func starts(with text: String) -> Bool {
        bytes[index...].starts(with: text.utf8)
    }

    private func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private func error(_ reason: String) -> MQHTTPXMLError {
        MQHTTPXMLError("malformed XML at byte \(index): \(reason)")
    }

    private static func localName(_ qualified: String) -> String {
        guard let colon = qualified.lastIndex(of: ":") else { return qualified }
        return String(qualified[qualified.index(after: colon)...])
    }
}

extension MQHTTPXMLElement {
    /// XML 1.0's Char production: what character data may hold.
    static func isXMLCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: return true
        default: return false
        }
    }
}
