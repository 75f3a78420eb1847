import CGRPCCore
import Foundation

/// One call accepted by the server. Owns the `grpc_call` reference and releases it in `deinit`,
/// after every batch on it has completed (each running batch keeps the call alive).
///
/// Follows the core's rule of at most one outstanding send and one outstanding receive:
/// sends (messages and the final status) go through a queue and start one at a time;
/// a call is read either with `receiveMessage`, not called again before the previous one
/// returned, or with one `receiveMessages` loop, never both.
/// `RECV_CLOSE_ON_SERVER` is posted as soon as the call starts, so cancellation, deadline
/// expiry and a vanished client are always seen and reported through `onCancel`.
/// Thread-safe; every method may be called from any task.
public final class ServerCall: @unchecked Sendable {  // grpc_call* owned here, unref'd once in deinit, thread-safe in the core; the cancel state guarded by `lock`
    private let pointer: OpaquePointer  // grpc_call*, one reference owned
    /// The full method path, e.g. `/dapr.proto.components.v1.OutputBinding/Invoke`.
    public let method: String
    /// The request metadata (headers), keys lowercase.
    public let metadata: Metadata
    /// When the client's deadline expires, if it set one.
    public let deadline: ContinuousClock.Instant?

    private let lock = NSLock()
    private var cancelled = false
    private var closed = false
    private var cancelHandlers: [@Sendable () -> Void] = []
    private var streams: CallStreams!  // set once in init, before the call is shared

    init(taking pointer: OpaquePointer, method: String, metadata: Metadata, millisecondsToDeadline: Int64) {
        self.pointer = pointer
        self.method = method
        self.metadata = metadata
        self.deadline = millisecondsToDeadline == Int64.max
            ? nil : ContinuousClock.now.advanced(by: .milliseconds(millisecondsToDeadline))
        streams = CallStreams(call: pointer, owner: self)
    }

    deinit {
        grpc_call_unref(pointer)
    }

    /// True once the call was cancelled by the client, by its deadline or by the server.
    public var isCancelled: Bool {
        lock.lock(); defer { lock.unlock() }
        return cancelled
    }

    /// Runs `handler` once when the call is cancelled (at once if it already was).
    public func onCancel(_ handler: @escaping @Sendable () -> Void) {
        lock.lock()
        if cancelled {
            lock.unlock()
            handler()
            return
        }
        cancelHandlers.append(handler)
        lock.unlock()
    }

    /// Posts RECV_CLOSE_ON_SERVER; called by the server before the handler starts. The batch
    /// keeps the call alive until the call is over.
    func watchForClose() {
        do {
            try OperationBatch([.receiveCloseOnServer]).start(on: pointer) { [self] result in
                markClosed(cancelled: result.cancelled || !result.success)
            }
        } catch {
            markClosed(cancelled: true)
        }
    }

    private func markClosed(cancelled wasCancelled: Bool) {
        lock.lock()
        closed = true
        guard wasCancelled, !cancelled else {
            lock.unlock()
            return
        }
        cancelled = true
        let handlers = cancelHandlers
        cancelHandlers = []
        lock.unlock()
        handlers.forEach { $0() }
    }

    /// Receives the next request message; nil when the client has finished sending.
    /// Throws `GRPCStatus(.cancelled)` when the call was cancelled.
    public func receiveMessage() async throws -> [UInt8]? {
        let result = try await OperationBatch([.receiveMessage]).run(on: pointer)
        if !result.success || (result.message == nil && isCancelled) {
            throw GRPCStatus(.cancelled, "the call was cancelled")
        }
        return result.message
    }

    /// Receives every request message, one receive outstanding at a time, calling `handler` on
    /// the poller thread for each and once with nil when the client has finished sending or the
    /// call ended. `handler` must not block: it hands the message on (a stream of acks resolves
    /// waiting deliveries), which spares a task switch per message.
    public func receiveMessages(_ handler: @escaping @Sendable ([UInt8]?) -> Void) {
        streams.receiveAll(handler)
    }

    /// Sends one response message (with the response headers before the first one).
    public func send(_ message: [UInt8]) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, Error>) in
            send(message) { sent in
                if sent {
                    done.resume()
                } else {
                    done.resume(throwing: GRPCStatus(.cancelled, "the call ended before the message was sent"))
                }
            }
        }
    }

    /// Queues one response message without waiting for it: `completion` runs on the poller
    /// thread (it must not block) with true once the message went out, false if the call ended
    /// first. Messages go out in the order they were queued.
    public func send(_ message: [UInt8], completion: @escaping @Sendable (Bool) -> Void) {
        streams.send(completion) { first in
            first ? [.sendInitialMetadata(Metadata()), .sendMessage(message)] : [.sendMessage(message)]
        }
    }

    /// Ends the call: an optional last message and the status, in one batch, queued after the
    /// messages before it. Nothing waits for it: the batch keeps the call alive until it is done.
    func finish(with status: GRPCStatus, lastMessage: [UInt8]? = nil) {
        streams.send({ _ in }) { first in
            var operations: [Operation] = first ? [.sendInitialMetadata(Metadata())] : []
            if let lastMessage { operations.append(.sendMessage(lastMessage)) }
            operations.append(.sendStatusFromServer(status, trailers: Metadata()))
            return operations
        }
    }

    /// Cancels the call from the server side (the client sees `status`).
    public func cancel(with status: GRPCStatus) {
        _ = grpc_call_cancel_with_status(
            pointer, grpc_status_code(rawValue: status.code.rawValue), status.message, nil)
    }
}
