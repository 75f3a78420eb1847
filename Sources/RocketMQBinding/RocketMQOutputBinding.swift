import DaprComponents
import DaprProto
import Foundation
import Logging
import NIOConcurrencyHelpers
import RocketMQClient

/// The output binding of one component instance: `create` publishes, `read` pulls on demand.
public final class RocketMQOutputBinding: OutputBindingComponent, Sendable {
    private struct State {
        var metadata: BindingMetadata?
        var producer: Producer?
        var reader: LitePullConsumer?
    }

    private let instance: String
    private let environment: BindingEnvironment
    private let logger: Logger
    private let state = NIOLockedValueBox(State())
    /// `read` operations of this instance share committed offsets, so they run one at a time.
    private let reads = AsyncMutex()

    init(instance: String, environment: BindingEnvironment) {
        self.instance = instance
        self.environment = environment
        var logger = environment.logger
        logger[metadataKey: "instance"] = "\(instance)"
        logger[metadataKey: "direction"] = "output"
        self.logger = logger
    }

    public var operations: [String] { ["create", "read"] }

    public func initialize(metadata properties: [String: String]) async throws {
        let metadata = try environment.parseMetadata(properties, logger: logger)
        let producer = Producer(configuration: metadata.producerConfiguration(), logger: logger)
        let reader = LitePullConsumer(client: metadata.clientConfiguration(), group: metadata.consumerGroup,
                                      consumeFromWhere: metadata.consumeFromWhere, logger: logger)
        do {
            try await producer.start()
            try await reader.start()
            try await environment.verifyRoutes(metadata, with: producer, logger: logger)
        } catch {
            await producer.shutdown()
            await reader.shutdown()
            throw componentError(error, "initialising the producer (name servers \(metadata.nameServers.joined(separator: ",")))")
        }
        let previous = state.withLockedValue { state -> State in
            defer { state = State(metadata: metadata, producer: producer, reader: reader) }
            return state
        }
        await previous.producer?.shutdown()
        await previous.reader?.shutdown()
        logger.info("output binding ready", metadata: ["metadata": "\(metadata)"])
    }

    public func invoke(_ request: InvokeRequest) async throws -> InvokeResponse {
        let current = state.withLockedValue { $0 }
        guard let metadata = current.metadata, let producer = current.producer, let reader = current.reader else {
            throw ComponentError.failedPrecondition("output binding instance \(instance) is not initialised: call Init first")
        }
        switch request.operation {
        case "create":
            return try await create(request, metadata: metadata, producer: producer)
        case "read":
            return try await reads.withLock {
                try await LitePullRead(request: request, metadata: metadata, consumer: reader).run()
            }
        default:
            throw BindingMetadata.invalid("operation", request.operation, operations.joined(separator: ", "))
        }
    }

    private func create(_ request: InvokeRequest, metadata: BindingMetadata, producer: Producer) async throws -> InvokeResponse {
        let parsed = try CreateRequest(data: request.data, metadata: request.metadata, component: metadata)
        var results: [SendResult] = []
        for message in parsed.messages {
            do {
                results.append(try await producer.send(message))
            } catch {
                throw componentError(error, "sending to topic \(message.topic)")
            }
        }
        for result in results where result.status != .sendOK {
            // The broker stored it but could not make it durable as asked: an error, named.
            throw ComponentError(.unavailable, "sending to topic \(result.topic): broker answered \(result.status.rawValue) (message \(result.messageID) was stored on the master)")
        }
        let described = results.map(Self.describe)
        let body = try JSONSerialization.data(withJSONObject: described, options: [.sortedKeys])
        return InvokeResponse(data: [UInt8](body), metadata: described.first ?? [:], contentType: "application/json")
    }

    static func describe(_ result: SendResult) -> [String: String] {
        ["msgId": result.messageID, "offsetMsgId": result.offsetMessageID, "topic": result.topic,
         "queueId": "\(result.queueId)", "queueOffset": "\(result.queueOffset)", "brokerName": result.brokerName]
    }

    public func ping() async throws {
        let current = state.withLockedValue { $0 }
        guard let metadata = current.metadata, let producer = current.producer else {
            throw ComponentError.unavailable("output binding instance \(instance) is not initialised")
        }
        try await environment.verifyRoutes(metadata, with: producer, logger: logger)
    }

    public func close() async {
        let previous = state.withLockedValue { state -> State in
            defer { state = State() }
            return state
        }
        await previous.producer?.shutdown()
        await previous.reader?.shutdown()
    }
}
