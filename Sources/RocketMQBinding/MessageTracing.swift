import DaprComponents
import Foundation
import Logging
import RocketMQClient
import RocketMQWire

/// `enableTrace` (docs/component-spec.md §2): the binding's message-trace hooks, at the points where
/// the Java client's trace hooks run (docs/protocol-remoting.md §11.2). A Pub record after each
/// stored `create`; a SubBefore record when a message goes to daprd and a SubAfter record when
/// daprd answers it; both at once for each message a `read` operation returns. The records go to a ``TraceDispatcher``, which writes them in the background:
/// nothing here waits, throws or fails the message path.
///
/// Thread-safe: the hooks are called from handler tasks and from ack callbacks on the poller thread.
final class MessageTracing: Sendable {
    /// One delivery's SubBefore, which its SubAfter refers back to.
    struct Delivery: Sendable {
        let requestID: String
        let at: ContinuousClock.Instant
    }

    private let dispatcher: TraceDispatcher
    private let group: String

    /// A started tracer for the producer (`.produce`) or consumer (`.consume`) side of an
    /// instance, or nil when `enableTrace` is off.
    static func start(_ metadata: BindingMetadata, role: TraceDispatcher.Role, logger: Logger) -> MessageTracing? {
        guard metadata.enableTrace else { return nil }
        let group = role == .produce ? metadata.producerGroup : metadata.consumerGroup
        let dispatcher = TraceDispatcher(client: metadata.clientConfiguration(), group: group, role: role,
                                         traceTopic: metadata.traceTopic, logger: logger)
        dispatcher.start()
        logger.info("message trace on", metadata: ["traceTopic": "\(metadata.traceTopic)", "traceProducerGroup": "\(dispatcher.producerGroup)"])
        return MessageTracing(dispatcher: dispatcher, group: group)
    }

    private init(dispatcher: TraceDispatcher, group: String) {
        self.dispatcher = dispatcher
        self.group = group
    }

    /// After the broker stored `message` (a send begun at `started`). Not for sends to the trace
    /// topic itself, nor when the broker turned tracing off (`TRACE_ON: false`), as in Java.
    func sent(_ message: OutgoingMessage, result: SendResult, started: ContinuousClock.Instant) {
        guard result.traceOn, !result.topic.hasPrefix(dispatcher.traceTopic) else { return }
        let cost = Self.millis(ContinuousClock.now - started)
        dispatcher.append(.pub(TraceRecord.Pub(sent: message, result: result, group: group,
                                               startedAtMillis: Self.nowMillis() - Int64(cost), costMillis: cost)))
    }

    /// When `message` goes to daprd; pass the answer to ``answered(_:_:outcome:)``.
    func delivered(_ message: ConsumedMessage) -> Delivery? {
        guard message.isTraced else { return nil }
        let delivery = Delivery(requestID: dispatcher.makeRequestID(), at: .now)
        dispatcher.append(.subBefore(TraceRecord.SubBefore(delivered: message, requestID: delivery.requestID, timestampMillis: Self.nowMillis())))
        return delivery
    }

    /// When daprd answered `message` (or its consume timeout passed). A delivery left unanswered
    /// (the stream ended, or daprd is closing the binding) gets no SubAfter: it comes again.
    func answered(_ message: ConsumedMessage, _ delivery: Delivery?, outcome: AckOutcome) {
        guard let delivery else { return }
        let success: Bool, result: TraceConsumeResult
        switch outcome {
        case .success:
            (success, result) = (true, .success)
        case .failure(let reason) where ClosingNacks.isClosing(reason):
            return
        case .failure:
            // The application answered with an error: Java's RECONSUME_LATER.
            (success, result) = (false, .failed)
        case .timedOut:
            (success, result) = (false, .timeOut)
        case .streamEnded:
            return
        }
        dispatcher.append(.subAfter(TraceRecord.SubAfter(answered: message, requestID: delivery.requestID, success: success, result: result,
                                                         costMillis: Self.millis(ContinuousClock.now - delivery.at),
                                                         timestampMillis: Self.nowMillis())))
    }

    /// After a `read` operation committed past `messages`: each consumed there and then, as the
    /// Java lite-pull consumer records a poll (a SubBefore and a successful SubAfter at once).
    func read(_ messages: [ConsumedMessage]) {
        let now = Self.nowMillis()
        for message in messages where message.isTraced {
            let requestID = dispatcher.makeRequestID()
            dispatcher.append(.subBefore(TraceRecord.SubBefore(delivered: message, requestID: requestID, timestampMillis: now)))
            dispatcher.append(.subAfter(TraceRecord.SubAfter(answered: message, requestID: requestID, success: true, result: .success,
                                                             costMillis: 0, timestampMillis: now)))
        }
    }

    /// Writes what is buffered (waiting a few seconds at most) and stops.
    func stop() async {
        await dispatcher.stop()
    }

    private static func millis(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }

    private static func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}
