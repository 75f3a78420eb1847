import CZlib

/// zlib (RFC 1950) streams, the only body compression a 4.x client must read (spec §4.4).
///
/// This module is the one door to the zlib C library; nothing outside it sees a C type.
/// Stateless; every call is independent and safe from any thread.
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

    /// A zlib stream of `bytes` at `level` (header `78 5e` for level 5, like `java.util.zip.Deflater`).
    public static func deflate(_ bytes: [UInt8], level: Int32 = Compression.defaultLevel) throws -> [UInt8] {
        var capacity = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(capacity))
        let status = output.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { input in
                compress2(out.baseAddress, &capacity, input.baseAddress, uLong(input.count), level)
            }
        }
        guard status == Z_OK else { throw Failure.zlib(code: status) }
        output.removeSubrange(Int(capacity)...)
        return output
    }

    /// Inflates a zlib stream, refusing to produce more than `limit` bytes (so a small hostile body
    /// cannot expand into gigabytes). Throws ``Failure/zlib(code:)`` for a corrupt or truncated stream.
    public static func inflate(_ bytes: [UInt8], limit: Int) throws -> [UInt8] {
        var stream = z_stream()
        let initStatus = inflateInit_(&stream, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else { throw Failure.zlib(code: initStatus) }
        defer { inflateEnd(&stream) }
        let chunkSize = 16 * 1024
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var output: [UInt8] = []
        var input = bytes
        let outcome: Result<Void, Failure> = input.withUnsafeMutableBufferPointer { inputBuffer in
            stream.next_in = inputBuffer.baseAddress
            stream.avail_in = uInt(inputBuffer.count)
            while true {
                var status: Int32 = Z_OK
                let produced = chunk.withUnsafeMutableBufferPointer { chunkBuffer -> Int in
                    stream.next_out = chunkBuffer.baseAddress
                    stream.avail_out = uInt(chunkSize)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    return chunkSize - Int(stream.avail_out)
                }
                guard output.count + produced <= limit else { return .failure(.outputLimitExceeded(limit: limit)) }
                output.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_STREAM_END:
                    return .success(())
                case Z_OK where produced > 0 || stream.avail_in > 0:
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
        return output
    }

    /// CRC32 as the broker stores it: `crc32(body) & 0x7FFFFFFF` (spec §4.6 BODYCRC).
    public static func bodyCRC(_ bytes: [UInt8]) -> Int32 {
        let crc = bytes.withUnsafeBufferPointer { buffer in
            crc32(0, buffer.baseAddress, uInt(buffer.count))
        }
        return Int32(truncatingIfNeeded: crc & 0x7FFF_FFFF)
    }
}
