import DaprComponents
import Logging
import NIOConcurrencyHelpers

/// What serves an initialised input instance: `read` runs for the life of one Read stream.
protocol InputTransport: Sendable {
    var metadata: BindingMetadata { get }
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
        case .tcp, .tcpCgo: try await RemotingInput.start(metadata, instance: instance, environment: environment, logger: logger)
        }
        await transport.swap(started)?.close()
        logger.info("input binding ready", metadata: ["metadata": "\(metadata)"])
    }

    public func read(_ delivery: MessageDelivery) async throws {
        guard let current = transport.current else {
            throw ComponentError.failedPrecondition("input binding instance \(instance) is not initialised: call Init first")
        }
        let group = current.metadata.consumerGroup
        try await environment.streamingGroups.streaming(StreamingGroups.key(current.metadata, group: group), instance: instance) {
            try await current.read(delivery)
        }
    }

    public func ping() async throws {
        guard let current = transport.current else {
            throw ComponentError.failedPrecondition("input binding instance \(instance) is not initialised: call Init first")
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

/// daprd's closing nacks on one Read stream. While daprd stops, and when it hot-reloads a
/// component file, it answers every delivery with the error `input binding is closed`
/// (docs/daprd.md §F). The application did not fail such a message: it must come again on the next
/// stream as it was, without a send-back and without counting a reconsume (which would walk it
/// toward the dead-letter queue at every restart). daprd is about to end the stream, so after the
/// first closing nack nothing more is delivered on it.
final class ClosingNacks: Sendable {
    static let message = "input binding is closed"
    private let seen = NIOLockedValueBox(false)

    /// True once daprd sent a closing nack on this stream.
    var closing: Bool { seen.withLockedValue { $0 } }

    /// Whether `reason` (an error ack's message) is daprd's closing nack; remembers it if so.
    func isClosingNack(_ reason: String) -> Bool {
        guard Self.isClosing(reason) else { return false }
        seen.withLockedValue { $0 = true }
        return true
    }

    static func isClosing(_ reason: String) -> Bool {
        reason.lowercased().contains(message)
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
