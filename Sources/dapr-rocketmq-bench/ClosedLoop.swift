import Foundation

/// Runs `count` calls, `concurrency` at a time, each slot starting its next call from the
/// completion of its last one, on whichever thread completed it (the gRPC client's poller). The
/// load client thus adds no task switch per call, as a completion-driven gRPC benchmark client
/// does; the figures are the component's.
final class ClosedLoop: @unchecked Sendable {  // every var guarded by `lock`
    typealias Call = (_ done: @escaping @Sendable (Error?) -> Void) -> Void

    private let lock = NSLock()
    private var remaining: Int
    private var running: Int
    private var recorder = LatencyRecorder()
    private var firstError: Error?
    private var finished: CheckedContinuation<Void, Never>?
    private let call: Call

    private init(count: Int, concurrency: Int, call: @escaping Call) {
        remaining = count
        running = concurrency
        self.call = call
    }

    /// The latencies and the wall time; throws the first failure, after every call has ended.
    static func run(count: Int, concurrency: Int, _ call: @escaping Call) async throws -> (LatencyRecorder, Double) {
        let loop = ClosedLoop(count: count, concurrency: concurrency, call: call)
        let start = ContinuousClock.now
        await withCheckedContinuation { continuation in
            loop.lock.withLock { loop.finished = continuation }
            for _ in 0..<concurrency { loop.startNext() }
        }
        if let error = loop.firstError { throw error }
        return (loop.recorder, Benchmark.seconds(ContinuousClock.now - start))
    }

    private func startNext() {
        enum Next { case call, slotDone, allDone(CheckedContinuation<Void, Never>?) }
        let next: Next = lock.withLock {
            if remaining > 0 {
                remaining -= 1
                return .call
            }
            running -= 1
            guard running == 0 else { return .slotDone }
            defer { finished = nil }
            return .allDone(finished)
        }
        switch next {
        case .slotDone: return
        case .allDone(let continuation): return continuation?.resume() ?? ()
        case .call: break
        }
        let begin = ContinuousClock.now
        call { [self] error in
            let elapsed = ContinuousClock.now - begin
            lock.withLock {
                recorder.record(elapsed)
                if let error, firstError == nil { firstError = error }
            }
            startNext()
        }
    }
}
