import DaprComponents
import DaprProto
import Foundation
import Logging
import RocketMQClient

/// The output side over the remoting protocol (`accessProto: tcp`): a producer for `create` and
/// a lite-pull consumer for `read`.
final class RemotingOutput: OutputTransport {
    private let metadata: BindingMetadata
    private let producer: Producer
    private let reader: LitePullConsumer
    private let environment: BindingEnvironment
    private let logger: Logger
    /// `read` operations of this instance share committed offsets, so they run one at a time.
    private let reads = AsyncMutex()

    private init(metadata: BindingMetadata, producer: Producer, reader: LitePullConsumer, environment: BindingEnvironment, logger: Logger) {
        self.metadata = metadata
        self.producer = producer
        self.reader = reader
        self.environment = environment
        self.logger = logger
    }

    static func start(_ metadata: BindingMetadata, environment: BindingEnvironment, logger: Logger) async throws -> RemotingOutput {
        let loop = environment.outputEventLoop
        let producer = Producer(configuration: metadata.producerConfiguration(), eventLoopGroup: loop, logger: logger)
        let reader = LitePullConsumer(client: metadata.clientConfiguration(), group: metadata.consumerGroup,
                                      consumeFromWhere: metadata.consumeFromWhere, eventLoopGroup: loop, logger: logger)
        do {
            try await producer.start()
            try await reader.start()
            try await environment.verifyRoutes(metadata, with: producer, logger: logger)
        } catch {
            await producer.shutdown()
            await reader.shutdown()
            throw componentError(error, "initialising the producer (name servers \(metadata.nameServers.joined(separator: ",")))")
        }
        return RemotingOutput(metadata: metadata, producer: producer, reader: reader, environment: environment, logger: logger)
    }

    func invoke(_ request: InvokeRequest) async throws -> InvokeResponse {
        if request.operation == "read" {
            return try await reads.withLock {
                try await LitePullRead(request: request, metadata: metadata, consumer: reader).run()
            }
        }
        let parsed = try CreateRequest(data: request.data, metadata: request.metadata, component: metadata)
        if parsed.startDeliverTime != nil {
            throw ComponentError.invalidArgument("request metadata startDeliverTime: supported with accessProto http only; with tcp use delayLevel")
        }
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
        return CreateRequest.response(results.map(Self.describe))
    }

    static func describe(_ result: SendResult) -> [String: String] {
        ["msgId": result.messageID, "offsetMsgId": result.offsetMessageID, "topic": result.topic,
         "queueId": "\(result.queueId)", "queueOffset": "\(result.queueOffset)", "brokerName": result.brokerName]
    }

    func ping() async throws {
        try await environment.verifyRoutes(metadata, with: producer, logger: logger)
    }

    func close() async {
        await producer.shutdown()
        await reader.shutdown()
    }
}
