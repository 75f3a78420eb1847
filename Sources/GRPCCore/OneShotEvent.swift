import Foundation

/// A one-shot event: any thread may `signal()` it (the poller does), any number of tasks may
/// await it. Awaiting is cancellable, which is what makes `wait(timeout:)` possible.
final class OneShotEvent: Sendable {
    private struct State {
        var signalled = false
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = LockedValueBox(State())

    func signal() {
        let waiting: [CheckedContinuation<Void, Never>] = state.withLockedValue { state in
            state.signalled = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        waiting.forEach { $0.resume() }
    }

    var isSignalled: Bool { state.withLockedValue { $0.signalled } }

    /// Returns once signalled, or as soon as the awaiting task is cancelled.
    func wait() async {
        let id: Int = state.withLockedValue { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow: Bool = state.withLockedValue { state in
                    if state.signalled || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLockedValue { $0.waiters.removeValue(forKey: id) }?.resume()
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
