import Logging
import NIOCore
import RocketMQWire

/// Where a response goes: called exactly once, on the connection's event loop, with the response
/// or with why there is none (`.timeout`, `.connectionClosed`, `.protocolViolation`).
typealias ResponseCallback = @Sendable (Result<RemotingCommand, RocketMQError>) -> Void

/// A request on its way out: the command and what to do once it has gone.
struct OutboundRequest: Sendable {
    enum Completion: Sendable {
        /// Wait up to `timeout` for the response.
        case response(timeout: TimeAmount, ResponseCallback)
        /// Oneway: nothing comes back; `written` completes once the bytes are handed to the socket.
        case oneway(written: EventLoopPromise<Void>)
    }

    var command: RemotingCommand
    var completion: Completion
}

/// Answers requests the peer (a broker) sends us: NOTIFY_CONSUMER_IDS_CHANGED, GET_CONSUMER_RUNNING_INFO…
///
/// Called on the connection's event loop; must not block. Returns the response to send, or nil for
/// none (oneway requests never get one).
typealias InboundRequestHandler = @Sendable (_ request: RemotingCommand, _ address: String) -> RemotingCommand?

/// The last handler of a remoting connection: gives each request an opaque, keeps the
/// `opaque → callback` table, matches responses, times requests out, answers broker-initiated
/// requests, and fails everything still waiting when the channel closes or a bad frame arrives.
///
/// Requests come in through `send`, not the pipeline, so that one that arrives after the handler
/// has gone fails at once instead of being dropped by the pipeline. Lives on its channel's event
/// loop; every method runs there.
final class RemotingChannelHandler: ChannelInboundHandler {
    typealias InboundIn = RemotingCommand
    typealias OutboundOut = RemotingCommand

    private struct Pending {
        var respond: ResponseCallback
        var deadline: NIODeadline
        var code: Int32
    }

    private let address: String
    private let logger: Logger
    private let inboundRequests: InboundRequestHandler
    private var table = CorrelationTable<Pending>()
    private var nextOpaque: Int32 = 0
    private var context: ChannelHandlerContext?
    /// One timer for the whole table, set for its earliest deadline, instead of one per request:
    /// almost every request is answered long before its deadline, so a timer each would be
    /// scheduled and cancelled for nothing.
    private var sweep: (deadline: NIODeadline, task: Scheduled<Void>)?

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

    /// Numbers the request, registers where its response goes and writes it.
    func send(_ request: OutboundRequest) {
        var command = request.command
        nextOpaque = nextOpaque == Int32.max ? 1 : nextOpaque + 1
        command.opaque = nextOpaque
        switch request.completion {
        case .response(let timeout, let respond):
            guard let context else { return respond(.failure(.connectionClosed(address: address))) }
            let deadline = context.eventLoop.now + timeout
            switch table.register(opaque: command.opaque, Pending(respond: respond, deadline: deadline, code: command.code)) {
            case .registered:
                armSweep(for: deadline, context: context)
                // No write promise: a failed write closes the channel, and the close fails the table.
                context.writeAndFlush(wrapOutboundOut(command), promise: nil)
            case .closed(let entry), .duplicate(let entry):
                entry.respond(.failure(.connectionClosed(address: address)))
            }
        case .oneway(let written):
            guard let context, !table.isClosed else {
                return written.fail(RocketMQError.connectionClosed(address: address))
            }
            command.flag |= RemotingCommand.onewayFlag
            context.writeAndFlush(wrapOutboundOut(command), promise: written)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let command = unwrapInboundIn(data)
        if command.isResponse {
            guard let entry = table.resolve(opaque: command.opaque) else {
                // A response after its timeout, or to a request we sent as oneway-ish: nobody waits.
                logger.debug("unmatched response", metadata: ["address": "\(address)", "opaque": "\(command.opaque)"])
                return
            }
            entry.respond(.success(command))
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

    /// Makes sure the sweep runs by `deadline`.
    private func armSweep(for deadline: NIODeadline, context: ChannelHandlerContext) {
        if let sweep, sweep.deadline <= deadline { return }
        sweep?.task.cancel()
        let task = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] () -> Void in
            self?.timeOutExpired()
        }
        sweep = (deadline, task)
    }

    private func timeOutExpired() {
        sweep = nil
        guard let context else { return }
        let now = context.eventLoop.now
        for entry in table.removeAll(where: { $0.deadline <= now }) {
            entry.respond(.failure(.timeout("request code \(entry.code) to \(address)")))
        }
        if let next = table.entries.lazy.map(\.deadline).min() {
            armSweep(for: next, context: context)
        }
    }

    private func failAll(_ error: RocketMQError) {
        sweep?.task.cancel()
        sweep = nil
        for entry in table.drain() {
            entry.respond(.failure(error))
        }
    }
}
