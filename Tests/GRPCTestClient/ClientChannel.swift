import CGRPCCore
import Foundation
import GRPCCore

/// A client connection on the C core (insecure; for `unix:` and loopback targets), with its own
/// completion queue and poller thread. Used by the tests and the benchmark only; the component
/// itself only serves, so this lives beside the tests, not in GRPCCore. It builds on GRPCCore's
/// package-level pieces (the completion queue, operation batches, call streams) and calls the C
/// core itself only for the channel and its calls. Owns the `grpc_channel`; `close()` destroys it
/// once every call has finished.
public final class ClientChannel: @unchecked Sendable {
    let pointer: OpaquePointer  // grpc_channel*, owned
    let queue: CompletionQueue
    private let lock = NSLock()
    private var closed = false

    /// - Parameter target: e.g. `unix:/tmp/dapr-components-sockets/rocketmq.sock`.
    public init(target: String) {
        GRPCLibrary.retain()
        queue = CompletionQueue()
        let credentials = grpc_insecure_credentials_create()
        pointer = grpc_channel_create(target, credentials, nil)
        grpc_channel_credentials_release(credentials)
        queue.startPolling(name: "grpc-client-cq")
    }

    /// One request, one response (or the failing status, thrown), as a single batch: the call's
    /// headers, message, half-close and every receive complete together, so the caller resumes once.
    public func unary(_ method: String, _ request: [UInt8], metadata: Metadata = Metadata(), timeout: Duration? = nil) async throws -> [UInt8] {
        try await withCheckedThrowingContinuation { continuation in
            unary(method, request, metadata: metadata, timeout: timeout) { continuation.resume(with: $0) }
        }
    }

    /// The same call with a completion instead of a suspension: `completion` runs on the poller
    /// thread (it must not block) with the response or the failing status. A caller can start its
    /// next call from there, with no task switch in between.
    public func unary(_ method: String, _ request: [UInt8], metadata: Metadata = Metadata(), timeout: Duration? = nil,
                      completion: @escaping @Sendable (Result<[UInt8], GRPCStatus>) -> Void) {
        let call = ClientCall(taking: createCall(method, timeout: timeout), channel: self, metadata: nil)
        call.unary(request, metadata: metadata, completion: completion)
    }

    /// Starts a streaming call of `method` (`/package.Service/Method`); `timeout` nil for none.
    public func makeCall(_ method: String, metadata: Metadata = Metadata(), timeout: Duration? = nil) -> ClientCall {
        ClientCall(taking: createCall(method, timeout: timeout), channel: self, metadata: metadata)
    }

    private func createCall(_ method: String, timeout: Duration?) -> OpaquePointer {
        let milliseconds = timeout.map { Int64($0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000) } ?? -1
        let methodSlice = grpc_slice_from_copied_string(method)
        defer { grpc_slice_unref(methodSlice) }
        return grpc_channel_create_call(pointer, nil, cgrpc_propagate_defaults(), queue.pointer, methodSlice, nil,
                                        cgrpc_deadline_in(milliseconds), nil)!
    }

    /// Destroys the channel and stops its poller; call after every call has completed. Idempotent.
    public func close() async {
        let first: Bool = lock.withLock {
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        grpc_channel_destroy(pointer)
        await queue.shutdownAndDrain()
        GRPCLibrary.release()
    }
}

/// One client call. Owns the `grpc_call` reference. At most one send and one receive at a time.
public final class ClientCall: @unchecked Sendable {
    private let pointer: OpaquePointer  // grpc_call*, one reference owned
    private let channel: ClientChannel  // keeps the channel alive while the call lives
    private let finalStatus = OneShotValue<GRPCStatus>()
    private var streams: CallStreams!  // set once in init, before the call is shared

    /// `metadata` nil: a unary call, whose one batch carries the headers and the status.
    init(taking pointer: OpaquePointer, channel: ClientChannel, metadata: Metadata?) {
        self.pointer = pointer
        self.channel = channel
        streams = CallStreams(call: pointer, owner: self)
        guard let metadata else { return }
        // Headers go out and the status is awaited from the start, so a failure is always seen.
        let batch = OperationBatch([.sendInitialMetadata(metadata), .receiveInitialMetadata, .receiveStatusOnClient])
        do {
            try batch.start(on: pointer) { [finalStatus] result in
                finalStatus.set(result.status ?? GRPCStatus(.unknown, "the call ended without a status"))
            }
        } catch {
            finalStatus.set(GRPCStatus(.unknown, "the call could not start: \(error)"))
        }
    }

    deinit {
        grpc_call_unref(pointer)
    }

    /// The batch's completion keeps the call alive until the answer is in.
    fileprivate func unary(_ request: [UInt8], metadata: Metadata, completion: @escaping @Sendable (Result<[UInt8], GRPCStatus>) -> Void) {
        let batch = OperationBatch([
            .sendInitialMetadata(metadata), .sendMessage(request), .sendCloseFromClient,
            .receiveInitialMetadata, .receiveMessage, .receiveStatusOnClient,
        ])
        do {
            try batch.start(on: pointer) { [self] result in
                let status = result.status ?? GRPCStatus(.unknown, "the call ended without a status")
                finalStatus.set(status)
                if status.code == .ok, let message = result.message {
                    completion(.success(message))
                } else {
                    completion(.failure(status))
                }
            }
        } catch {
            completion(.failure(GRPCStatus(.unknown, "the call could not start: \(error)")))
        }
    }

    public func send(_ message: [UInt8]) async throws {
        let result = try await OperationBatch([.sendMessage(message)]).run(on: pointer)
        if !result.success { throw await finalStatus.value }
    }

    /// Queues a message without waiting; `completion` (on the poller thread, must not block) gets
    /// whether it went out. Do not mix with the async `send` on one call.
    public func send(_ message: [UInt8], completion: @escaping @Sendable (Bool) -> Void) {
        streams.send(completion) { _ in [.sendMessage(message)] }
    }

    /// Receives every response message, calling `handler` on the poller thread (it must not
    /// block) for each and once with nil at the end. Do not mix with `receive` on one call.
    public func receiveMessages(_ handler: @escaping @Sendable ([UInt8]?) -> Void) {
        streams.receiveAll(handler)
    }

    /// The next response message; nil once the server has finished.
    public func receive() async throws -> [UInt8]? {
        let result = try await OperationBatch([.receiveMessage]).run(on: pointer)
        return result.message
    }

    public func closeSending() async throws {
        _ = try await OperationBatch([.sendCloseFromClient]).run(on: pointer)
    }

    public func cancel() {
        grpc_call_cancel(pointer, nil)
    }

    /// The final status (waits for the call to end).
    public var status: GRPCStatus {
        get async { await finalStatus.value }
    }
}

/// A value set once (from the poller) and awaited by any number of tasks.
final class OneShotValue<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value?
    private var waiters: [CheckedContinuation<Value, Never>] = []

    func set(_ value: Value) {
        let waiting: [CheckedContinuation<Value, Never>] = lock.withLock {
            guard stored == nil else { return [] }
            stored = value
            defer { waiters = [] }
            return waiters
        }
        waiting.forEach { $0.resume(returning: value) }
    }

    var value: Value {
        get async {
            await withCheckedContinuation { continuation in
                let now: Value? = lock.withLock {
                    if let stored { return stored }
                    waiters.append(continuation)
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        }
    }
}
