import NIOCore

/// Why a stored-message body (PULL_MESSAGE, CHECK_TRANSACTION_STATE, CONSUME_MESSAGE_DIRECTLY) could
/// not be decoded.
public enum StoredMessageDecodingError: Error, Sendable, Equatable {
    /// A record's TOTALSIZE is below the fixed part or beyond the bytes left.
    case invalidTotalSize(offset: Int, totalSize: Int32)
    /// A record's magic code is not a 4.x/5.x message magic.
    case unknownMagicCode(offset: Int, magic: Int32)
    /// A field runs past its record.
    case truncated(offset: Int, field: String)
    /// The body is compressed with LZ4/ZSTD, which 4.x clients do not read.
    case unsupportedCompression(offset: Int, sysFlag: Int32)
    /// zlib failed or the inflated body exceeds the limit.
    case decompressionFailed(offset: Int, Compression.Failure)
}

/// Decodes concatenated stored-message records (docs/protocol-remoting.md §4.6), bounds-checked everywhere.
///
/// Stateless; safe from any thread.
public enum StoredMessageDecoder {
    /// Bytes before BODYLEN with IPv4 hosts.
    public static let fixedPartLength = 84

    /// Default limit for one inflated body (the broker's `maxMessageSize` is 4 MiB; leave headroom).
    public static let defaultMaxDecompressedBodySize = 16 * 1024 * 1024

    /// Every message in `body`, in order. A `BLANK_MAGIC_CODE` record ends the list (it only pads a
    /// commit-log file end). Compressed bodies are inflated into ``StoredMessage/body`` when
    /// `decompress` is true.
    public static func decodeAll(
        _ body: [UInt8],
        decompress: Bool = true,
        maxDecompressedBodySize: Int = StoredMessageDecoder.defaultMaxDecompressedBodySize
    ) throws -> [StoredMessage] {
        var buffer = ByteBuffer(bytes: body)
        var messages: [StoredMessage] = []
        while buffer.readableBytes > 0 {
            let offset = body.count - buffer.readableBytes
            guard let totalSize = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else {
                throw StoredMessageDecodingError.truncated(offset: offset, field: "TOTALSIZE")
            }
            if let magic = buffer.getInteger(at: buffer.readerIndex + 4, as: Int32.self), magic == StoredMessage.blankMagicCode {
                break
            }
            guard totalSize >= 20, Int(totalSize) <= buffer.readableBytes, var record = buffer.readSlice(length: Int(totalSize)) else {
                throw StoredMessageDecodingError.invalidTotalSize(offset: offset, totalSize: totalSize)
            }
            messages.append(try decodeRecord(&record, offset: offset, decompress: decompress, limit: maxDecompressedBodySize))
        }
        return messages
    }

    static func decodeRecord(_ r: inout ByteBuffer, offset: Int, decompress: Bool, limit: Int) throws -> StoredMessage {
        func int32(_ field: String) throws -> Int32 {
            guard let v = r.readInteger(as: Int32.self) else { throw StoredMessageDecodingError.truncated(offset: offset, field: field) }
            return v
        }
        func int64(_ field: String) throws -> Int64 {
            guard let v = r.readInteger(as: Int64.self) else { throw StoredMessageDecodingError.truncated(offset: offset, field: field) }
            return v
        }
        func bytes(_ count: Int, _ field: String) throws -> [UInt8] {
            guard count >= 0, count <= r.readableBytes, let v = r.readBytes(length: count) else {
                throw StoredMessageDecodingError.truncated(offset: offset, field: field)
            }
            return v
        }
        let storeSize = try int32("TOTALSIZE")
        let magic = try int32("MAGICCODE")
        guard magic == StoredMessage.magicCode || magic == StoredMessage.magicCodeV2 else {
            throw StoredMessageDecodingError.unknownMagicCode(offset: offset, magic: magic)
        }
        let bodyCRC = try int32("BODYCRC")
        let queueId = try int32("QUEUEID")
        let flag = try int32("FLAG")
        let queueOffset = try int64("QUEUEOFFSET")
        let physicalOffset = try int64("PHYSICALOFFSET")
        let sysFlag = try int32("SYSFLAG")
        let bornTimestamp = try int64("BORNTIMESTAMP")
        let bornIP = try bytes(sysFlag & MessageSysFlag.bornHostV6 != 0 ? 16 : 4, "BORNHOST")
        let bornPort = try int32("BORNHOST port")
        let storeTimestamp = try int64("STORETIMESTAMP")
        let storeIP = try bytes(sysFlag & MessageSysFlag.storeHostV6 != 0 ? 16 : 4, "STOREHOSTADDRESS")
        let storePort = try int32("STOREHOSTADDRESS port")
        let reconsumeTimes = try int32("RECONSUMETIMES")
        let preparedOffset = try int64("PREPAREDTRANSACTIONOFFSET")
        let bodyLength = try int32("BODYLEN")
        let storedBody = try bytes(Int(bodyLength), "BODY")
        let topicLength: Int
        if magic == StoredMessage.magicCodeV2 {
            guard let v = r.readInteger(as: UInt16.self) else { throw StoredMessageDecodingError.truncated(offset: offset, field: "TOPICLEN") }
            topicLength = Int(v)
        } else {
            guard let v = r.readInteger(as: UInt8.self) else { throw StoredMessageDecodingError.truncated(offset: offset, field: "TOPICLEN") }
            topicLength = Int(v)
        }
        let topic = String(decoding: try bytes(topicLength, "TOPIC"), as: UTF8.self)
        guard let propertiesLength = r.readInteger(as: UInt16.self) else {
            throw StoredMessageDecodingError.truncated(offset: offset, field: "PROPERTIESLEN")
        }
        let properties = String(decoding: try bytes(Int(propertiesLength), "PROPERTIES"), as: UTF8.self)

        var body = storedBody
        if decompress, sysFlag & MessageSysFlag.compressed != 0 {
            let type = sysFlag & MessageSysFlag.compressionTypeMask
            // Type 0 is the legacy encoding of zlib (CompressionType.findByValue(0) -> ZLIB).
            guard type == 0 || type == MessageSysFlag.compressionZlibType else {
                throw StoredMessageDecodingError.unsupportedCompression(offset: offset, sysFlag: sysFlag)
            }
            do {
                body = try Compression.inflate(storedBody, limit: limit)
            } catch let failure as Compression.Failure {
                throw StoredMessageDecodingError.decompressionFailed(offset: offset, failure)
            }
        }
        return StoredMessage(
            storeSize: storeSize, magic: magic, bodyCRC: bodyCRC, queueId: queueId, flag: flag,
            queueOffset: queueOffset, commitLogOffset: physicalOffset, sysFlag: sysFlag,
            bornTimestamp: bornTimestamp, bornHost: HostAddress(ip: bornIP, port: bornPort),
            storeTimestamp: storeTimestamp, storeHost: HostAddress(ip: storeIP, port: storePort),
            reconsumeTimes: reconsumeTimes, preparedTransactionOffset: preparedOffset,
            storedBody: storedBody, body: body, topic: topic, propertiesText: properties
        )
    }
}

/// Encodes messages in the stored layout of docs/protocol-remoting.md §4.6 (what a broker puts in a
/// PULL body).
///
/// Stateless; safe from any thread.
public enum StoredMessageEncoder {
    /// Why a message cannot be stored in this layout.
    public enum Failure: Error, Sendable, Equatable {
        /// Topic longer than 127 bytes (the 4.x one-byte length; topic rules in
        /// docs/protocol-remoting.md §2.4).
        case topicTooLong(Int)
        /// Properties longer than 32767 bytes (`PROPERTIES_SIZE_EXCEEDED`).
        case propertiesTooLong(Int)
        /// A host that is neither 4 nor 16 bytes.
        case invalidHost
    }

    /// The record length of `message` (TOTALSIZE).
    public static func recordLength(_ message: StoredMessage) -> Int {
        StoredMessageDecoder.fixedPartLength + (message.bornHost.isIPv6 ? 12 : 0) + (message.storeHost.isIPv6 ? 12 : 0)
            + 4 + message.storedBody.count + 1 + message.topic.utf8.count + 2 + message.propertiesText.utf8.count
    }

    /// The record bytes. TOTALSIZE and BODYCRC are computed; the IPv6 sysFlag bits follow the hosts.
    public static func encode(_ message: StoredMessage) throws -> [UInt8] {
        var buffer = ByteBuffer()
        try encode(message, into: &buffer)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    /// Appends the record of `message` to `buffer`.
    public static func encode(_ message: StoredMessage, into buffer: inout ByteBuffer) throws {
        let topic = Array(message.topic.utf8)
        let properties = Array(message.propertiesText.utf8)
        guard topic.count <= 127 else { throw Failure.topicTooLong(topic.count) }
        guard properties.count <= Int(Int16.max) else { throw Failure.propertiesTooLong(properties.count) }
        guard [4, 16].contains(message.bornHost.ip.count), [4, 16].contains(message.storeHost.ip.count) else {
            throw Failure.invalidHost
        }
        var sysFlag = message.sysFlag & ~(MessageSysFlag.bornHostV6 | MessageSysFlag.storeHostV6)
        if message.bornHost.isIPv6 { sysFlag |= MessageSysFlag.bornHostV6 }
        if message.storeHost.isIPv6 { sysFlag |= MessageSysFlag.storeHostV6 }
        buffer.writeInteger(Int32(recordLength(message)))
        buffer.writeInteger(StoredMessage.magicCode)
        buffer.writeInteger(Compression.bodyCRC(message.storedBody))
        buffer.writeInteger(message.queueId)
        buffer.writeInteger(message.flag)
        buffer.writeInteger(message.queueOffset)
        buffer.writeInteger(message.commitLogOffset)
        buffer.writeInteger(sysFlag)
        buffer.writeInteger(message.bornTimestamp)
        buffer.writeBytes(message.bornHost.ip)
        buffer.writeInteger(message.bornHost.port)
        buffer.writeInteger(message.storeTimestamp)
        buffer.writeBytes(message.storeHost.ip)
        buffer.writeInteger(message.storeHost.port)
        buffer.writeInteger(message.reconsumeTimes)
        buffer.writeInteger(message.preparedTransactionOffset)
        buffer.writeInteger(Int32(message.storedBody.count))
        buffer.writeBytes(message.storedBody)
        buffer.writeInteger(UInt8(topic.count))
        buffer.writeBytes(topic)
        buffer.writeInteger(UInt16(properties.count))
        buffer.writeBytes(properties)
    }

    /// Concatenated records, as in a PULL_MESSAGE body.
    public static func encodeAll(_ messages: [StoredMessage]) throws -> [UInt8] {
        var buffer = ByteBuffer()
        for message in messages {
            try encode(message, into: &buffer)
        }
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }
}
