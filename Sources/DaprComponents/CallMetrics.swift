import CoreMetrics
import GRPCCore

/// Counts finished gRPC calls by method and status (`dapr_rocketmq_grpc_calls_total`), through
/// swift-metrics. Both labels are bounded: the served methods and the gRPC status names. The
/// counters are made once per pair and cached, so a call does no registry lookup.
final class CallMetrics: Sendable {
    private let counters = LockedValueBox<[String: Counter]>([:])

    func finished(_ method: String, status: String) {
        let key = method + " " + status
        let counter: Counter = counters.withLockedValue { counters in
            if let cached = counters[key] { return cached }
            let made = Counter(label: "dapr_rocketmq_grpc_calls_total", dimensions: [("method", method), ("code", status)])
            counters[key] = made
            return made
        }
        counter.increment()
    }
}
