/// Why bytes from the network could not be decoded into a ``RemotingCommand``.
///
/// Every bound is checked before anything of the claimed size is allocated; a decoder that throws
/// one of these has consumed nothing it could not account for, and the connection should be closed
/// (as Netty's `NettyDecoder` does on the broker).
public enum RemotingDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `length + 4` exceeds the maximum frame size (16 MiB by default).
    case frameTooLarge(length: Int, maximum: Int)
    /// The length word is below 4: there is no room for the header-length word.
    case frameTooShort(length: Int)
    /// The header length from word 2 exceeds the frame.
    case headerLengthExceedsFrame(headerLength: Int, frameLength: Int)
    /// The serialize-type byte is neither 0 (JSON) nor 1 (ROCKETMQ).
    case unknownSerializeType(UInt8)
    /// A binary header shorter than its fixed 21 bytes, or cut inside a field.
    case binaryHeaderTruncated(headerLength: Int)
    /// A binary remark length that is negative or beyond the header.
    case remarkLengthOutOfBounds(Int)
    /// A binary ext-fields block length that is negative or beyond the header.
    case extFieldsLengthOutOfBounds(Int)
    /// A binary ext-fields entry whose key or value length runs past the block.
    case extFieldEntryOutOfBounds(offset: Int)
    /// Bytes left after the binary ext-fields block.
    case trailingHeaderBytes(Int)
    /// ``RemotingCommand/decode(frame:maxFrameLength:)`` was given fewer bytes than the frame declares.
    case incompleteFrame(available: Int)
    /// ``RemotingCommand/decode(frame:maxFrameLength:)`` was given more bytes than one frame.
    case trailingFrameBytes(Int)
    /// The JSON header is not JSON (or nested too deep).
    case invalidJSONHeader(String)
    /// The JSON header lacks a required member, or it has the wrong type.
    case invalidJSONHeaderField(String)

    public var description: String {
        switch self {
        case .frameTooLarge(let length, let maximum): return "frame length \(length) + 4 exceeds \(maximum)"
        case .frameTooShort(let length): return "frame length \(length) is below 4"
        case .headerLengthExceedsFrame(let h, let f): return "header length \(h) exceeds frame length \(f)"
        case .unknownSerializeType(let t): return "unknown serialize type \(t)"
        case .binaryHeaderTruncated(let h): return "binary header of \(h) bytes is truncated"
        case .remarkLengthOutOfBounds(let n): return "binary remark length \(n) out of bounds"
        case .extFieldsLengthOutOfBounds(let n): return "binary extFields length \(n) out of bounds"
        case .extFieldEntryOutOfBounds(let o): return "binary extFields entry at \(o) out of bounds"
        case .trailingHeaderBytes(let n): return "\(n) bytes after the binary header fields"
        case .trailingFrameBytes(let n): return "\(n) bytes after the frame"
        case .incompleteFrame(let n): return "only \(n) bytes of the frame are present"
        case .invalidJSONHeader(let reason): return "invalid JSON header: \(reason)"
        case .invalidJSONHeaderField(let field): return "invalid JSON header field \(field)"
        }
    }
}

/// Why a ``RemotingCommand`` could not be encoded.
public enum RemotingEncodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Binary headers store code and version as int16.
    case valueOutOfInt16Range(field: String, value: Int32)
    /// A binary ext key longer than 32767 bytes.
    case extKeyTooLong(String)
    /// The header does not fit the 24-bit header length.
    case headerTooLarge(Int)
    /// The whole frame exceeds the maximum frame size.
    case frameTooLarge(Int)

    public var description: String {
        switch self {
        case .valueOutOfInt16Range(let field, let value): return "\(field) \(value) does not fit an int16"
        case .extKeyTooLong(let key): return "ext key of \(key.utf8.count) bytes is too long"
        case .headerTooLarge(let n): return "header of \(n) bytes exceeds 16 MiB - 1"
        case .frameTooLarge(let n): return "frame of \(n) bytes exceeds the maximum"
        }
    }
}
