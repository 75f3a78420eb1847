import NIOCore

/// One message inside a SEND_BATCH_MESSAGE body (docs/protocol-remoting.md §4.7).
public struct BatchMessage: Sendable, Equatable {
    public var flag: Int32
    /// Uncompressed (batches are never compressed).
    public var body: [UInt8]
    public var propertiesText: String

    public init(flag: Int32 = 0, body: [UInt8], propertiesText: String) {
        self.flag = flag
        self.body = body
        self.propertiesText = propertiesText
    }

    public var properties: [String: String] { MessageProperties.decode(propertiesText) }
}

/// The SEND_BATCH_MESSAGE body: records of `TOTALSIZE, MAGICCODE(0), BODYCRC(0), FLAG, BODYLEN+BODY,
/// PROPERTIESLEN(int16)+PROPERTIES` (Java `MessageDecoder.encodeMessages`).
///
/// Stateless; safe from any thread.
public enum MessageBatch {
    /// Why a batch body could not be decoded or encoded.
    public enum Failure: Error, Sendable, Equatable {
        case invalidTotalSize(offset: Int, totalSize: Int32)
        case truncated(offset: Int, field: String)
        case propertiesTooLong(Int)
    }

    public static func encode(_ messages: [BatchMessage]) throws -> [UInt8] {
        var buffer = ByteBuffer()
        for message in messages {
            let properties = Array(message.propertiesText.utf8)
            guard properties.count <= Int(Int16.max) else { throw Failure.propertiesTooLong(properties.count) }
            buffer.writeInteger(Int32(20 + message.body.count + 2 + properties.count))
            buffer.writeInteger(Int32(0))
            buffer.writeInteger(Int32(0))
            buffer.writeInteger(message.flag)
            buffer.writeInteger(Int32(message.body.count))
            buffer.writeBytes(message.body)
            buffer.writeInteger(UInt16(properties.count))
            buffer.writeBytes(properties)
        }
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    public static func decode(_ body: [UInt8]) throws -> [BatchMessage] {
        var buffer = ByteBuffer(bytes: body)
        var messages: [BatchMessage] = []
        while buffer.readableBytes > 0 {
            let offset = body.count - buffer.readableBytes
            guard let totalSize = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else {
                throw Failure.truncated(offset: offset, field: "TOTALSIZE")
            }
            guard totalSize >= 22, Int(totalSize) <= buffer.readableBytes, var r = buffer.readSlice(length: Int(totalSize)) else {
                throw Failure.invalidTotalSize(offset: offset, totalSize: totalSize)
            }
            r.moveReaderIndex(forwardBy: 12)  // TOTALSIZE, MAGICCODE, BODYCRC
            guard let flag = r.readInteger(as: Int32.self), let bodyLength = r.readInteger(as: Int32.self),
                  bodyLength >= 0, Int(bodyLength) <= r.readableBytes, let messageBody = r.readBytes(length: Int(bodyLength))
            else { throw Failure.truncated(offset: offset, field: "BODY") }
            guard let propertiesLength = r.readInteger(as: UInt16.self), Int(propertiesLength) <= r.readableBytes,
                  let properties = r.readBytes(length: Int(propertiesLength))
            else { throw Failure.truncated(offset: offset, field: "PROPERTIES") }
            messages.append(BatchMessage(flag: flag, body: messageBody, propertiesText: String(decoding: properties, as: UTF8.self)))
        }
        return messages
    }
}
