/// A message of the Dapr component protocol (or of gRPC reflection) as a Swift value.
/// Decoding and encoding go through the protoc-c stubs; nothing else sees them.
public protocol ProtoMessage: Sendable {
    /// Decodes the protobuf wire bytes; throws `ProtoDecodingError` for malformed input.
    init(decoding bytes: [UInt8]) throws
    /// The protobuf wire bytes.
    func encoded() -> [UInt8]
}

/// The bytes were not a valid encoding of the expected message.
public struct ProtoDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public let messageName: String

    public var description: String { "malformed \(messageName) message" }
}
