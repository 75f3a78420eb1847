import Foundation
import Histogram

/// Latencies in microseconds in an HdrHistogram, plus the wall time of the run.
struct LatencyRecorder {
    private(set) var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)

    mutating func record(_ duration: Duration) {
        let micros = max(1, duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000)
        _ = histogram.record(UInt64(min(micros, 60_000_000)))
    }

    mutating func merge(_ other: LatencyRecorder) {
        histogram.add(other.histogram)
    }

    var count: UInt64 { histogram.totalCount }

    func percentile(_ value: Double) -> UInt64 { histogram.valueAtPercentile(value) }

    func summary(seconds: Double) -> [String: Double] {
        ["count": Double(count), "per_second": seconds > 0 ? Double(count) / seconds : 0,
         "p50_us": Double(percentile(50)), "p90_us": Double(percentile(90)), "p99_us": Double(percentile(99)),
         "p999_us": Double(percentile(99.9)), "max_us": Double(histogram.max)]
    }
}
