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

    private init(address: String, channel: Channel) {
        self.address = address
        self.channel = channel
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
            .map { RemotingConnection(address: address, channel: $0) }
            .flatMapErrorThrowing { error in
                throw RocketMQError.unreachable(address: address, reason: "\(error)")
            }
    }

    /// Wraps an existing channel whose pipeline already ends in a `RemotingChannelHandler` (tests).
    static func wrapping(address: String, channel: Channel) -> RemotingConnection {
        RemotingConnection(address: address, channel: channel)
    }

    var isActive: Bool { channel.isActive }

    var closeFuture: EventLoopFuture<Void> { channel.closeFuture }

    /// Sends `command` and waits for its response (any response code; the caller interprets it).
    func request(_ command: RemotingCommand, timeout: TimeAmount) async throws -> RemotingCommand {
        let promise = channel.eventLoop.makePromise(of: RemotingCommand.self)
        let outbound = OutboundRequest(command: command, response: promise, timeout: timeout)
        channel.writeAndFlush(outbound).whenFailure { error in
            // The handler fails the promise itself for registered requests; this covers a channel
            // that closed before the write reached the handler.
            promise.fail(RocketMQError.connectionClosed(address: self.address))
        }
        return try await promise.futureResult.get()
    }

    /// Sends `command` with the oneway bit: no response is expected or waited for.
    func oneway(_ command: RemotingCommand) async throws {
        let outbound = OutboundRequest(command: command, response: nil, timeout: .zero)
        do {
            try await channel.writeAndFlush(outbound).get()
        } catch {
            throw RocketMQError.connectionClosed(address: address)
        }
    }

    func close() {
        channel.close(promise: nil)
    }
}
