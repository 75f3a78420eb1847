import Foundation

/// A one-shot event: any thread may `signal()` it (the poller does), any number of tasks may
/// await it. Awaiting is cancellable, which is what makes `wait(timeout:)` possible.
final class OneShotEvent: @unchecked Sendable {
    private let lock = NSLock()
    private var signalled = false
    private var nextWaiter = 0
    private var waiters: [Int: CheckedContinuation<Void, Never>] = [:]

    func signal() {
        let waiting: [CheckedContinuation<Void, Never>] = lock.withLock {
            signalled = true
            defer { waiters = [:] }
            return Array(waiters.values)
        }
        waiting.forEach { $0.resume() }
    }

    var isSignalled: Bool { lock.withLock { signalled } }

    /// Returns once signalled, or as soon as the awaiting task is cancelled.
    func wait() async {
        let id: Int = lock.withLock { nextWaiter += 1; return nextWaiter }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow: Bool = lock.withLock {
                    if signalled || Task.isCancelled { return true }
                    waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            lock.withLock { waiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// True if signalled within `timeout`.
    func wait(timeout: Duration) async -> Bool {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        return isSignalled
    }
}
