/// Why a typed custom header could not be read from `extFields`.
public enum RemotingHeaderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A required field is absent.
    case missingField(header: String, field: String)
    /// A field is present but not of its type (e.g. a non-numeric `queueId`).
    case invalidField(header: String, field: String, value: String)

    public var description: String {
        switch self {
        case .missingField(let header, let field): return "\(header): missing field \(field)"
        case .invalidField(let header, let field, let value): return "\(header): invalid \(field) \"\(value)\""
        }
    }
}

/// A typed custom header: converts to and from `extFields` (Java `CommandCustomHeader`).
///
/// The one definition of a request: the client builds every request it sends from one
/// (``RemotingCommand/request(code:header:body:opaque:oneway:serializeType:)``), and the test broker
/// decodes the same type (``init(command:)``), so the two cannot disagree on a key or a spelling.
///
/// Values become strings like Java `String.valueOf` (booleans `true`/`false`, decimal integers);
/// optional fields are left out when nil. Conforming types are plain values; safe from any thread.
public protocol CommandCustomHeader: Sendable {
    /// Reads the header; throws ``RemotingHeaderError`` naming the missing or invalid field.
    init(extFields: [String: String]) throws
    /// The fields as strings.
    var extFields: [String: String] { get }
    /// The order Java puts the fields into its `HashMap`: the declaration order, unless a capture
    /// shows otherwise. It only matters for keys that share a bucket, which keep it.
    static var fieldOrder: [String] { get }
    /// The Java `HashMap` iteration order of ``fieldOrder``: the order Java writes the keys of a
    /// JSON header in. Each header computes it once (`static let`), so a request pays nothing for it.
    static var javaExtFieldsOrder: [String] { get }

    /// Reads the header from a command. A header spelled two ways (SEND_MESSAGE's V1 names and
    /// V2 letters) picks the spelling by the command's code; the default reads ``extFields``.
    init(command: RemotingCommand) throws
    /// The fields as a request with `code` spells them; the default is ``extFields``.
    func extFields(for code: RequestCode) -> [String: String]
    /// The order the fields of a request with `code` go on the wire; the default is
    /// ``javaExtFieldsOrder``. It may name fields that are not set (the encoder skips them), which
    /// is exact for a header of at most 12 fields: Java's `HashMap` keeps 16 buckets up to 12 keys,
    /// so the fields that are set keep their relative order.
    func extFieldsOrder(for code: RequestCode) -> [String]
}

extension CommandCustomHeader {
    public init(command: RemotingCommand) throws {
        try self.init(extFields: command.extFields)
    }

    public func extFields(for code: RequestCode) -> [String: String] { extFields }

    public func extFieldsOrder(for code: RequestCode) -> [String] { Self.javaExtFieldsOrder }
}

/// Typed reads from an `extFields` map, with errors naming the header and field.
struct HeaderReader {
    let header: String
    let fields: [String: String]

    init(_ header: String, _ fields: [String: String]) {
        self.header = header
        self.fields = fields
    }

    func string(_ key: String) throws -> String {
        guard let value = fields[key] else { throw RemotingHeaderError.missingField(header: header, field: key) }
        return value
    }

    func optionalString(_ key: String) -> String? { fields[key] }

    func int32(_ key: String) throws -> Int32 {
        let text = try string(key)
        guard let value = Int32(text) else { throw RemotingHeaderError.invalidField(header: header, field: key, value: text) }
        return value
    }

    func int64(_ key: String) throws -> Int64 {
        let text = try string(key)
        guard let value = Int64(text) else { throw RemotingHeaderError.invalidField(header: header, field: key, value: text) }
        return value
    }

    func optionalInt32(_ key: String) throws -> Int32? {
        guard let text = fields[key], !text.isEmpty else { return nil }
        guard let value = Int32(text) else { throw RemotingHeaderError.invalidField(header: header, field: key, value: text) }
        return value
    }

    func optionalInt64(_ key: String) throws -> Int64? {
        guard let text = fields[key], !text.isEmpty else { return nil }
        guard let value = Int64(text) else { throw RemotingHeaderError.invalidField(header: header, field: key, value: text) }
        return value
    }

    func optionalBool(_ key: String) throws -> Bool? {
        guard let text = fields[key], !text.isEmpty else { return nil }
        // Java Boolean.parseBoolean: "true" (any case) is true, everything else false.
        return text.lowercased() == "true"
    }
}

extension Dictionary where Key == String, Value == String {
    /// Sets `key` only when `value` is non-nil (Java leaves null fields out).
    mutating func put<T: CustomStringConvertible>(_ key: String, _ value: T?) {
        if let value { self[key] = value.description }
    }
}
