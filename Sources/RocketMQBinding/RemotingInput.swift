import DaprComponents
import DaprProto
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RocketMQClient

/// The input side over the remoting protocol (`accessProto: tcp`). Each Read stream runs one push
/// consumer: it joins the group when the stream opens and leaves it when the stream ends. An error
/// ack (or no ack within the consume timeout) sends the message back through the retry topic
/// (then the DLQ after `maxReconsumeTimes`); a message still unacked when the stream ends is not
/// committed and comes again on the next stream.
///
/// With `consumerModel: broadcasting` the instance receives every message of the group's topics,
/// whatever the other members; its offsets live in its own file under the state folder, and an
/// error ack delivers the message again after a back-off instead of a send-back (there is no retry
/// topic in broadcasting).
final class RemotingInput: InputTransport {
    let metadata: BindingMetadata
    private let messageModel: MessageModel
    private let environment: BindingEnvironment
    private let logger: Logger
    /// SubBefore and SubAfter records of the deliveries, with `enableTrace`; one writer for the
    /// instance's lifetime, across its Read streams.
    private let tracing: MessageTracing?

    private init(metadata: BindingMetadata, messageModel: MessageModel, environment: BindingEnvironment, logger: Logger) {
        self.metadata = metadata
        self.messageModel = messageModel
        self.environment = environment
        self.logger = logger
        tracing = MessageTracing.start(metadata, role: .consume, logger: logger)
    }

    /// Init: proves the name servers answer, within Init's budget. When they cannot be reached
    /// yet, Init still succeeds: the Read stream's consumer keeps trying until they can.
    /// Broadcasting, Init also proves the instance's offset file can be read and written: a
    /// damaged or unwritable file fails Init (FAILED_PRECONDITION naming it), not every stream.
    static func start(
        _ metadata: BindingMetadata, instance: String, environment: BindingEnvironment, logger: Logger
    ) async throws -> RemotingInput {
        let messageModel = try environment.messageModel(metadata, instance: instance)
        switch messageModel {
        case .clustering:
            break
        case .broadcasting(let offsetFile):
            do {
                // Reading and writing block (the write ends in fsyncs): not on the output
                // bindings' event loop, where Init runs.
                try await NIOThreadPool.singleton.runIfActive { try LocalOffsetStore(path: offsetFile).persist() }
            } catch {
                throw componentError(error, "field consumerModel: broadcasting")
            }
            logger.info("broadcasting: this instance keeps its offsets in its own file", metadata: ["file": "\(offsetFile)"])
        }
        try await ConnectionGate(metadata.nameServerDescription, logger: logger, probesInBackground: false) {
            try await environment.probeNameServers(metadata, logger: logger)
            try await checkFilters(metadata, logger: logger)
        }.start()
        return RemotingInput(metadata: metadata, messageModel: messageModel, environment: environment, logger: logger)
    }

    /// SQL92 subscriptions: asks the brokers now (CHECK_CLIENT_CONFIG, as the consumer does when it
    /// starts), so a broker that cannot filter by SQL92, or an expression it cannot parse, fails
    /// Init with the broker's remark instead of every Read stream's start.
    private static func checkFilters(_ metadata: BindingMetadata, logger: Logger) async throws {
        guard metadata.subscriptions.contains(where: { $0.type == .sql92 }) else { return }
        let consumer = PushConsumer(configuration: metadata.consumerConfiguration(), logger: logger)
        do {
            try await consumer.checkSubscriptions()
            await consumer.stop()
        } catch {
            await consumer.stop()
            throw componentError(error, "checking the SQL92 subscriptions with the broker")
        }
    }

    func read(_ delivery: MessageDelivery) async throws {
        guard let consumer = await startConsumer(until: delivery) else { return }
        // The consumer is stopped exactly once: by the stream's end (which finishes `messages` and
        // so the loop below), or after the loop if the consumer finished first.
        let stopping = NIOLockedValueBox<Task<Void, Never>?>(nil)
        let stopConsumer: @Sendable () async -> Void = {
            let task = stopping.withLockedValue { task in
                if task == nil { task = Task { await consumer.stop() } }
                return task!
            }
            await task.value
        }
        Task {
            await delivery.waitUntilEnded()
            await stopConsumer()
        }
        // Each message is sent without waiting and acked to the consumer from its answer's
        // callback: no task per message, and the consumer hands out the next one at once.
        let nacks = ClosingNacks()
        for await message in consumer.messages {
            // While the server drains for shutdown, or daprd closes the binding, nothing new goes
            // out; what is skipped stays unacknowledged, so it is not committed and comes again.
            guard !delivery.draining && !nacks.closing else { continue }
            deliver(message, through: delivery, consumer: consumer, nacks: nacks)
        }
        await stopConsumer()
        logger.info("consumer left the group", metadata: ["consumerGroup": "\(metadata.consumerGroup)"])
    }

    private func deliver(_ message: ConsumedMessage, through delivery: MessageDelivery, consumer: PushConsumer, nacks: ClosingNacks) {
        let contentType = message.properties["content-type"] ?? metadata.contentType ?? ""
        let deliveryMetadata = message.deliveryMetadata(allowList: metadata.propertyAllowList)
        let size = RocketMQInputBinding.encodedSizeBound(body: message.body.count, metadata: deliveryMetadata, contentType: contentType)
        guard size <= RocketMQInputBinding.daprdMaxReceiveMessageSize else {
            // Delivering it would break daprd's stream for every later message, and it would
            // never fit on a retry either: it goes to the dead-letter queue at once.
            logger.error("message too large for daprd's 4 MiB gRPC limit; not delivered, moved to the dead-letter queue", metadata: [
                "msgId": "\(message.messageID)", "topic": "\(message.topic)", "bytes": "\(size)",
                "dlq": "%DLQ%\(metadata.consumerGroup)"])
            consumer.deadLetter(message.handle)  // which counts it in the dead-lettered metric
            return
        }
        let metrics = BindingMetrics.shared.topic(message.topic)
        BindingMetrics.shared.delivered(metrics)
        let traced = tracing?.delivered(message)
        delivery.deliver(data: message.body, metadata: deliveryMetadata, contentType: contentType,
                         timeout: metadata.consumeTimeout) { [logger] outcome in
            switch outcome {
            case .success:
                consumer.ack(message.handle, success: true)
            case .failure(let reason) where nacks.isClosingNack(reason):
                // Not the application's failure: left unacknowledged, so it is neither sent back
                // nor committed, and comes again on the next stream with its reconsume count as it was.
                logger.debug("daprd is closing the input binding; the message stays for the next stream", metadata: ["msgId": "\(message.messageID)"])
            case .failure(let reason):
                logger.debug("application failed a message; it goes back for redelivery", metadata: ["msgId": "\(message.messageID)", "reason": "\(reason)"])
                consumer.ack(message.handle, success: false)
            case .timedOut:
                logger.warning("no ack within the consume timeout; the message goes back for redelivery", metadata: ["msgId": "\(message.messageID)"])
                consumer.ack(message.handle, success: false)
            case .streamEnded:
                break  // left unacknowledged: not committed, delivered again on the next stream
            }
            BindingMetrics.shared.answered(metrics, success: outcome.acknowledged,
                                           deadLettered: outcome.acknowledged == false && self.sendBackDeadLetters(message))
            self.tracing?.answered(message, traced, outcome: outcome)
        }
    }

    /// Whether failing `message` makes the broker move it to the dead-letter queue: once its
    /// reconsume count reached `maxReconsumeTimes` (an orderly or broadcasting consumer delivers
    /// it again here instead, counts its failures itself, and counts what it moves there).
    private func sendBackDeadLetters(_ message: ConsumedMessage) -> Bool {
        !metadata.consumeOrderly && metadata.consumerModel == .clustering && Int(message.reconsumeTimes) >= metadata.maxReconsumeTimes
    }

    /// Starts a push consumer, retrying with back-off while the name server or broker cannot be
    /// reached (the stream stays open, so consumption begins once they are back). Nil when the
    /// stream ended first.
    private func startConsumer(until delivery: MessageDelivery) async -> PushConsumer? {
        var backoff: Duration = .milliseconds(200)
        while !delivery.draining {
            let consumer = PushConsumer(configuration: metadata.consumerConfiguration(messageModel: messageModel), logger: logger)
            do {
                try await consumer.start()
                logger.info("consumer joined the group", metadata: ["consumerGroup": "\(metadata.consumerGroup)"])
                return consumer
            } catch {
                await consumer.stop()
                // daprd never reopens a Read stream that failed, so even a refusal that waiting
                // cannot fix (a SQL92 expression, a damaged offset file) keeps the stream open and
                // retries, to recover once someone fixes it; it is logged as an error.
                let failure = componentError(error, "starting the consumer")
                logger.log(level: ConnectionGate.isTransient(failure) ? .warning : .error, "cannot start consuming yet; retrying",
                           metadata: ["error": "\(failure)", "retryIn": "\(backoff)"])
            }
            await delivery.pause(for: backoff)
            backoff = min(backoff * 2, .seconds(10))
        }
        return nil
    }

    func ping() async throws {
        try await environment.probeNameServers(metadata, logger: logger)
    }

    func close() async {
        await tracing?.stop()
    }
}
