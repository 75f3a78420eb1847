import DaprProtoC
import Foundation

/// Unpacks `bytes` with a protoc-c `unpack` function, hands the message to `read`, and frees it
/// exactly once with the matching `free_unpacked`, whatever `read` does.
func withUnpacked<Message, Result>(
    _ bytes: [UInt8], name: String,
    unpack: (UnsafeMutablePointer<ProtobufCAllocator>?, Int, UnsafePointer<UInt8>?) -> UnsafeMutablePointer<Message>?,
    free: (UnsafeMutablePointer<Message>?, UnsafeMutablePointer<ProtobufCAllocator>?) -> Void,
    _ read: (UnsafeMutablePointer<Message>) throws -> Result
) throws -> Result {
    let message = bytes.withUnsafeBufferPointer { buffer in
        unpack(nil, buffer.count, buffer.baseAddress)
    }
    guard let message else { throw ProtoDecodingError(messageName: name) }
    defer { free(message, nil) }
    return try read(message)
}

/// Packs a message built in C memory with `get_packed_size` + `pack`.
func packed<Message>(
    _ message: UnsafePointer<Message>,
    size: (UnsafePointer<Message>?) -> Int,
    pack: (UnsafePointer<Message>?, UnsafeMutablePointer<UInt8>?) -> Int
) -> [UInt8] {
    let count = size(message)
    return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        initialized = pack(message, buffer.baseAddress)
    }
}

/// Owns the C memory (strings, byte arrays, entry structs) a message being encoded points at,
/// and frees all of it when the encoding is done.
final class CArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    func string(_ value: String) -> UnsafeMutablePointer<CChar> {
        let copy = strdup(value)!
        allocations.append(UnsafeMutableRawPointer(copy))
        return copy
    }

    func bytes(_ value: [UInt8]) -> ProtobufCBinaryData {
        guard !value.isEmpty else { return ProtobufCBinaryData(len: 0, data: nil) }
        let copy = array(of: UInt8.self, count: value.count)
        copy.initialize(from: value, count: value.count)
        return ProtobufCBinaryData(len: value.count, data: copy)
    }

    /// Uninitialised storage for `count` values of `type`, freed with the arena.
    func array<Element>(of type: Element.Type, count: Int) -> UnsafeMutablePointer<Element> {
        let raw = malloc(MemoryLayout<Element>.stride * max(count, 1))!
        allocations.append(raw)
        return raw.bindMemory(to: Element.self, capacity: max(count, 1))
    }

    deinit {
        // Everything here is malloc'd plain C data (no Swift references), so free is enough.
        allocations.forEach { free($0) }
    }
}

extension CArena {
    func stringArray(_ values: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
        let storage = array(of: UnsafeMutablePointer<CChar>?.self, count: values.count)
        for (index, value) in values.enumerated() { (storage + index).initialize(to: string(value)) }
        return storage
    }
}

/// Reads a C string the message owns (nil is the empty string). // borrowed
func swiftString(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
    pointer.map { String(cString: $0) } ?? ""
}

/// Copies a protobuf-c `bytes` field. // borrowed
func swiftBytes(_ data: ProtobufCBinaryData) -> [UInt8] {
    guard data.len > 0, let start = data.data else { return [] }
    return Array(UnsafeBufferPointer(start: start, count: data.len))
}
