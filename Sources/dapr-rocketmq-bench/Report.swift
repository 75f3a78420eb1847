import Foundation

/// The benchmark's figures: a table for people, JSON for tracking.
struct Report {
    private var rows: [(key: String, label: String, text: String)] = []
    private var values: [String: Any] = [:]

    mutating func note(_ key: String, _ text: String) {
        rows.append((key, key, text))
        values[key] = text
    }

    mutating func value(_ key: String, _ label: String, _ value: Double, extra: String = "") {
        rows.append((key, label, String(format: "%.2f", value) + (extra.isEmpty ? "" : "  (\(extra))")))
        values[key] = value
    }

    /// `extraValues` join the case's JSON figures.
    mutating func latency(_ key: String, _ label: String, _ recorder: LatencyRecorder, _ seconds: Double,
                          extra: String = "", extraValues: [String: Double] = [:]) {
        let summary = recorder.summary(seconds: seconds).merging(extraValues) { _, extra in extra }
        rows.append((key, label, String(format: "%8.0f/s  p50 %6.0f  p90 %6.0f  p99 %6.0f  p99.9 %6.0f µs",
                                        summary["per_second"]!, summary["p50_us"]!, summary["p90_us"]!, summary["p99_us"]!, summary["p999_us"]!)
                                 + (extra.isEmpty ? "" : "  " + extra)))
        values[key] = summary
    }

    func print(machine: String) {
        Swift.print("dapr-rocketmq benchmark on \(machine)")
        let width = rows.map(\.label.count).max() ?? 0
        for row in rows {
            Swift.print(row.label.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + row.text)
        }
    }

    func json() throws -> Data {
        try JSONSerialization.data(withJSONObject: values, options: [.sortedKeys, .prettyPrinted])
    }
}
