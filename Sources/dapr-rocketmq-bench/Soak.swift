import DaprProto
import Foundation

extension BenchmarkSession {
    /// Moderate load (4 concurrent creates, one Read stream acking everything) for `minutes`,
    /// printing RSS, threads and open descriptors of the component every 30 s.
    func soak(minutes: Double) async throws {
        let figures = component.figures
        let soakProperties = ["topics": "soak", "nameServer": nameServer, "consumerGroup": "soak-app", "consumeFromWhere": "first"]
        _ = try await unary(Self.output + "Init", BindingInitRequest(properties: soakProperties).encoded(), instance: "soak")
        _ = try await unary(Self.input + "Init", BindingInitRequest(properties: soakProperties).encoded(), instance: "soak")
        let end = ContinuousClock.now + .seconds(minutes * 60)
        let counters = SoakCounters()
        let stream = ReadStream(channel: channel, instance: "soak")
        let reader = Task {
            while ContinuousClock.now < end, (try? await stream.next()) != nil { counters.received() }
        }
        let invoke = InvokeRequest(data: [UInt8](repeating: 0x61, count: 1024), operation: "create").encoded()
        let writers = (0..<4).map { _ in
            Task {
                while ContinuousClock.now < end {
                    if (try? await self.unary(Self.output + "Invoke", invoke, instance: "soak")) != nil { counters.sent() } else { counters.failed() }
                    try? await Task.sleep(for: .milliseconds(2))  // moderate, not maximal, load
                }
            }
        }
        print("minute  sent      received  failed  rss_mib  threads  fds")
        let start = ContinuousClock.now
        while ContinuousClock.now < end {
            try await Task.sleep(for: .seconds(30))
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(figures.pid)/fd").count) ?? -1
            let (sent, received, failed) = counters.snapshot
            print(String(format: "%6.1f  %8d  %8d  %6d  %7.1f  %7d  %3d", Benchmark.seconds(ContinuousClock.now - start) / 60, sent, received, failed,
                         Double(figures.residentKiB) / 1024, figures.threads, fds))
        }
        for writer in writers { await writer.value }
        stream.cancel()
        reader.cancel()
    }
}

final class SoakCounters: @unchecked Sendable {  // `counts` guarded by `lock`
    private let lock = NSLock()
    private var counts = (sent: 0, received: 0, failed: 0)
    func sent() { lock.withLock { counts.sent += 1 } }
    func received() { lock.withLock { counts.received += 1 } }
    func failed() { lock.withLock { counts.failed += 1 } }
    var snapshot: (Int, Int, Int) { lock.withLock { (counts.sent, counts.received, counts.failed) } }
}
