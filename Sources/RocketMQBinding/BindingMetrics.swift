import CoreMetrics
import DaprComponents
import NIOConcurrencyHelpers

/// The binding's metrics, through swift-metrics: whatever backend the executable bootstraps exports
/// them (Prometheus on `/metrics` with `--metrics-port`); without one they cost a no-op call.
///
/// Names start with `dapr_rocketmq_`. Labels stay bounded: topics (those of the component files
/// and requests), outcomes and gRPC status names, never message ids. Handles are made once per
/// label set and cached, so the message path does no registry lookup.
final class BindingMetrics: Sendable {
    static let shared = BindingMetrics()

    /// The metrics of one topic.
    struct Topic: Sendable {
        let sent: Counter
        let sendLatency: Timer
        let delivered: Counter
        let acked: Counter
        let errorAcked: Counter
        let deadLettered: Counter
    }

    /// Messages delivered to daprd and not yet answered, across every Read stream.
    let inFlight = Meter(label: "dapr_rocketmq_messages_in_flight")
    private let topics = NIOLockedValueBox<[String: Topic]>([:])
    private let failedSends = NIOLockedValueBox<[String: Counter]>([:])

    func topic(_ name: String) -> Topic {
        if let cached = topics.withLockedValue({ $0[name] }) { return cached }
        let topic = [("topic", name)]
        let made = Topic(
            sent: Counter(label: "dapr_rocketmq_messages_sent_total", dimensions: topic + [("outcome", "ok")]),
            sendLatency: Timer(label: "dapr_rocketmq_send_duration_seconds", dimensions: topic),
            delivered: Counter(label: "dapr_rocketmq_messages_delivered_total", dimensions: topic),
            acked: Counter(label: "dapr_rocketmq_messages_acked_total", dimensions: topic),
            errorAcked: Counter(label: "dapr_rocketmq_messages_error_acked_total", dimensions: topic),
            deadLettered: Counter(label: "dapr_rocketmq_messages_dead_lettered_total", dimensions: topic))
        return topics.withLockedValue { topics in
            if let raced = topics[name] { return raced }
            topics[name] = made
            return made
        }
    }

    /// One message of `topic` stored by the broker, `started` being when its send began.
    func sent(_ topic: Topic, since started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        topic.sent.increment()
        topic.sendLatency.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }

    /// A message of `topic` handed to daprd.
    func delivered(_ topic: Topic) {
        topic.delivered.increment()
        inFlight.increment()
    }

    /// daprd's answer to a delivered message: acked (true), failed (false), or neither (nil: a
    /// closing nack or the stream's end); `deadLettered` when the failure moves it to the DLQ.
    func answered(_ topic: Topic, success: Bool?, deadLettered: Bool) {
        inFlight.decrement()
        switch success {
        case true?: topic.acked.increment()
        case false?: topic.errorAcked.increment()
        case nil: break
        }
        if deadLettered { topic.deadLettered.increment() }
    }

    /// A failed send of `topic`, by the gRPC status it was answered with (`outcome` label).
    func sendFailed(topic: String, status: String) {
        let key = topic + "\u{0}" + status
        let counter = failedSends.withLockedValue { counters in
            if let cached = counters[key] { return cached }
            let made = Counter(label: "dapr_rocketmq_messages_sent_total", dimensions: [("topic", topic), ("outcome", status)])
            counters[key] = made
            return made
        }
        counter.increment()
    }
}

extension AckOutcome {
    /// For the metrics: acked (true), failed by the application or its timeout (false), neither (nil).
    var acknowledged: Bool? {
        switch self {
        case .success: return true
        case .failure(let reason): return ClosingNacks.isClosing(reason) ? nil : false
        case .timedOut: return false
        case .streamEnded: return nil
        }
    }
}
