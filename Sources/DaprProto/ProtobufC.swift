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
/// and frees all of it when the encoding is done. Small pieces are carved out of shared blocks,
/// so a message with many map entries costs a malloc or two, not three per entry.
final class CArena {
    private static let blockSize = 4096
    private var allocations: [UnsafeMutableRawPointer] = []
    private var cursor: UnsafeMutableRawPointer?
    private var blockEnd: UnsafeMutableRawPointer?

    /// Uninitialised memory for `byteCount` bytes aligned to `alignment`, freed with the arena.
    private func allocate(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
        if let cursor, let blockEnd {
            let start = cursor.alignedUp(toMultipleOf: alignment)
            if byteCount <= blockEnd - start {
                self.cursor = start + byteCount
                return start
            }
        }
        // malloc's alignment suits every C type a message holds.
        let byteCount = max(byteCount, 1)
        guard byteCount <= Self.blockSize / 4 else {  // a large piece gets its own allocation
            let piece = malloc(byteCount)!
            allocations.append(piece)
            return piece
        }
        let block = malloc(Self.blockSize)!
        allocations.append(block)
        cursor = block + byteCount
        blockEnd = block + Self.blockSize
        return block
    }

    /// A NUL-terminated copy (C sees it up to the first NUL, as with `strdup`).
    func string(_ value: String) -> UnsafeMutablePointer<CChar> {
        var value = value
        return value.withUTF8 { utf8 in
            let copy = allocate(byteCount: utf8.count + 1, alignment: 1)
            if let source = utf8.baseAddress { copy.copyMemory(from: source, byteCount: utf8.count) }
            copy.storeBytes(of: 0, toByteOffset: utf8.count, as: UInt8.self)
            return copy.bindMemory(to: CChar.self, capacity: utf8.count + 1)
        }
    }

    func bytes(_ value: [UInt8]) -> ProtobufCBinaryData {
        guard !value.isEmpty else { return ProtobufCBinaryData(len: 0, data: nil) }
        let copy = array(of: UInt8.self, count: value.count)
        copy.initialize(from: value, count: value.count)
        return ProtobufCBinaryData(len: value.count, data: copy)
    }

    /// Uninitialised storage for `count` values of `type`, freed with the arena.
    func array<Element>(of type: Element.Type, count: Int) -> UnsafeMutablePointer<Element> {
        allocate(byteCount: MemoryLayout<Element>.stride * max(count, 1), alignment: MemoryLayout<Element>.alignment)
            .bindMemory(to: Element.self, capacity: max(count, 1))
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
