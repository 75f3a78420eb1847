import CoreMetrics
import NIOConcurrencyHelpers
import RocketMQWire

/// `dapr_rocketmq_consumer_lag{topic, group}`: how many messages the broker holds past what a push
/// consumer has pulled, summed over the queues it owns, from each pull answer's `maxOffset`
/// (docs/protocol-remoting.md §2.5). A queue given up in a rebalance leaves the sum.
final class ConsumerLag: Sendable {
    private struct State {
        var perQueue: [MessageQueue: Int64] = [:]
        var gauges: [String: Meter] = [:]
    }

    private let group: String
    private let namespace: Namespace
    private let state = NIOLockedValueBox(State())

    init(group: String, namespace: Namespace) {
        self.group = group
        self.namespace = namespace
    }

    /// A pull of `queue` reached `nextOffset` while the queue ends at `maxOffset`.
    func pulled(_ queue: MessageQueue, nextOffset: Int64, maxOffset: Int64) {
        update(queue.topic) { $0[queue] = max(maxOffset - nextOffset, 0) }
    }

    /// `queues` are no longer this consumer's.
    func remove(_ queues: [MessageQueue]) {
        for topic in Set(queues.map(\.topic)) {
            update(topic) { perQueue in
                for queue in queues where queue.topic == topic { perQueue[queue] = nil }
            }
        }
    }

    private func update(_ topic: String, _ change: (inout [MessageQueue: Int64]) -> Void) {
        let (gauge, total): (Meter, Int64) = state.withLockedValue { state in
            change(&state.perQueue)
            let gauge = state.gauges[topic] ?? Meter(
                label: "dapr_rocketmq_consumer_lag", dimensions: [("topic", namespace.unwrap(topic)), ("group", group)])
            state.gauges[topic] = gauge
            return (gauge, state.perQueue.reduce(0) { $1.key.topic == topic ? $0 + $1.value : $0 })
        }
        gauge.set(total)
    }
}
