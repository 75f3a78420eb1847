import Logging
import NIOCore
import RocketMQWire

/// A request on its way out: the command and, unless oneway, where its response goes.
struct OutboundRequest {
    var command: RemotingCommand
    /// nil for oneway requests.
    var response: EventLoopPromise<RemotingCommand>?
    var timeout: TimeAmount
}

/// Answers requests the peer (a broker) sends us: NOTIFY_CONSUMER_IDS_CHANGED, GET_CONSUMER_RUNNING_INFO…
///
/// Called on the connection's event loop; must not block. Returns the response to send, or nil for
/// none (oneway requests never get one).
typealias InboundRequestHandler = @Sendable (_ request: RemotingCommand, _ address: String) -> RemotingCommand?

/// The last handler of a remoting connection: gives each request an opaque, keeps the
/// `opaque → promise` table, matches responses, times requests out, answers broker-initiated
/// requests, and fails everything still waiting when the channel closes or a bad frame arrives.
///
/// Lives on its channel's event loop; every method runs there.
final class RemotingChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = RemotingCommand
    typealias OutboundIn = OutboundRequest
    typealias OutboundOut = RemotingCommand

    private struct Pending {
        var promise: EventLoopPromise<RemotingCommand>
        var timeout: Scheduled<Void>?
        var code: Int32
    }

    private let address: String
    private let logger: Logger
    private let inboundRequests: InboundRequestHandler
    private var table = CorrelationTable<Pending>()
    private var nextOpaque: Int32 = 0
    private var context: ChannelHandlerContext?

    init(address: String, logger: Logger, inboundRequests: @escaping InboundRequestHandler) {
        self.address = address
        self.logger = logger
        self.inboundRequests = inboundRequests
    }

    /// Requests waiting for a response (for tests: the table must empty).
    var pendingCount: Int { table.count }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failAll(RocketMQError.connectionClosed(address: address))
        self.context = nil
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var request = unwrapOutboundIn(data)
        nextOpaque = nextOpaque == Int32.max ? 1 : nextOpaque + 1
        request.command.opaque = nextOpaque
        let opaque = nextOpaque
        if let response = request.response {
            let timeout = context.eventLoop.scheduleTask(in: request.timeout) { [weak self] () -> Void in
                guard let self else { return }
                self.timedOut(opaque: opaque)
            }
            let pending = Pending(promise: response, timeout: timeout, code: request.command.code)
            switch table.register(opaque: opaque, pending) {
            case .registered:
                break
            case .closed(let entry), .duplicate(let entry):
                entry.timeout?.cancel()
                entry.promise.fail(RocketMQError.connectionClosed(address: address))
                promise?.fail(RocketMQError.connectionClosed(address: address))
                return
            }
        } else {
            request.command.flag |= RemotingCommand.onewayFlag
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { [weak self] error in
            guard let self, let entry = self.table.resolve(opaque: opaque) else { return }
            entry.timeout?.cancel()
            entry.promise.fail(RocketMQError.connectionClosed(address: self.address))
            self.logger.debug("write failed", metadata: ["address": "\(self.address)", "error": "\(error)"])
        }
        if let promise { written.futureResult.cascade(to: promise) }
        context.writeAndFlush(wrapOutboundOut(request.command), promise: written)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let command = unwrapInboundIn(data)
        if command.isResponse {
            guard let entry = table.resolve(opaque: command.opaque) else {
                // A response after its timeout, or to a request we sent as oneway-ish: nobody waits.
                logger.debug("unmatched response", metadata: ["address": "\(address)", "opaque": "\(command.opaque)"])
                return
            }
            entry.timeout?.cancel()
            entry.promise.succeed(command)
            return
        }
        let response = inboundRequests(command, address)
        guard !command.isOneway else { return }
        let reply = response ?? RemotingCommand.response(
            to: command, code: .requestCodeNotSupported,
            remark: "request code \(command.code) not supported by this client")
        context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RocketMQError.connectionClosed(address: address))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Bad bytes (frame too large, broken header): the stream cannot be resynchronised, so the
        // connection goes, and with it every request waiting on it. An I/O error (the peer reset
        // the connection) is a closed connection, not a protocol violation.
        logger.warning("closing connection", metadata: ["address": "\(address)", "error": "\(error)"])
        let badBytes = error is RemotingDecodingError || error is ByteToMessageDecoderError
        failAll(badBytes ? RocketMQError.protocolViolation("\(address): \(error)") : RocketMQError.connectionClosed(address: address))
        context.close(promise: nil)
    }

    private func timedOut(opaque: Int32) {
        guard let entry = table.resolve(opaque: opaque) else { return }
        entry.promise.fail(RocketMQError.timeout("request code \(entry.code) to \(address)"))
    }

    private func failAll(_ error: RocketMQError) {
        for entry in table.drain() {
            entry.timeout?.cancel()
            entry.promise.fail(error)
        }
    }
}
