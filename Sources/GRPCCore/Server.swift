import CGRPCCore
import Foundation
import Logging

/// A gRPC server on the C core: registered methods served by Swift async handlers.
///
/// One completion queue and one poller thread serve every call; handlers run as Swift tasks.
/// Unary calls are bound to a callback queue, so that answering one (usually written and
/// completed on the handler's own thread) does not wake the poller.
/// For each registered method several calls are requested from the core ahead of time, and each
/// accepted call is replaced by a new request as soon as its handler is started. Calls to
/// unregistered methods are answered with `UNIMPLEMENTED`. Messages over
/// `maxReceiveMessageLength` are refused by the core with `RESOURCE_EXHAUSTED`.
public final class Server: @unchecked Sendable {  // grpc_server* owned here, thread-safe in the core; `state`, `methods` guarded by `lock`
    public struct Configuration: Sendable {
        public var maxReceiveMessageLength: Int32 = 16 * 1024 * 1024
        public var maxSendMessageLength: Int32 = 16 * 1024 * 1024
        /// Calls requested from the core in advance, per method.
        public var requestsAheadPerMethod = 8
        /// The executor unary handlers prefer; nil: the global executor. Never the poller thread.
        public var unaryHandlerExecutor: (any TaskExecutor)?

        public init() {}
    }

    /// A unary handler gets the request message and returns the response message.
    public typealias UnaryHandler = @Sendable (ServerCall, [UInt8]) async throws -> [UInt8]
    /// A streaming handler reads and writes through the call until it returns.
    public typealias StreamingHandler = @Sendable (ServerCall) async throws -> Void

    public enum Handler: Sendable {
        case unary(UnaryHandler)
        case bidirectionalStreaming(StreamingHandler)

        var isUnary: Bool { if case .unary = self { true } else { false } }
    }

    private let configuration: Configuration
    private let logger: Logger
    private let server: OpaquePointer  // grpc_server*, owned until shutdown
    private let queue: CompletionQueue
    private let unaryCallQueue: CallbackCompletionQueue
    /// Appended under `lock` before `start` only (`register` refuses afterwards); fixed from then on.
    private var methods: [(path: String, handler: Handler, registration: UnsafeMutableRawPointer)] = []
    private let lock = NSLock()
    private var state = State.created
    private let stopped = OneShotEvent()

    private enum State { case created, started, shuttingDown, stopped }

    public init(configuration: Configuration = Configuration(), logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        GRPCLibrary.retain()
        queue = CompletionQueue()
        unaryCallQueue = CallbackCompletionQueue()  // after `retain()`: a queue needs an initialised core
        let keys = [strdup("grpc.max_receive_message_length")!, strdup("grpc.max_send_message_length")!]
        defer { keys.forEach { free($0) } }
        var args = [
            cgrpc_integer_arg(keys[0], configuration.maxReceiveMessageLength),
            cgrpc_integer_arg(keys[1], configuration.maxSendMessageLength),
        ]
        server = args.withUnsafeMutableBufferPointer { buffer in
            var channelArgs = grpc_channel_args(num_args: buffer.count, args: buffer.baseAddress)
            return grpc_server_create(&channelArgs, nil)
        }
        grpc_server_register_completion_queue(server, queue.pointer, nil)
    }

    /// Registers `path` (e.g. `/package.Service/Method`). Only before `start`.
    public func register(_ path: String, _ handler: Handler) throws {
        lock.lock(); defer { lock.unlock() }
        guard state == .created else { throw CoreError.invalidState("methods must be registered before start") }
        let payload = handler.isUnary ? GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER : GRPC_SRM_PAYLOAD_NONE
        guard let registration = grpc_server_register_method(server, path, nil, payload, 0) else {
            throw CoreError.invalidState("could not register \(path)")
        }
        methods.append((path, handler, registration))
    }

    /// Binds `address` (e.g. `unix:/tmp/x.sock`), starts the poller and begins accepting calls.
    public func start(listeningOn address: String) throws {
        lock.lock()
        guard state == .created else {
            lock.unlock()
            throw CoreError.invalidState("the server was already started")
        }
        let credentials = grpc_insecure_server_credentials_create()
        let port = grpc_server_add_http2_port(server, address, credentials)
        grpc_server_credentials_release(credentials)
        guard port != 0 else {
            lock.unlock()
            throw CoreError.bindFailed(address: address)
        }
        state = .started
        lock.unlock()
        queue.startPolling(name: "grpc-server-cq")
        grpc_server_start(server)
        for method in methods {
            for _ in 0..<configuration.requestsAheadPerMethod { requestCall(for: method) }
        }
        for _ in 0..<2 { requestUnregisteredCall() }
    }

    private var isAccepting: Bool { lock.withLock { state == .started } }

    // MARK: - Accepting calls

    private func requestCall(for method: (path: String, handler: Handler, registration: UnsafeMutableRawPointer)) {
        let unary = method.handler.isUnary
        let request = RequestedCall(unary: unary)
        let tag = ClosureTag { [self] success in
            guard success, let call = request.call else { return }  // failure: the server is shutting down
            let serverCall = ServerCall(
                taking: call, method: method.path, metadata: Metadata(copying: request.metadata.pointer),
                millisecondsToDeadline: cgrpc_milliseconds_until(request.deadline.pointee))
            let payload = request.takePayload()
            handle(serverCall, handler: method.handler, payload: payload)
            // Requested after the handler is on its way, not before: the replacement is off the
            // call's critical path, and `requestsAheadPerMethod` others are still waiting.
            if isAccepting { requestCall(for: method) }
        }
        let pointer = tag.retainedPointer()
        let error = grpc_server_request_registered_call(
            server, method.registration, request.callSlot, request.deadline, request.metadata.pointer,
            request.payloadSlot, unary ? unaryCallQueue.pointer : queue.pointer, queue.pointer, pointer)
        if error != GRPC_CALL_OK {
            CompletionTag.releaseUnused(pointer)
            logger.error("could not request a call", metadata: ["method": "\(method.path)", "grpc_call_error": "\(error.rawValue)"])
        }
    }

    private func requestUnregisteredCall() {
        let request = RequestedCall(unary: false)
        let details = UnsafeMutablePointer<grpc_call_details>.allocate(capacity: 1)
        grpc_call_details_init(details)
        let tag = ClosureTag { [self] success in
            defer {
                grpc_call_details_destroy(details)
                details.deallocate()
            }
            guard success, let call = request.call else { return }
            if isAccepting { requestUnregisteredCall() }
            let path = withUnsafePointer(to: details.pointee.method) { CoreByteBuffer.string($0) }
            let serverCall = ServerCall(
                taking: call, method: path, metadata: Metadata(copying: request.metadata.pointer),
                millisecondsToDeadline: cgrpc_milliseconds_until(details.pointee.deadline))
            logger.debug("unknown method", metadata: ["method": "\(path)"])
            serverCall.watchForClose()
            serverCall.finish(with: GRPCStatus(.unimplemented, "unknown method \(path)"))
        }
        let pointer = tag.retainedPointer()
        let error = grpc_server_request_call(
            server, request.callSlot, details, request.metadata.pointer, queue.pointer, queue.pointer, pointer)
        if error != GRPC_CALL_OK {
            CompletionTag.releaseUnused(pointer)
            logger.error("could not request an unregistered call", metadata: ["grpc_call_error": "\(error.rawValue)"])
        }
    }

    /// Unary handlers run as tasks preferring `unaryHandlerExecutor`, so that one whose work lives
    /// on that executor (a reply read on an event loop) starts, resumes and answers there without
    /// further thread hand-offs. Streaming handlers are long-lived and run as ordinary tasks.
    private func handle(_ call: ServerCall, handler: Handler, payload: [UInt8]?) {
        call.watchForClose()
        let task: Task<Void, Never>
        switch handler {
        case .unary(let unary):
            task = Task(executorPreference: configuration.unaryHandlerExecutor) { [self] in
                await run(call) {
                    guard let payload else {
                        throw GRPCStatus(.invalidArgument, "a unary call needs exactly one request message")
                    }
                    return try await unary(call, payload)
                }
            }
        case .bidirectionalStreaming(let streaming):
            task = Task { [self] in
                await run(call) {
                    try await streaming(call)
                    return nil
                }
            }
        }
        call.onCancel { task.cancel() }
    }

    /// Runs a handler and ends the call with its response, or with the status it threw.
    private func run(_ call: ServerCall, _ body: () async throws -> [UInt8]?) async {
        let status: GRPCStatus
        var response: [UInt8]?
        do {
            response = try await body()
            status = .ok
        } catch let error as GRPCStatus {
            status = error
        } catch {
            if !call.isCancelled {  // a cancelled call's handler failing is expected, not a bug
                logger.error("handler failed", metadata: ["method": "\(call.method)", "error": "\(error)"])
            }
            status = GRPCStatus(.internal, "internal error")
        }
        if !call.isCancelled {
            call.finish(with: status, lastMessage: status.code == .ok ? response : nil)
        }
    }

    // MARK: - Shutdown

    /// Stops accepting calls, gives running calls `gracePeriod` to finish, cancels the rest,
    /// then tears everything down in the core's order: shutdown_and_notify → cancel_all_calls →
    /// drain → destroy → queue shutdowns → drains → grpc_shutdown. Idempotent.
    public func shutdown(gracePeriod: Duration) async {
        let wasStarted: Bool? = lock.withLock {
            guard state == .started || state == .created else { return nil }
            defer { state = .shuttingDown }
            return state == .started
        }
        guard let wasStarted else {
            await stopped.wait()
            return
        }

        if wasStarted {
            let notified = OneShotEvent()
            let tag = ClosureTag { _ in notified.signal() }
            grpc_server_shutdown_and_notify(server, queue.pointer, tag.retainedPointer())
            let finishedInTime = await notified.wait(timeout: gracePeriod)
            if !finishedInTime {
                logger.info("cancelling calls still running after the grace period")
            }
            grpc_server_cancel_all_calls(server)
            await notified.wait()
        }
        grpc_server_destroy(server)
        if wasStarted { await queue.shutdownAndDrain() }
        await unaryCallQueue.shutdownAndDrain()
        GRPCLibrary.release()
        lock.withLock { state = .stopped }
        stopped.signal()
    }
}

/// The out-parameters of one `grpc_server_request_(registered_)call`, owned until the tag fires.
/// Not Sendable: it is handed over once, through the core, from the requesting thread to the
/// tag's completion, never shared.
private final class RequestedCall {
    let callSlot = UnsafeMutablePointer<OpaquePointer?>.allocate(capacity: 1)
    let deadline = UnsafeMutablePointer<gpr_timespec>.allocate(capacity: 1)
    let metadata = ReceivedMetadataArray()
    let payloadSlot: UnsafeMutablePointer<UnsafeMutablePointer<grpc_byte_buffer>?>?

    init(unary: Bool) {
        callSlot.initialize(to: nil)
        deadline.initialize(to: gpr_timespec())
        if unary {
            payloadSlot = .allocate(capacity: 1)
            payloadSlot?.initialize(to: nil)
        } else {
            payloadSlot = nil
        }
    }

    var call: OpaquePointer? { callSlot.pointee }

    /// The request message of a unary call, copied out; the buffer is destroyed here.
    func takePayload() -> [UInt8]? {
        guard let slot = payloadSlot, let buffer = slot.pointee else { return nil }
        slot.pointee = nil
        return CoreByteBuffer(taking: buffer).bytes()
    }

    deinit {
        if let slot = payloadSlot {
            if let buffer = slot.pointee { grpc_byte_buffer_destroy(buffer) }
            slot.deallocate()
        }
        callSlot.deallocate()
        deadline.deallocate()
    }
}
