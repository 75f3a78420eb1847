import Foundation
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
/// Values become strings like Java `String.valueOf` (booleans `true`/`false`, decimal integers);
/// optional fields are left out when nil. Conforming types are plain values; safe from any thread.
public protocol CommandCustomHeader: Sendable {
    /// Reads the header; throws ``RemotingHeaderError`` naming the missing or invalid field.
    init(extFields: [String: String]) throws
    /// The fields as strings.
    var extFields: [String: String] { get }
    /// Java field declaration order (drives the `HashMap` order Java writes).
    static var fieldOrder: [String] { get }
}

extension CommandCustomHeader {
    /// The Java `HashMap` order of this header's fields (computed once per header type: every
    /// request of that type is written in it).
    public static var javaExtFieldsOrder: [String] { JavaExtFieldsOrders.order(of: Self.self) }

    /// Reads the header from a command.
    public init(command: RemotingCommand) throws {
        try self.init(extFields: command.extFields)
    }
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

/// The memo behind ``CommandCustomHeader/javaExtFieldsOrder``.
private enum JavaExtFieldsOrders {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var orders: [ObjectIdentifier: [String]] = [:]

    static func order<H: CommandCustomHeader>(of header: H.Type) -> [String] {
        let key = ObjectIdentifier(header)
        if let known = lock.withLock({ orders[key] }) { return known }
        let order = JavaHash.hashMapIterationOrder(header.fieldOrder)
        lock.withLock { orders[key] = order }
        return order
    }
}
