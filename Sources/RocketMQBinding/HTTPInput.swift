import DaprComponents
import Foundation
import Logging
import RocketMQClient
import RocketMQHTTP

/// The input side over the HTTP access protocol (`accessProto: http`). Each Read stream long-polls
/// every subscribed topic (up to `consumerBatchSize` messages, waiting up to 30 s) and delivers
/// what arrives. A message is acknowledged (DELETE with its receipt handle) only when daprd acked
/// it successfully; after an error ack, a timeout or the stream's end it is left alone, and the
/// service hands it out again once its invisibility time has passed.
final class HTTPInput: InputTransport {
    /// The longest poll the protocol allows; a long poll answers as soon as a message arrives.
    static let longPollSeconds = 30

    let metadata: BindingMetadata
    /// For Init and Ping; each Read stream has its own client, closed with the stream.
    private let probeClient: MQHTTPClient
    private let logger: Logger

    private init(metadata: BindingMetadata, probeClient: MQHTTPClient, logger: Logger) {
        self.metadata = metadata
        self.probeClient = probeClient
        self.logger = logger
    }

    static func start(_ metadata: BindingMetadata, environment: BindingEnvironment, logger: Logger) async throws -> HTTPInput {
        HTTPInput(metadata: metadata, probeClient: try await HTTPAccess.startClient(metadata, probesInBackground: false, logger: logger).0, logger: logger)
    }

    func read(_ delivery: MessageDelivery) async throws {
        let client = try HTTPAccess.makeClient(metadata, logger: logger)
        logger.info("polling started", metadata: ["consumerGroup": "\(metadata.consumerGroup)", "topics": "\(metadata.subscriptions.map(\.topic))"])
        // The polls stop by themselves once the stream ends; they are not cancelled, so an ack
        // daprd sent just before the end still reaches the service.
        let nacks = ClosingNacks()
        await withDiscardingTaskGroup { group in
            for subscription in metadata.subscriptions {
                group.addTask { await self.poll(subscription, client: client, delivery: delivery, nacks: nacks) }
            }
        }
        await client.shutdown()
        logger.info("polling stopped", metadata: ["consumerGroup": "\(metadata.consumerGroup)"])
    }

    /// Polls one topic until the stream drains, ends or daprd starts closing it; each batch is
    /// delivered (concurrently) before the next poll, so at most `consumerBatchSize` messages per
    /// topic await daprd.
    private func poll(_ subscription: Subscription, client: MQHTTPClient, delivery: MessageDelivery, nacks: ClosingNacks) async {
        let initialBackoff: Duration = .milliseconds(200)
        var backoff = initialBackoff
        while !delivery.draining && !nacks.closing {
            let messages: [MQHTTPReceivedMessage]
            do {
                messages = try await untilEnded(delivery) {
                    try await client.consume(topic: subscription.topic, group: self.metadata.consumerGroup, count: self.metadata.consumerBatchSize,
                                             waitSeconds: Self.longPollSeconds, tag: subscription.expression)
                }
                backoff = initialBackoff
            } catch {
                guard !delivery.draining else { return }
                logger.warning("polling failed; retrying", metadata: [
                    "topic": "\(subscription.topic)", "error": "\(componentError(error, "polling"))", "retryIn": "\(backoff)"])
                await delivery.pause(for: backoff)
                backoff = min(backoff * 2, .seconds(10))
                continue
            }
            // Taken while draining or closing: left unacknowledged, they come again after their invisibility time.
            guard !delivery.draining && !nacks.closing else { return }
            await withDiscardingTaskGroup { group in
                for message in messages {
                    group.addTask { await self.deliver(message, subscription: subscription, client: client, delivery: delivery, nacks: nacks) }
                }
            }
        }
    }

    /// Runs `operation` (a long poll), cancelled if the stream ends first.
    private func untilEnded<Result: Sendable>(_ delivery: MessageDelivery, _ operation: @escaping @Sendable () async throws -> Result) async throws -> Result {
        try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                await delivery.waitUntilEnded()
                return nil
            }
            defer { group.cancelAll() }
            guard let result = try await group.next(), let result else { throw CancellationError() }
            return result
        }
    }

    private func deliver(_ message: MQHTTPReceivedMessage, subscription: Subscription, client: MQHTTPClient, delivery: MessageDelivery,
                         nacks: ClosingNacks) async {
        let body = Array(message.body.utf8)
        let deliveryMetadata = message.deliveryMetadata(topic: subscription.topic, subscriptionExpression: subscription.expression,
                                                        consumerGroup: metadata.consumerGroup, allowList: metadata.propertyAllowList)
        let contentType = deliveryMetadata["content-type"] ?? metadata.contentType ?? ""  // a user property, when set
        let size = RocketMQInputBinding.encodedSizeBound(body: body.count, metadata: deliveryMetadata, contentType: contentType)
        guard size <= RocketMQInputBinding.daprdMaxReceiveMessageSize else {
            // Delivering it would break daprd's stream; unacknowledged, the service retries it and
            // dead-letters it after its maximum number of deliveries.
            logger.error("message too large for daprd's 4 MiB gRPC limit; not delivered", metadata: [
                "msgId": "\(message.messageID)", "topic": "\(subscription.topic)", "bytes": "\(size)"])
            return
        }
        // Past its next consume time the service hands the message out again: waiting longer
        // for daprd would only make a late ack fail.
        let untilVisible = Duration.milliseconds(message.nextConsumeTime - Int64(Date().timeIntervalSince1970 * 1000))
        let timeout = max(min(metadata.consumeTimeout, untilVisible), .seconds(1))
        let metrics = BindingMetrics.shared.topic(subscription.topic)
        BindingMetrics.shared.delivered(metrics)
        let outcome = await delivery.deliver(data: body, metadata: deliveryMetadata, contentType: contentType, timeout: timeout)
        switch outcome {
        case .success:
            await acknowledge(message, topic: subscription.topic, client: client)
        case .failure(let reason) where nacks.isClosingNack(reason):
            logger.debug("daprd is closing the input binding; the message comes again after its invisibility time", metadata: [
                "msgId": "\(message.messageID)"])
        case .failure(let reason):
            logger.debug("application failed a message; it comes again after its invisibility time", metadata: [
                "msgId": "\(message.messageID)", "reason": "\(reason)"])
        case .timedOut:
            logger.warning("no ack before the message's invisibility time ended; it comes again", metadata: ["msgId": "\(message.messageID)"])
        case .streamEnded:
            break
        }
        // The service dead-letters by its own count of deliveries, which the component does not learn.
        BindingMetrics.shared.answered(metrics, success: outcome.acknowledged, deadLettered: false)
    }

    private func acknowledge(_ message: MQHTTPReceivedMessage, topic: String, client: MQHTTPClient) async {
        do {
            let failures = try await HTTPAccess.withRetries(metadata.retries, logger: logger, "acknowledging") {
                try await client.ack(topic: topic, group: self.metadata.consumerGroup, handles: [message.receiptHandle])
            }
            for failure in failures {
                logger.warning("the service refused the ack; the message will come again", metadata: [
                    "msgId": "\(message.messageID)", "code": "\(failure.code)", "reason": "\(failure.message)"])
            }
        } catch {
            logger.warning("acknowledging failed; the message will come again", metadata: ["msgId": "\(message.messageID)", "error": "\(error)"])
        }
    }

    func ping() async throws {
        try await HTTPAccess.probe(probeClient, metadata, logger: logger)
    }

    func close() async {
        await probeClient.shutdown()
    }
}
