import CGRPCCore

/// gRPC metadata (headers or trailers) as Swift values: ordered key/value pairs, keys lowercase.
public struct Metadata: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var pairs: [(key: String, value: String)]

    public init(_ pairs: [(key: String, value: String)] = []) {
        self.pairs = pairs.map { (key: Self.lowercased($0.key), value: $0.value) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements.map { (key: $0.0, value: $0.1) })
    }

    public mutating func add(_ key: String, _ value: String) {
        pairs.append((key: Self.lowercased(key), value: value))
    }

    /// The first value for `key` (case-insensitive), as gRPC servers usually read a header.
    public subscript(key: String) -> String? {
        let wanted = Self.lowercased(key)
        return pairs.first(where: { $0.key == wanted })?.value
    }

    public func makeIterator() -> IndexingIterator<[(key: String, value: String)]> {
        pairs.makeIterator()
    }

    public static func == (lhs: Metadata, rhs: Metadata) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs) { $0.key == $1.key && $0.value == $1.value }
    }

    /// `key` lowercased; the same string when it already is, as HTTP/2 header names and the
    /// names this project uses are, which spares an allocation per header on every call.
    private static func lowercased(_ key: String) -> String {
        key.utf8.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") } ? key.lowercased() : key
    }
}

extension Metadata {
    /// Copies a received `grpc_metadata_array` (whose slices the call owns). // borrowed
    init(copying array: UnsafePointer<grpc_metadata_array>) {
        var pairs: [(key: String, value: String)] = []
        pairs.reserveCapacity(array.pointee.count)
        for index in 0..<array.pointee.count {
            let entry = array.pointee.metadata.advanced(by: index)
            let key = withUnsafePointer(to: entry.pointee.key) { CoreByteBuffer.string($0) }
            let value = withUnsafePointer(to: entry.pointee.value) { CoreByteBuffer.string($0) }
            pairs.append((key: Self.lowercased(key), value: value))
        }
        self.pairs = pairs
    }
}

/// Outgoing metadata in the core's layout: owns the `grpc_metadata` array and the slices in it,
/// which must stay alive until the batch that sends them completes.
final class OutgoingMetadata {
    let entries: UnsafeMutablePointer<grpc_metadata>
    let count: Int

    init(_ metadata: Metadata) {
        count = metadata.pairs.count
        entries = .allocate(capacity: max(count, 1))
        for (index, pair) in metadata.pairs.enumerated() {
            var entry = grpc_metadata()
            entry.key = grpc_slice_from_copied_string(pair.key)
            entry.value = grpc_slice_from_copied_string(pair.value)
            (entries + index).initialize(to: entry)
        }
    }

    deinit {
        for index in 0..<count {
            grpc_slice_unref(entries[index].key)
            grpc_slice_unref(entries[index].value)
        }
        entries.deinitialize(count: count)
        entries.deallocate()
    }
}

/// Owns a `grpc_metadata_array` that the core fills (request metadata of a new call).
final class ReceivedMetadataArray {
    let pointer: UnsafeMutablePointer<grpc_metadata_array>

    init() {
        pointer = .allocate(capacity: 1)
        grpc_metadata_array_init(pointer)
    }

    deinit {
        grpc_metadata_array_destroy(pointer)
        pointer.deallocate()
    }
}
