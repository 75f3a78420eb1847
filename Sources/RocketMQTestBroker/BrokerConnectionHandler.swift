import Logging
import NIOCore
import RocketMQWire

/// The last handler of every accepted connection: hands decoded commands to the ``BrokerCore``.
/// Runs on the test broker's single event loop, like the core itself.
final class BrokerConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = RemotingCommand
    typealias OutboundOut = RemotingCommand

    let core: BrokerCore
    let role: ServerRole

    init(core: BrokerCore, role: ServerRole) {
        self.core = core
        self.role = role
    }

    func channelActive(context: ChannelHandlerContext) {
        core.connectionOpened(context.channel, role: role)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        core.connectionClosed(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        core.handle(unwrapInboundIn(data), from: context.channel, role: role)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A bad frame closes the connection, as Netty's decoder does on the real broker.
        core.logger.debug("closing connection after error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}
