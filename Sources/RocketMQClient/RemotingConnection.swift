import Logging
import NIOCore
import NIOPosix
import RocketMQWire

/// One TCP connection to a name server or broker, shared by every request to that address.
///
/// Thread-safe: `request` and `oneway` may be called from any task; the channel handler does the
/// bookkeeping on the event loop. Every request ends: with its response, its timeout, or
/// `.connectionClosed` when the connection goes.
final class RemotingConnection: Sendable {
    let address: String
    let channel: Channel
    private let handler: NIOLoopBound<RemotingChannelHandler>

    private init(address: String, channel: Channel, handler: NIOLoopBound<RemotingChannelHandler>) {
        self.address = address
        self.channel = channel
        self.handler = handler
    }

    /// Opens a connection. The returned future fails with `.unreachable` when the connect fails.
    static func connect(
        to address: String, group: EventLoopGroup, connectTimeout: TimeAmount, logger: Logger,
        inboundRequests: @escaping InboundRequestHandler
    ) -> EventLoopFuture<RemotingConnection> {
        let eventLoop = group.next()
        guard let hostAndPort = HostAndPort(address) else {
            return eventLoop.makeFailedFuture(RocketMQError.invalidArgument("address '\(address)' is not host:port"))
        }
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(RemotingCommandDecoder()),
                        MessageToByteHandler(RemotingCommandEncoder()),
                        FlushCoalescingHandler(),
                        RemotingChannelHandler(address: address, logger: logger, inboundRequests: inboundRequests),
                    ])
                }
            }
            .connect(host: hostAndPort.host, port: hostAndPort.port)
            .flatMapErrorThrowing { error in
                throw RocketMQError.unreachable(address: address, reason: "\(error)")
            }
            .flatMapThrowing { channel in
                // Completes on the channel's event loop, where the handler may be looked up.
                let handler: RemotingChannelHandler
                do {
                    handler = try channel.pipeline.syncOperations.handler(type: RemotingChannelHandler.self)
                } catch {
                    channel.close(promise: nil)
                    throw error
                }
                return RemotingConnection(
                    address: address, channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
            }
    }

    var isActive: Bool { channel.isActive }

    var closeFuture: EventLoopFuture<Void> { channel.closeFuture }

    /// Sends `command` and waits for its response (any response code; the caller interprets it).
    func request(_ command: RemotingCommand, timeout: TimeAmount) async throws -> RemotingCommand {
        // Unsafe, not checked: the handler calls every response callback exactly once (its tests
        // check each way a request can end), and the check would cost an allocation per request.
        try await withUnsafeThrowingContinuation { continuation in
            send(OutboundRequest(command: command, completion: .response(timeout: timeout) { continuation.resume(with: $0) }))
        }
    }

    /// Sends `command` with the oneway bit: no response is expected or waited for.
    func oneway(_ command: RemotingCommand) async throws {
        let written = channel.eventLoop.makePromise(of: Void.self)
        send(OutboundRequest(command: command, completion: .oneway(written: written)))
        do {
            try await written.futureResult.get()
        } catch {
            throw RocketMQError.connectionClosed(address: address)
        }
    }

    private func send(_ request: OutboundRequest) {
        if handler.eventLoop.inEventLoop {
            handler.value.send(request)
        } else {
            let handler = self.handler
            handler.eventLoop.execute { handler.value.send(request) }
        }
    }

    func close() {
        channel.close(promise: nil)
    }
}
