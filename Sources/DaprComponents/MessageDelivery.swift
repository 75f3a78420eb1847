import DaprProto
import GRPCCore

/// What daprd answered for one delivered message.
public enum AckOutcome: Sendable, Equatable {
    /// The application handled it; `responseData` is the app's reply (unused by bindings).
    case success(responseData: [UInt8])
    /// The application failed; the message must come again.
    case failure(message: String)
    /// No ack within the consume timeout; treat as a failure.
    case timedOut
    /// The stream ended before an ack arrived; the message must come again.
    case streamEnded
}

/// One `InputBinding/Read` stream seen from the binding: send a message, learn of its ack.
///
/// Each delivery gets a fresh `message_id`; its entry in the ack table leaves on the ack, on the
/// timeout or when the stream ends — the table always empties. Acks may come in any order.
/// Thread-safe: `deliver` may be called from many tasks at once.
public final class MessageDelivery: Sendable {
    private let send: @Sendable (ReadResponse, @escaping @Sendable (Bool) -> Void) -> Void
    private struct Pending {
        /// Called once with daprd's answer (or the timeout, or the stream's end).
        let completion: @Sendable (AckOutcome) -> Void
        let expires: ContinuousClock.Instant
    }

    private typealias Waiters = [Int: CheckedContinuation<Void, Never>]

    private struct State {
        var pending: [String: Pending] = [:]
        var isEnded = false
        var isDraining = false
        var endWaiters: Waiters = [:]
        var idleWaiters: Waiters = [:]
        /// One task expires unacked messages for the whole stream (not a timer per message).
        var expirySweeper: Task<Void, Never>?
        var nextWaiter = 0
        var sequence: UInt64 = 0
    }

    private let state = LockedValueBox(State())
    /// Message ids are unique within the stream: a random prefix and a sequence number (cheaper
    /// than a UUID per message, which reads the system's random source each time).
    private let idPrefix = String(UInt32.random(in: .min ... .max), radix: 16) + "-"

    /// `send` starts sending one message without waiting and calls back with whether it went out.
    init(send: @escaping @Sendable (ReadResponse, _ sent: @escaping @Sendable (Bool) -> Void) -> Void) {
        self.send = send
    }

    /// True once the stream has ended (daprd cancelled it, closed it, or the server stops).
    public var ended: Bool { state.withLockedValue { $0.isEnded } }

    /// True once the server is shutting down: deliver nothing new, let in-flight acks arrive.
    public var draining: Bool { state.withLockedValue { $0.isDraining || $0.isEnded } }

    func startDraining() { state.withLockedValue { $0.isDraining = true } }

    /// Number of messages delivered and not yet acked.
    public var inFlight: Int { state.withLockedValue { $0.pending.count } }

    /// Sends one message and waits for daprd's ack, at most `timeout` (then `.timedOut`).
    public func deliver(data: [UInt8], metadata: [String: String], contentType: String, timeout: Duration) async -> AckOutcome {
        await withCheckedContinuation { continuation in
            deliver(data: data, metadata: metadata, contentType: contentType, timeout: timeout) { continuation.resume(returning: $0) }
        }
    }

    /// Sends one message without waiting; `completion` runs once with daprd's ack, `.timedOut`
    /// after `timeout`, or `.streamEnded`. It runs on whichever thread resolves the delivery (the
    /// gRPC poller for an ack, at once for a stream that already ended) and must not block. A
    /// stream delivering many messages uses this form: no task waits per message.
    public func deliver(
        data: [UInt8], metadata: [String: String], contentType: String, timeout: Duration,
        completion: @escaping @Sendable (AckOutcome) -> Void
    ) {
        // Registered before sending, so even an instant ack finds its entry.
        let messageID: String? = state.withLockedValue { state in
            guard !state.isEnded else { return nil }
            state.sequence += 1
            let messageID = idPrefix + String(state.sequence)
            state.pending[messageID] = Pending(completion: completion, expires: .now + timeout)
            if state.expirySweeper == nil {
                state.expirySweeper = Task { [weak self] in await self?.sweepExpired(every: timeout / 60) }
            }
            return messageID
        }
        guard let messageID else { return completion(.streamEnded) }
        send(ReadResponse(data: data, metadata: metadata, contentType: contentType, messageID: messageID)) { [weak self] sent in
            if !sent { self?.resolve(messageID, with: .streamEnded) }
        }
    }

    /// Resolves messages whose ack is overdue, until the stream ends.
    private func sweepExpired(every interval: Duration) async {
        let period = max(interval, .milliseconds(10))
        while !ended {
            try? await Task.sleep(for: period)
            let now = ContinuousClock.now
            let overdue = state.withLockedValue { $0.pending.filter { $0.value.expires <= now }.map(\.key) }
            for messageID in overdue { resolve(messageID, with: .timedOut) }
        }
    }

    /// Routes one ack from daprd. Returns false for an unknown (or late) `message_id`.
    @discardableResult
    func acknowledge(_ ack: ReadRequest) -> Bool {
        let outcome: AckOutcome = ack.responseError.map { .failure(message: $0) } ?? .success(responseData: ack.responseData)
        return resolve(ack.messageID, with: outcome)
    }

    @discardableResult
    private func resolve(_ messageID: String, with outcome: AckOutcome) -> Bool {
        guard let entry = state.withLockedValue({ $0.pending.removeValue(forKey: messageID) }) else { return false }  // unknown, or already resolved
        finishedOne()
        entry.completion(outcome)
        return true
    }

    /// Wakes `waitUntilAcked` callers once nothing is pending.
    private func finishedOne() {
        let idle: [CheckedContinuation<Void, Never>] = state.withLockedValue { state in
            guard state.pending.isEmpty else { return [] }
            defer { state.idleWaiters = [:] }
            return Array(state.idleWaiters.values)
        }
        idle.forEach { $0.resume() }
    }

    /// Ends the stream: every waiting delivery returns `.streamEnded`; later ones too.
    func end() {
        let (waiting, endWaiters, sweeper) = state.withLockedValue { state in
            state.isEnded = true
            defer { state.pending = [:]; state.endWaiters = [:]; state.idleWaiters = [:]; state.expirySweeper = nil }
            return (Array(state.pending.values), Array(state.endWaiters.values) + Array(state.idleWaiters.values), state.expirySweeper)
        }
        sweeper?.cancel()
        for entry in waiting { entry.completion(.streamEnded) }
        endWaiters.forEach { $0.resume() }
    }

    /// Returns when the stream has ended, or as soon as the waiting task is cancelled.
    public func waitUntilEnded() async {
        await wait(in: \.endWaiters) { $0.isEnded }
    }

    /// Returns when no delivered message awaits its ack (or the stream ended), at most `timeout`.
    func waitUntilAcked(timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait(in: \.idleWaiters) { $0.pending.isEmpty || $0.isEnded } }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Parks the task in `waiters` unless `done` already holds; cancellation resumes it.
    private func wait(in waiters: WritableKeyPath<State, Waiters> & Sendable, until done: (State) -> Bool) async {
        let id: Int = state.withLockedValue { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now: Bool = state.withLockedValue { state in
                    if done(state) || Task.isCancelled { return true }
                    state[keyPath: waiters][id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLockedValue { $0[keyPath: waiters].removeValue(forKey: id) }?.resume()
        }
    }
}
