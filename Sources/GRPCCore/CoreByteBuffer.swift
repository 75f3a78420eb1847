import CGRPCCore

/// Owns one `grpc_byte_buffer` and destroys it exactly once, in `deinit`.
final class CoreByteBuffer {
    let pointer: UnsafeMutablePointer<grpc_byte_buffer>

    /// Takes ownership of a buffer the core handed over (a received message).
    init(taking pointer: UnsafeMutablePointer<grpc_byte_buffer>) {
        self.pointer = pointer
    }

    /// Copies `bytes` into a new buffer.
    convenience init(copying bytes: [UInt8]) {
        var slice = bytes.withUnsafeBufferPointer { raw in
            grpc_slice_from_copied_buffer(
                UnsafeRawPointer(raw.baseAddress)?.assumingMemoryBound(to: CChar.self), raw.count)
        }
        // grpc_raw_byte_buffer_create takes its own reference to the slice.
        let buffer = grpc_raw_byte_buffer_create(&slice, 1)!
        grpc_slice_unref(slice)
        self.init(taking: buffer)
    }

    /// The whole content, copied out.
    func bytes() -> [UInt8] {
        var reader = grpc_byte_buffer_reader()
        guard grpc_byte_buffer_reader_init(&reader, pointer) != 0 else { return [] }
        defer { grpc_byte_buffer_reader_destroy(&reader) }
        var slice = grpc_byte_buffer_reader_readall(&reader)
        defer { grpc_slice_unref(slice) }
        return withUnsafePointer(to: &slice) { Self.copy($0) }
    }

    deinit {
        grpc_byte_buffer_destroy(pointer)
    }

    static func copy(_ slice: UnsafePointer<grpc_slice>) -> [UInt8] {
        let length = cgrpc_slice_length(slice)
        guard length > 0, let start = cgrpc_slice_start(slice) else { return [] }
        return Array(UnsafeBufferPointer(start: start, count: length))
    }

    /// The slice's bytes as UTF-8 text, decoded in place (no intermediate array).
    static func string(_ slice: UnsafePointer<grpc_slice>) -> String {
        let length = cgrpc_slice_length(slice)
        guard length > 0, let start = cgrpc_slice_start(slice) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: start, count: length), as: UTF8.self)
    }
}
