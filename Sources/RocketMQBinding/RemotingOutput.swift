import DaprComponents
import DaprProto
import Foundation
import Logging
import NIOConcurrencyHelpers
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
    /// Init's bounded wait for the name servers, and the background connection after it.
    private let gate: ConnectionGate
    /// Pub records of what `create` sent, with `enableTrace`.
    private let tracing: MessageTracing?

    private init(metadata: BindingMetadata, environment: BindingEnvironment, logger: Logger) {
        let loop = environment.outputEventLoop
        let producer = Producer(configuration: metadata.producerConfiguration(), eventLoopGroup: loop, logger: logger)
        let reader = LitePullConsumer(client: metadata.clientConfiguration(), group: metadata.consumerGroup,
                                      consumeFromWhere: metadata.consumeFromWhere, eventLoopGroup: loop, logger: logger)
        // The clients start once (with a nameServerDomain, start fetches the name server list);
        // every probe then asks the name servers for the component's topics.
        let started = AsyncMutex()
        let isStarted = NIOLockedValueBox(false)
        self.metadata = metadata
        self.producer = producer
        self.reader = reader
        self.environment = environment
        self.logger = logger
        tracing = MessageTracing.start(metadata, role: .produce, logger: logger)
        gate = ConnectionGate(metadata.nameServerDescription, logger: logger) {
            try await started.withLock {
                guard !isStarted.withLockedValue({ $0 }) else { return }
                try await producer.start()
                try await reader.start()
                isStarted.withLockedValue { $0 = true }
            }
            try await environment.verifyRoutes(metadata, with: producer, logger: logger)
        }
    }

    static func start(_ metadata: BindingMetadata, environment: BindingEnvironment, logger: Logger) async throws -> RemotingOutput {
        let output = RemotingOutput(metadata: metadata, environment: environment, logger: logger)
        do {
            try await output.gate.start()
        } catch {
            await output.close()
            throw error
        }
        return output
    }

    func invoke(_ request: InvokeRequest) async throws -> InvokeResponse {
        try gate.requireReady()
        if request.operation == "read" {
            if metadata.consumerModel == .broadcasting {
                // A read commits on the broker, one offset per group for all its members: it
                // cannot give each member every message, which is what broadcasting promises.
                throw ComponentError.failedPrecondition(
                    "operation read: this component's consumerModel is broadcasting, but read keeps its offsets on the broker, "
                        + "one per consumer group shared by every member, so it cannot give each member every message; "
                        + "consume through the input binding, or read from a component with consumerModel clustering")
            }
            let options = try ReadOptions(request.metadata, component: metadata, maxWaitMillis: 60_000)
            try environment.streamingGroups.refuseRead(StreamingGroups.key(metadata, group: options.group), group: options.group)
            return try await reads.withLock {
                try await LitePullRead(options: options, consumer: reader, logger: logger, tracing: tracing).run()
            }
        }
        let parsed = try CreateRequest(data: request.data, metadata: request.metadata, component: metadata)
        var messages = parsed.messages
        if let deliverAt = parsed.startDeliverTime {
            try await requireTimerMessages(for: messages.map(\.topic))
            for index in messages.indices { messages[index].deliverTimeMillis = deliverAt }
        }
        var results: [SendResult] = []
        for message in messages {
            let metrics = BindingMetrics.shared.topic(message.topic), started = ContinuousClock.now
            do {
                let result = try await producer.send(message)
                results.append(result)
                BindingMetrics.shared.sent(metrics, since: started)
                tracing?.sent(message, result: result, started: started)
            } catch {
                let failure = componentError(error, "sending to topic \(message.topic)")
                BindingMetrics.shared.sendFailed(topic: message.topic, status: failure.statusName)
                throw failure
            }
        }
        for result in results where result.status != .sendOK {
            // The broker stored it but could not make it durable as asked: an error, named.
            throw ComponentError(.unavailable, "sending to topic \(result.topic): broker answered \(result.status.rawValue) (message \(result.messageID) was stored on the master)")
        }
        return CreateRequest.response(results.map(Self.describe))
    }

    /// `startDeliverTime` over tcp is a RocketMQ 5 timer message: a 4.x broker would keep the
    /// property and deliver at once, so it is refused there before anything is sent.
    private func requireTimerMessages(for topics: [String]) async throws {
        for topic in topics {
            let support: (supported: Bool, lowestVersion: Int32)
            do {
                support = try await producer.timerSupport(topic: topic)
            } catch {
                throw componentError(error, "asking the brokers of topic \(topic) for their version")
            }
            guard support.supported else {
                throw ComponentError.failedPrecondition(
                    "request metadata startDeliverTime: delivery at an arbitrary time needs RocketMQ 5 (timer messages), and a broker of topic "
                        + "\(topic) is RocketMQ 4 (version \(support.lowestVersion)); delayLevel (1 s to 2 h in 18 steps) works on every version")
            }
        }
    }

    static func describe(_ result: SendResult) -> [String: String] {
        ["msgId": result.messageID, "offsetMsgId": result.offsetMessageID, "topic": result.topic,
         "queueId": "\(result.queueId)", "queueOffset": "\(result.queueOffset)", "brokerName": result.brokerName]
    }

    func ping() async throws {
        try gate.requireReady()
        try await environment.verifyRoutes(metadata, with: producer, logger: logger)
    }

    func close() async {
        gate.close()
        await producer.shutdown()
        await reader.shutdown()
        await tracing?.stop()
    }
}
