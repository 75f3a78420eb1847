import NIOCore

/// Splits inbound bytes into ``RemotingCommand``s (docs/protocol-remoting.md §1.1).
///
/// Bounded before it allocates: a length word above `maxFrameLength - 4`, a header length beyond
/// the frame, or a malformed header throws a ``RemotingDecodingError``; the channel's error handler
/// should then close the connection, as the Java side does. Runs on the channel's event loop.
public struct RemotingCommandDecoder: ByteToMessageDecoder {
    public typealias InboundOut = RemotingCommand

    /// The largest `length + 4` accepted (16 MiB unless changed).
    public let maxFrameLength: Int

    public init(maxFrameLength: Int = RemotingCommand.maxFrameLength) {
        self.maxFrameLength = maxFrameLength
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let command = try RemotingCommand.decodeFrame(from: &buffer, maxFrameLength: maxFrameLength) else {
            return .needMoreData
        }
        context.fireChannelRead(wrapInboundOut(command))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}

/// Writes outbound ``RemotingCommand``s as frames, in their own ``RemotingCommand/serializeType``.
/// Throws ``RemotingEncodingError`` for a command that cannot be represented. Runs on the event loop.
public struct RemotingCommandEncoder: MessageToByteEncoder {
    public typealias OutboundIn = RemotingCommand

    public let maxFrameLength: Int

    public init(maxFrameLength: Int = RemotingCommand.maxFrameLength) {
        self.maxFrameLength = maxFrameLength
    }

    public func encode(data: RemotingCommand, out: inout ByteBuffer) throws {
        try data.encode(into: &out, maxFrameLength: maxFrameLength)
    }
}
