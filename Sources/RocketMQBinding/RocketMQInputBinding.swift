import DaprComponents
import Logging

/// What serves an initialised input instance: `read` runs for the life of one Read stream.
protocol InputTransport: Sendable {
    func read(_ delivery: MessageDelivery) async throws
    func ping() async throws
    func close() async
}

/// The input binding of one component instance, over the protocol the metadata's `accessProto`
/// chooses at each Init.
///
/// Delivery contract (at-least-once), whatever the protocol: a message is acknowledged to the
/// service only when daprd acked it successfully; an error ack, no ack within the consume timeout
/// or the stream's end leaves it to come again.
public final class RocketMQInputBinding: InputBindingComponent, Sendable {
    /// How long daprd may take to ack one message before it counts as failed.
    static let consumeTimeout: Duration = .seconds(15 * 60)
    /// daprd's gRPC client keeps grpc-go's default receive limit (4 MiB) and stops reading the
    /// whole stream when one message exceeds it, so no ReadResponse may be larger.
    static let daprdMaxReceiveMessageSize = 4 * 1024 * 1024

    private let instance: String
    private let environment: BindingEnvironment
    private let logger: Logger
    private let transport = TransportSlot<InputTransport>()

    init(instance: String, environment: BindingEnvironment) {
        self.instance = instance
        self.environment = environment
        logger = environment.logger(instance: instance, direction: "input")
    }

    public func initialize(metadata properties: [String: String]) async throws {
        let metadata = try environment.parseMetadata(properties, logger: logger)
        let started: InputTransport = switch metadata.accessProtocol {
        case .http: try await HTTPInput.start(metadata, environment: environment, logger: logger)
        case .tcp, .tcpCgo: try await RemotingInput.start(metadata, environment: environment, logger: logger)
        }
        await transport.swap(started)?.close()
        logger.info("input binding ready", metadata: ["metadata": "\(metadata)"])
    }

    public func read(_ delivery: MessageDelivery) async throws {
        guard let current = transport.current else {
            throw ComponentError.failedPrecondition("input binding instance \(instance) is not initialised: call Init first")
        }
        try await current.read(delivery)
    }

    public func ping() async throws {
        guard let current = transport.current else {
            throw ComponentError.unavailable("input binding instance \(instance) is not initialised")
        }
        try await current.ping()
    }

    public func close() async {
        await transport.swap(nil)?.close()
    }

    /// An upper bound of the encoded ReadResponse: each field's key and length prefix take at most
    /// 11 bytes; the message id takes at most 36 characters.
    static func encodedSizeBound(body: Int, metadata: [String: String], contentType: String) -> Int {
        let entries = metadata.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count + 3 * 11 }
        return body + 11 + entries + contentType.utf8.count + 11 + 36 + 11
    }
}

extension MessageDelivery {
    /// Waits `duration` (a back-off), or less if the stream ends first.
    func pause(for duration: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitUntilEnded() }
            group.addTask { try? await Task.sleep(for: duration) }
            await group.next()
            group.cancelAll()
        }
    }
}
