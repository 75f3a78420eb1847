import DaprProto
import Foundation
import GRPCCore
import Logging

/// Serves Dapr's `InputBinding` and `OutputBinding` services, plus server reflection
/// (v1alpha, which daprd's discovery uses, and v1), on one Unix socket.
///
/// Every call is routed to a component instance by its `x-component-instance` header (the
/// component's YAML name; a call without it uses a default instance). Handlers are thin: decode,
/// find the instance, call it, encode; errors become statuses in `ComponentError.grpcStatus`.
public final class ComponentServer: Sendable {
    public static let instanceHeader = "x-component-instance"
    static let defaultInstance = "#default"
    static let inputService = "dapr.proto.components.v1.InputBinding"
    static let outputService = "dapr.proto.components.v1.OutputBinding"
    static let reflectionServices = ["grpc.reflection.v1alpha.ServerReflection", "grpc.reflection.v1.ServerReflection"]

    public struct Configuration: Sendable {
        public var socket: ComponentSocket
        /// The largest request message accepted; larger ones get RESOURCE_EXHAUSTED.
        public var maxReceiveMessageLength: Int32 = 16 * 1024 * 1024
        /// How long in-flight calls and acks may take to finish at shutdown.
        public var shutdownGracePeriod: Duration = .seconds(10)
        /// The executor unary handlers prefer (`Server.Configuration`); nil: the global executor.
        public var unaryHandlerExecutor: (any TaskExecutor)?
        /// Where the instances daprd initialised are recorded, so that a restarted component can
        /// tell a call for an instance of an earlier process (`InstanceJournal`); nil: not kept.
        public var instanceJournalPath: String?

        public init(socket: ComponentSocket) {
            self.socket = socket
            instanceJournalPath = socket.instanceJournalPath
        }
    }

    private let configuration: Configuration
    private let factory: BindingFactory
    private let logger: Logger
    private let server: Server
    private let inputs = InstanceRegistry<InputBindingComponent>()
    private let outputs = InstanceRegistry<OutputBindingComponent>()
    private let readSessions = InstanceRegistry<MessageDelivery>()
    private let journal: InstanceJournalFile
    private let descriptors = FileDescriptorIndex.embedded
    private let calls = CallMetrics()

    public init(configuration: Configuration, factory: BindingFactory, logger: Logger) {
        self.configuration = configuration
        self.factory = factory
        self.logger = logger
        var serverConfiguration = Server.Configuration()
        serverConfiguration.maxReceiveMessageLength = configuration.maxReceiveMessageLength
        serverConfiguration.unaryHandlerExecutor = configuration.unaryHandlerExecutor
        server = Server(configuration: serverConfiguration, logger: logger)
        journal = InstanceJournalFile(path: configuration.instanceJournalPath, logger: logger)
    }

    /// Prepares the socket, reads the instance journal, registers every method and starts serving.
    public func start() throws {
        try configuration.socket.prepare()
        journal.load()
        try registerBindingMethods()
        for service in Self.reflectionServices {
            try server.register("/\(service)/ServerReflectionInfo", .bidirectionalStreaming { [self] call in
                try await serveReflection(call)
            })
        }
        try configuration.socket.prepareStaging()
        try server.start(listeningOn: "unix:" + configuration.socket.stagingPath)
        try configuration.socket.publishStaged()
        let socket = configuration.socket
        logger.info("serving Dapr bindings as component type bindings.\(socket.name) (InputBinding, OutputBinding) on \(socket.path)")
    }

    /// Graceful stop: refuse new calls, let Read streams drain their acks (bounded), end them,
    /// close every instance (offsets persisted, clients unregistered), remove the socket.
    public func stop() async {
        let grace = configuration.shutdownGracePeriod
        async let serverStopped: Void = server.shutdown(gracePeriod: grace)
        let sessions = readSessions.removeAll()
        sessions.forEach { $0.startDraining() }
        await withTaskGroup(of: Void.self) { group in
            for session in sessions {
                group.addTask {
                    await session.waitUntilAcked(timeout: grace / 2)
                    session.end()
                }
            }
        }
        await serverStopped
        for input in inputs.removeAll() { await input.close() }
        for output in outputs.removeAll() { await output.close() }
        configuration.socket.remove()
        logger.info("stopped", metadata: ["socket": "\(configuration.socket.path)"])
    }

    // MARK: - Binding services

    private func instanceName(_ call: ServerCall) -> String {
        call.metadata[Self.instanceHeader].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultInstance
    }

    private func unary<Request: ProtoMessage>(
        _ path: String, _ type: Request.Type,
        _ body: @escaping @Sendable (String, Request) async throws -> ProtoMessage
    ) throws {
        try server.register(path, .unary { [self] call, bytes in
            let instance = instanceName(call)
            do {
                let request: Request
                do {
                    request = try Request(decoding: bytes)
                } catch {
                    throw ComponentError.invalidArgument("\(error) in \(path)")
                }
                let answer = try await body(instance, request).encoded()
                calls.finished(path, status: StatusCode.ok.description)
                return answer
            } catch {
                let status = ComponentError.grpcStatus(for: error)
                logger.debug("call failed", metadata: ["method": "\(path)", "instance": "\(instance)", "status": "\(status)"])
                calls.finished(path, status: status.code.description)
                throw status
            }
        })
    }

    private func registerBindingMethods() throws {
        let input = "/\(Self.inputService)/", output = "/\(Self.outputService)/"

        try unary(output + "Init", BindingInitRequest.self) { [self] instance, request in
            let component = factory.makeOutputBinding(instance: instance)
            try await initialize(component, instance: instance, direction: .output, metadata: request.properties,
                                 replacing: outputs.replace(instance, with: nil)) { outputs.replace(instance, with: component) }
            return EmptyMessage()
        }
        try unary(output + "ListOperations", EmptyMessage.self) { [self] instance, _ in
            guard let component = outputs[instance] else { throw notInitialised(instance, .output) }
            return ListOperationsResponse(operations: component.operations)
        }
        try unary(output + "Invoke", InvokeRequest.self) { [self] instance, request in
            guard let component = outputs[instance] else { throw notInitialised(instance, .output) }
            return try await component.invoke(request)
        }
        try unary(output + "Ping", EmptyMessage.self) { [self] instance, _ in
            guard let component = outputs[instance] else { throw notInitialised(instance, .output) }
            try await component.ping()
            return EmptyMessage()
        }
        try unary(input + "Init", BindingInitRequest.self) { [self] instance, request in
            readSessions.replace(instance, with: nil)?.end()
            let component = factory.makeInputBinding(instance: instance)
            try await initialize(component, instance: instance, direction: .input, metadata: request.properties,
                                 replacing: inputs.replace(instance, with: nil)) { inputs.replace(instance, with: component) }
            return EmptyMessage()
        }
        try unary(input + "Ping", EmptyMessage.self) { [self] instance, _ in
            guard let component = inputs[instance] else { throw notInitialised(instance, .input) }
            try await component.ping()
            return EmptyMessage()
        }
        try server.register(input + "Read", .bidirectionalStreaming { [self] call in
            do {
                try await serveRead(call)
                calls.finished(input + "Read", status: StatusCode.ok.description)
            } catch {
                let status = ComponentError.grpcStatus(for: error)
                calls.finished(input + "Read", status: status.code.description)
                throw status
            }
        })
    }

    /// A call for an instance this process has not initialised: FAILED_PRECONDITION, saying
    /// "restart daprd" when the journal shows daprd initialised it for an earlier process.
    private func notInitialised(_ instance: String, _ direction: BindingDirection) -> ComponentError {
        journal.notInitialisedError(instance, direction)
    }

    /// Initialises `component` in place of `old`, which the caller has taken out of its registry:
    /// the old one is closed first, so the two never hold the same consumer group or client id at
    /// once. `install` puts the new one in the registry once it initialised, and returns whatever
    /// another Init put there meanwhile (closed too).
    private func initialize(
        _ component: any BindingComponent, instance: String, direction: BindingDirection, metadata: [String: String],
        replacing old: (any BindingComponent)?, install: () -> (any BindingComponent)?
    ) async throws {
        if let old {
            logger.info("re-initialising instance", metadata: ["instance": "\(instance)"])
            await old.close()
        }
        do {
            try await component.initialize(metadata: metadata)
        } catch {
            journal.initialisationFailed(instance, direction)
            await component.close()
            throw error
        }
        if let raced = install() { await raced.close() }
        journal.initialised(instance, direction)
        logger.info("instance initialised", metadata: ["instance": "\(instance)", "type": "\(type(of: component))"])
    }

    /// One `InputBinding/Read` stream: the component delivers, daprd acks (in any order).
    private func serveRead(_ call: ServerCall) async throws {
        let instance = instanceName(call)
        guard let component = inputs[instance] else { throw notInitialised(instance, .input) }
        let delivery = MessageDelivery(send: { call.send($0.encoded(), completion: $1) })
        if let previous = readSessions.replace(instance, with: delivery) {
            logger.info("a new Read stream replaces the running one", metadata: ["instance": "\(instance)"])
            previous.end()
        }
        call.onCancel { delivery.end() }
        let malformedAck = LockedValueBox(false)
        // Acks are routed as they arrive, on the poller thread: decoding one and resuming the
        // delivery that waits for it is all there is to do (no task switch per ack).
        call.receiveMessages { [logger] bytes in
            guard let bytes, !malformedAck.withLockedValue({ $0 }) else { return delivery.end() }
            guard let ack = try? ReadRequest(decoding: bytes) else {
                logger.error("malformed ReadRequest; ending the stream", metadata: ["instance": "\(instance)"])
                malformedAck.withLockedValue { $0 = true }
                return delivery.end()
            }
            if !delivery.acknowledge(ack) {
                logger.warning("ack for an unknown message id ignored", metadata: ["instance": "\(instance)", "message_id": "\(ack.messageID)"])
            }
        }
        defer {
            delivery.end()
            readSessions.remove(instance) { $0 === delivery }
        }
        logger.info("Read stream opened", metadata: ["instance": "\(instance)"])
        try await component.read(delivery)
        if malformedAck.withLockedValue({ $0 }) { throw ComponentError.invalidArgument("malformed ReadRequest (ack) message") }
        logger.info("Read stream ended", metadata: ["instance": "\(instance)"])
    }

    // MARK: - Reflection

    private var servedServices: [String] {
        [Self.inputService, Self.outputService] + Self.reflectionServices
    }

    private func serveReflection(_ call: ServerCall) async throws {
        while let bytes = try await call.receiveMessage() {
            let request: ReflectionRequest
            do {
                request = try ReflectionRequest(decoding: bytes)
            } catch {
                throw GRPCStatus(.invalidArgument, "malformed ServerReflectionRequest")
            }
            try await call.send(reflectionResponse(to: request).encoded())
        }
    }

    func reflectionResponse(to request: ReflectionRequest) -> ReflectionResponse {
        func files(_ file: FileDescriptorIndex.File?, _ what: String) -> ReflectionResponse.Kind {
            guard let file else { return .error(code: StatusCode.notFound.rawValue, message: "\(what) not found") }
            return .fileDescriptors(descriptors.withDependencies(file).map(\.serialized))
        }
        let kind: ReflectionResponse.Kind
        switch request.kind {
        case .listServices:
            kind = .services(servedServices)
        case .fileByFilename(let name):
            kind = files(descriptors.file(named: name), "file \(name)")
        case .fileContainingSymbol(let symbol):
            kind = files(descriptors.file(containingSymbol: symbol), "symbol \(symbol)")
        case .fileContainingExtension(let type, let number):
            kind = .error(code: StatusCode.notFound.rawValue, message: "no extension \(number) of \(type): these protos declare no extensions")
        case .allExtensionNumbersOfType(let type):
            kind = .error(code: StatusCode.notFound.rawValue, message: "no extensions of \(type): these protos declare no extensions")
        case .notSet:
            kind = .error(code: StatusCode.invalidArgument.rawValue, message: "the request sets no message_request field")
        }
        return ReflectionResponse(validHost: request.host, originalRequest: request, kind: kind)
    }
}
