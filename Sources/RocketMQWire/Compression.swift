import CZlib
import NIOConcurrencyHelpers

/// zlib (RFC 1950) streams, the only body compression a 4.x client must read
/// (docs/protocol-remoting.md §4.4).
///
/// This module is the one door to the zlib C library; nothing outside it sees a C type.
/// Every call is independent and safe from any thread. zlib streams are kept for reuse
/// (`ZStream`), at most `ZStream.idleLimit` of them idle.
public enum Compression {
    /// Java and Go compress with level 5 (`rocketmq.message.compressLevel`).
    public static let defaultLevel: Int32 = 5

    /// Bodies of at least this many bytes are compressed by the Java and Go producers.
    public static let compressionThreshold = 4096

    /// Why (de)compression failed.
    public enum Failure: Error, Sendable, Equatable {
        /// zlib reported an error code (corrupt or truncated stream).
        case zlib(code: Int32)
        /// The inflated output would exceed the caller's limit.
        case outputLimitExceeded(limit: Int)
    }

    /// A zlib stream of `bytes` at `level` (header `78 5e` for level 5, like `java.util.zip.Deflater`),
    /// the same bytes zlib's one-shot `compress2` makes.
    public static func deflate(_ bytes: [UInt8], level: Int32 = Compression.defaultLevel) throws -> [UInt8] {
        let stream = try ZStream.take(.deflate(level: level))
        var status = Z_OK
        let output = [UInt8](unsafeUninitializedCapacity: Int(deflateBound(stream.pointer, uLong(bytes.count)))) { out, count in
            bytes.withUnsafeBufferPointer { input in
                stream.pointer.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.pointer.pointee.avail_in = uInt(input.count)
                stream.pointer.pointee.next_out = out.baseAddress
                stream.pointer.pointee.avail_out = uInt(out.count)
                // deflateBound leaves room for the whole stream, so one call finishes it.
                status = CZlib.deflate(stream.pointer, Z_FINISH)
            }
            count = Int(stream.pointer.pointee.total_out)
        }
        guard status == Z_STREAM_END else { throw Failure.zlib(code: status == Z_OK ? Z_BUF_ERROR : status) }
        stream.putBack()
        return output
    }

    /// Inflates a zlib stream, refusing to produce more than `limit` bytes (so a small hostile body
    /// cannot expand into gigabytes). Throws ``Failure/zlib(code:)`` for a corrupt or truncated stream.
    public static func inflate(_ bytes: [UInt8], limit: Int) throws -> [UInt8] {
        let stream = try ZStream.take(.inflate)
        let chunkSize = 16 * 1024
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var output: [UInt8] = []
        var input = bytes
        let outcome: Result<Void, Failure> = input.withUnsafeMutableBufferPointer { inputBuffer in
            stream.pointer.pointee.next_in = inputBuffer.baseAddress
            stream.pointer.pointee.avail_in = uInt(inputBuffer.count)
            while true {
                var status: Int32 = Z_OK
                let produced = chunk.withUnsafeMutableBufferPointer { chunkBuffer -> Int in
                    stream.pointer.pointee.next_out = chunkBuffer.baseAddress
                    stream.pointer.pointee.avail_out = uInt(chunkSize)
                    status = CZlib.inflate(stream.pointer, Z_NO_FLUSH)
                    return chunkSize - Int(stream.pointer.pointee.avail_out)
                }
                guard output.count + produced <= limit else { return .failure(.outputLimitExceeded(limit: limit)) }
                output.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_STREAM_END:
                    return .success(())
                case Z_OK where produced > 0 || stream.pointer.pointee.avail_in > 0:
                    continue  // more to come
                case Z_OK, Z_BUF_ERROR:
                    // No progress possible: the input ended before the stream did.
                    return .failure(.zlib(code: Z_DATA_ERROR))
                default:
                    return .failure(.zlib(code: status))
                }
            }
        }
        try outcome.get()
        stream.putBack()
        return output
    }

    /// CRC32 as the broker stores it: `crc32(body) & 0x7FFFFFFF` (docs/protocol-remoting.md §4.6 BODYCRC).
    public static func bodyCRC(_ bytes: [UInt8]) -> Int32 {
        let crc = bytes.withUnsafeBufferPointer { buffer in
            crc32(0, buffer.baseAddress, uInt(buffer.count))
        }
        return Int32(truncatingIfNeeded: crc & 0x7FFF_FFFF)
    }
}

/// One zlib stream, kept for reuse. `deflateInit` allocates about 256 KiB that `deflateEnd`
/// frees again, and an inflate stream about 40 KiB; doing that for every message cost more than
/// compressing a 16 KiB body, while a reset keeps the memory. A stream is used by one call at a
/// time: taken from the idle list, or made, and put back only after it finished without error.
private final class ZStream: @unchecked Sendable {  // z_stream owned here, ended once in deinit; one call at a time (taken from and put back in `idle`)
    enum Kind: Equatable {
        case deflate(level: Int32)
        case inflate
    }

    /// Idle streams kept; a burst of more concurrent calls makes more, and those beyond the limit
    /// are freed when put back.
    static let idleLimit = 4
    private static let idle = NIOLockedValueBox<[ZStream]>([])  // not Synchronization's Mutex: that needs macOS 15

    let kind: Kind
    /// At a fixed address: zlib's state points back at its `z_stream`.
    let pointer: UnsafeMutablePointer<z_stream>

    private init(_ kind: Kind) throws {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: z_stream())
        let size = Int32(MemoryLayout<z_stream>.size)
        let status = switch kind {
        case .deflate(let level): deflateInit_(pointer, level, zlibVersion(), size)
        case .inflate: inflateInit_(pointer, zlibVersion(), size)
        }
        guard status == Z_OK else {
            pointer.deinitialize(count: 1)
            pointer.deallocate()
            throw Compression.Failure.zlib(code: status)
        }
        self.kind = kind
    }

    deinit {
        switch kind {
        case .deflate: deflateEnd(pointer)
        case .inflate: inflateEnd(pointer)
        }
        pointer.deinitialize(count: 1)
        pointer.deallocate()
    }

    /// An idle stream of `kind`, reset, or a new one.
    static func take(_ kind: Kind) throws -> ZStream {
        let reused = idle.withLockedValue { streams in
            streams.firstIndex { $0.kind == kind }.map { streams.remove(at: $0) }
        }
        guard let reused else { return try ZStream(kind) }
        switch kind {
        case .deflate: deflateReset(reused.pointer)
        case .inflate: inflateReset(reused.pointer)
        }
        return reused
    }

    func putBack() {
        Self.idle.withLockedValue { streams in
            if streams.count < Self.idleLimit { streams.append(self) }
        }
    }
}
