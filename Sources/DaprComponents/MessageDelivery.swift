import DaprProto
import Foundation

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

/// One `InputBinding/Read` stream seen from the binding: send a message, await its ack.
///
/// Each delivery gets a fresh `message_id`; its entry in the ack table leaves on the ack, on the
/// timeout or when the stream ends — the table always empties. Acks may come in any order.
/// Thread-safe: `deliver` may be called from many tasks at once.
public final class MessageDelivery: @unchecked Sendable {
    private let send: @Sendable (ReadResponse) async throws -> Void
    private let lock = NSLock()
    private struct Pending {
        let continuation: CheckedContinuation<AckOutcome, Never>
        /// Sends the message, then expires it; cancelled when the message is resolved.
        var sendAndExpire: Task<Void, Never>?
    }

    private var pending: [String: Pending] = [:]
    private var isEnded = false
    private var isDraining = false
    private var endWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var idleWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiter = 0

    init(send: @escaping @Sendable (ReadResponse) async throws -> Void) {
        self.send = send
    }

    /// True once the stream has ended (daprd cancelled it, closed it, or the server stops).
    public var ended: Bool { lock.withLock { isEnded } }

    /// True once the server is shutting down: deliver nothing new, let in-flight acks arrive.
    public var draining: Bool { lock.withLock { isDraining || isEnded } }

    func startDraining() { lock.withLock { isDraining = true } }

    /// Number of messages delivered and not yet acked.
    public var inFlight: Int { lock.withLock { pending.count } }

    /// Sends one message and waits for daprd's ack, at most `timeout`.
    public func deliver(data: [UInt8], metadata: [String: String], contentType: String, timeout: Duration) async -> AckOutcome {
        let messageID = UUID().uuidString
        let outcome: AckOutcome = await withCheckedContinuation { continuation in
            let accepted = lock.withLock {
                guard !isEnded else { return false }
                pending[messageID] = Pending(continuation: continuation)
                return true
            }
            guard accepted else {
                continuation.resume(returning: .streamEnded)
                return
            }
            let task = Task {
                do {
                    try await send(ReadResponse(data: data, metadata: metadata, contentType: contentType, messageID: messageID))
                } catch {
                    resolve(messageID, with: .streamEnded)
                    return
                }
                do {
                    try await Task.sleep(for: timeout)
                    resolve(messageID, with: .timedOut)
                } catch {}  // cancelled: the message was resolved
            }
            let alreadyResolved: Bool = lock.withLock {
                guard pending[messageID] != nil else { return true }
                pending[messageID]?.sendAndExpire = task
                return false
            }
            if alreadyResolved { task.cancel() }
        }
        return outcome
    }

    /// Routes one ack from daprd. Returns false for an unknown (or late) `message_id`.
    @discardableResult
    func acknowledge(_ ack: ReadRequest) -> Bool {
        let outcome: AckOutcome = ack.responseError.map { .failure(message: $0) } ?? .success(responseData: ack.responseData)
        return resolve(ack.messageID, with: outcome)
    }

    @discardableResult
    private func resolve(_ messageID: String, with outcome: AckOutcome) -> Bool {
        let (removed, idle): (Pending?, [CheckedContinuation<Void, Never>]) = lock.withLock {
            let removed = pending.removeValue(forKey: messageID)
            guard pending.isEmpty else { return (removed, []) }
            defer { idleWaiters = [:] }
            return (removed, Array(idleWaiters.values))
        }
        idle.forEach { $0.resume() }
        guard let entry = removed else { return false }
        entry.sendAndExpire?.cancel()
        entry.continuation.resume(returning: outcome)
        return true
    }

    /// Ends the stream: every waiting delivery returns `.streamEnded`; later ones too.
    func end() {
        let (waiting, endWaiters): ([Pending], [CheckedContinuation<Void, Never>]) = lock.withLock {
            isEnded = true
            defer { pending = [:]; self.endWaiters = [:]; idleWaiters = [:] }
            return (Array(pending.values), Array(self.endWaiters.values) + Array(idleWaiters.values))
        }
        for entry in waiting {
            entry.sendAndExpire?.cancel()
            entry.continuation.resume(returning: .streamEnded)
        }
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
    private func wait(in waiters: ReferenceWritableKeyPath<MessageDelivery, [Int: CheckedContinuation<Void, Never>]>,
                      until done: @escaping (MessageDelivery) -> Bool) async {
        let id: Int = lock.withLock { nextWaiter += 1; return nextWaiter }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now: Bool = lock.withLock {
                    if done(self) || Task.isCancelled { return true }
                    self[keyPath: waiters][id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            lock.withLock { self[keyPath: waiters].removeValue(forKey: id) }?.resume()
        }
    }
}
