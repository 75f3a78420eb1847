import NIOCore
import NIOPosix
import RocketMQWire
import XCTest

/// A bare remoting connection for driving the test broker with hand-built frames. It decodes with
/// the same `RemotingCommandDecoder` that decodes the golden frames.
final class RawClient: @unchecked Sendable {
    let channel: Channel
    private var inbound: AsyncStream<RemotingCommand>.AsyncIterator
    private var buffered: [RemotingCommand] = []
    private var nextOpaque: Int32 = 100

    private final class Forwarder: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = RemotingCommand
        let continuation: AsyncStream<RemotingCommand>.Continuation

        init(_ continuation: AsyncStream<RemotingCommand>.Continuation) {
            self.continuation = continuation
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            continuation.yield(unwrapInboundIn(data))
        }

        func channelInactive(context: ChannelHandlerContext) {
            continuation.finish()
            context.fireChannelInactive()
        }
    }

    private init(channel: Channel, stream: AsyncStream<RemotingCommand>) {
        self.channel = channel
        self.inbound = stream.makeAsyncIterator()
    }

    static func connect(_ address: String, group: EventLoopGroup) async throws -> RawClient {
        let parts = address.split(separator: ":")
        let host = String(parts[0])
        let port = Int(parts[1]) ?? 0
        let (stream, continuation) = AsyncStream<RemotingCommand>.makeStream()
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(RemotingCommandDecoder()),
                        MessageToByteHandler(RemotingCommandEncoder()),
                        Forwarder(continuation),
                    ])
                }
            }
            .connect(host: host, port: port)
            .get()
        return RawClient(channel: channel, stream: stream)
    }

    /// Writes a command as is.
    func send(_ command: RemotingCommand) async throws {
        try await channel.writeAndFlush(command).get()
    }

    /// Writes raw frame bytes (e.g. a captured frame).
    func sendRaw(_ bytes: [UInt8]) async throws {
        // Write below the encoder, so the bytes go out untouched.
        let channel = self.channel
        try await channel.eventLoop.flatSubmit {
            do {
                let context = try channel.pipeline.syncOperations.context(handlerType: MessageToByteHandler<RemotingCommandEncoder>.self)
                return context.writeAndFlush(NIOAny(ByteBuffer(bytes: bytes)))
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
        }.get()
    }

    /// Assigns a fresh opaque, sends, and returns the response with that opaque; other inbound
    /// commands (pushes, other responses) are kept for ``next()``/``response(opaque:)``.
    func call(_ command: RemotingCommand) async throws -> RemotingCommand {
        var command = command
        nextOpaque += 1
        command.opaque = nextOpaque
        try await send(command)
        return try await response(opaque: command.opaque)
    }

    /// The response with `opaque`, waiting for it.
    func response(opaque: Int32) async throws -> RemotingCommand {
        if let index = buffered.firstIndex(where: { $0.isResponse && $0.opaque == opaque }) {
            return buffered.remove(at: index)
        }
        while true {
            let command = try await receive()
            if command.isResponse && command.opaque == opaque { return command }
            buffered.append(command)
        }
    }

    /// The next inbound request pushed by the server (e.g. NOTIFY_CONSUMER_IDS_CHANGED).
    func nextPush() async throws -> RemotingCommand {
        if let index = buffered.firstIndex(where: { !$0.isResponse }) {
            return buffered.remove(at: index)
        }
        while true {
            let command = try await receive()
            if !command.isResponse { return command }
            buffered.append(command)
        }
    }

    /// Inbound commands received but not yet consumed.
    var pending: [RemotingCommand] { buffered }

    private func receive() async throws -> RemotingCommand {
        guard let command = await inbound.next() else { throw ChannelError.ioOnClosedChannel }
        return command
    }

    func close() async {
        try? await channel.close()
    }
}

/// Bounds an await so a broken broker fails the test instead of hanging it (not a synchronisation).
func withTimeout<T: Sendable>(_ seconds: Double = 20, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
            throw CancellationError()
        }
        guard let first = try await group.next() else { throw CancellationError() }
        group.cancelAll()
        return first
    }
}
