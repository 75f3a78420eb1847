import DaprComponents
import DaprProto
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RocketMQClient

/// The input binding of one component instance. Each `Read` stream runs one push consumer:
/// it joins the group when the stream opens and leaves it when the stream ends.
///
/// Delivery contract (at-least-once): a message is acknowledged to the broker only when daprd
/// acked it successfully; an error ack (or no ack within the consume timeout) sends it back for
/// redelivery through the retry topic (then the DLQ after `maxReconsumeTimes`); a message still
/// unacked when the stream ends is not committed and comes again on the next stream.
public final class RocketMQInputBinding: InputBindingComponent, Sendable {
    /// How long daprd may take to ack one message before it counts as failed.
    static let consumeTimeout: Duration = .seconds(15 * 60)
    /// daprd's gRPC client keeps grpc-go's default receive limit (4 MiB) and stops reading the
    /// whole stream when one message exceeds it, so no ReadResponse may be larger.
    static let daprdMaxReceiveMessageSize = 4 * 1024 * 1024

    private let instance: String
    private let environment: BindingEnvironment
    private let logger: Logger
    private let metadata = NIOLockedValueBox<BindingMetadata?>(nil)

    init(instance: String, environment: BindingEnvironment) {
        self.instance = instance
        self.environment = environment
        var logger = environment.logger
        logger[metadataKey: "instance"] = "\(instance)"
        logger[metadataKey: "direction"] = "input"
        self.logger = logger
    }

    public func initialize(metadata properties: [String: String]) async throws {
        let parsed = try environment.parseMetadata(properties, logger: logger)
        try await environment.probeNameServers(parsed, logger: logger)
        metadata.withLockedValue { $0 = parsed }
        logger.info("input binding ready", metadata: ["metadata": "\(parsed)"])
    }

    public func read(_ delivery: MessageDelivery) async throws {
        guard let metadata = metadata.withLockedValue({ $0 }) else {
            throw ComponentError.failedPrecondition("input binding instance \(instance) is not initialised: call Init first")
        }
        guard let consumer = await startConsumer(metadata, until: delivery) else { return }
        // The consumer is stopped exactly once: by the stream's end (which finishes `messages` and
        // so the loop below), or after the loop if the consumer finished first.
        let stopping = NIOLockedValueBox<Task<Void, Never>?>(nil)
        let stopConsumer = {
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
        // Discarding: a long stream delivers millions of messages, and a plain task group would
        // keep every finished child until the stream ends.
        await withDiscardingTaskGroup { group in
            for await message in consumer.messages {
                // While the server drains for shutdown nothing new goes out; what is skipped
                // stays unacknowledged, so it is not committed and comes again later.
                guard !delivery.draining else { continue }
                group.addTask { await self.deliver(message, through: delivery, consumer: consumer, metadata: metadata) }
            }
        }
        await stopConsumer()
        logger.info("consumer left the group", metadata: ["consumerGroup": "\(metadata.consumerGroup)"])
    }

    private func deliver(_ message: ConsumedMessage, through delivery: MessageDelivery, consumer: PushConsumer, metadata: BindingMetadata) async {
        let contentType = message.properties["content-type"] ?? metadata.contentType ?? ""
        let deliveryMetadata = message.deliveryMetadata()
        let size = Self.encodedSizeBound(body: message.body.count, metadata: deliveryMetadata, contentType: contentType)
        guard size <= Self.daprdMaxReceiveMessageSize else {
            // Delivering it would break daprd's stream for every later message; it goes back to
            // the broker as failed instead (and to the dead-letter queue after maxReconsumeTimes).
            logger.error("message too large for daprd's 4 MiB gRPC limit; not delivered, sent back", metadata: [
                "msgId": "\(message.messageID)", "topic": "\(message.topic)", "bytes": "\(size)"])
            consumer.ack(message.handle, success: false)
            return
        }
        let outcome = await delivery.deliver(data: message.body, metadata: deliveryMetadata, contentType: contentType,
                                             timeout: Self.consumeTimeout)
        switch outcome {
        case .success:
            consumer.ack(message.handle, success: true)
        case .failure(let reason):
            logger.debug("application failed a message; it goes back for redelivery", metadata: ["msgId": "\(message.messageID)", "reason": "\(reason)"])
            consumer.ack(message.handle, success: false)
        case .timedOut:
            logger.warning("no ack within the consume timeout; the message goes back for redelivery", metadata: ["msgId": "\(message.messageID)"])
            consumer.ack(message.handle, success: false)
        case .streamEnded:
            break  // left unacknowledged: not committed, delivered again on the next stream
        }
    }

    /// An upper bound of the encoded ReadResponse: each field's key and length prefix take at most
    /// 11 bytes; the message id is a 36-character UUID.
    static func encodedSizeBound(body: Int, metadata: [String: String], contentType: String) -> Int {
        let entries = metadata.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count + 3 * 11 }
        return body + 11 + entries + contentType.utf8.count + 11 + 36 + 11
    }

    /// Starts a push consumer, retrying with back-off while the name server or broker cannot be
    /// reached (the stream stays open, so consumption begins once they are back). Nil when the
    /// stream ended first.
    private func startConsumer(_ metadata: BindingMetadata, until delivery: MessageDelivery) async -> PushConsumer? {
        var backoff: Duration = .milliseconds(200)
        while !delivery.draining {
            let consumer = PushConsumer(configuration: metadata.consumerConfiguration(), logger: logger)
            do {
                try await consumer.start()
                logger.info("consumer joined the group", metadata: ["consumerGroup": "\(metadata.consumerGroup)"])
                return consumer
            } catch {
                await consumer.stop()
                logger.warning("cannot start consuming yet; retrying", metadata: ["error": "\(componentError(error, "starting the consumer"))", "retryIn": "\(backoff)"])
            }
            await withTaskGroup(of: Void.self) { group in  // the back-off, or the stream's end
                group.addTask { await delivery.waitUntilEnded() }
                group.addTask { try? await Task.sleep(for: backoff) }
                await group.next()
                group.cancelAll()
            }
            backoff = min(backoff * 2, .seconds(10))
        }
        return nil
    }

    public func ping() async throws {
        guard let metadata = metadata.withLockedValue({ $0 }) else {
            throw ComponentError.unavailable("input binding instance \(instance) is not initialised")
        }
        try await environment.probeNameServers(metadata, logger: logger)
    }

    public func close() async {
        metadata.withLockedValue { $0 = nil }
    }
}
