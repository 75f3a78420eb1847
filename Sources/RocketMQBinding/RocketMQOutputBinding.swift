import DaprComponents
import DaprProto
import Logging

/// What serves an initialised output instance: the remoting protocol (`tcp`) or the HTTP access
/// protocol (`http`). Owned by the binding; `close` is called once, when it is replaced or dropped.
protocol OutputTransport: Sendable {
    func invoke(_ request: InvokeRequest) async throws -> InvokeResponse
    func ping() async throws
    func close() async
}

/// The output binding of one component instance: `create` publishes, `read` pulls on demand,
/// over the protocol the metadata's `accessProto` chooses at each Init.
public final class RocketMQOutputBinding: OutputBindingComponent, Sendable {
    private let instance: String
    private let environment: BindingEnvironment
    private let logger: Logger
    private let transport = TransportSlot<OutputTransport>()

    init(instance: String, environment: BindingEnvironment) {
        self.instance = instance
        self.environment = environment
        logger = environment.logger(instance: instance, direction: "output")
    }

    public var operations: [String] { ["create", "read"] }

    public func initialize(metadata properties: [String: String]) async throws {
        let metadata = try environment.parseMetadata(properties, logger: logger)
        let started: OutputTransport = switch metadata.accessProtocol {
        case .http: try await HTTPOutput.start(metadata, environment: environment, logger: logger)
        case .tcp, .tcpCgo: try await RemotingOutput.start(metadata, environment: environment, logger: logger)
        }
        await transport.swap(started)?.close()
        logger.info("output binding ready", metadata: ["metadata": "\(metadata)"])
    }

    public func invoke(_ request: InvokeRequest) async throws -> InvokeResponse {
        guard let current = transport.current else {
            throw ComponentError.failedPrecondition("output binding instance \(instance) is not initialised: call Init first")
        }
        guard operations.contains(request.operation) else {
            throw BindingMetadata.invalid("operation", request.operation, operations.joined(separator: ", "))
        }
        return try await current.invoke(request)
    }

    public func ping() async throws {
        guard let current = transport.current else {
            throw ComponentError.failedPrecondition("output binding instance \(instance) is not initialised: call Init first")
        }
        try await current.ping()
    }

    public func close() async {
        await transport.swap(nil)?.close()
    }
}
