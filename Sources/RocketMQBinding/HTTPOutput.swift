import DaprComponents
import DaprProto
import Foundation
import Logging
import RocketMQClient
import RocketMQHTTP

/// The output side over the HTTP access protocol (`accessProto: http`): `create` publishes each
/// message with a signed POST; `read` polls once and acknowledges what it returns.
final class HTTPOutput: OutputTransport {
    private let metadata: BindingMetadata
    private let client: MQHTTPClient
    private let logger: Logger

    private init(metadata: BindingMetadata, client: MQHTTPClient, logger: Logger) {
        self.metadata = metadata
        self.client = client
        self.logger = logger
    }

    static func start(_ metadata: BindingMetadata, environment: BindingEnvironment, logger: Logger) async throws -> HTTPOutput {
        HTTPOutput(metadata: metadata, client: try await HTTPAccess.startClient(metadata, logger: logger), logger: logger)
    }

    func invoke(_ request: InvokeRequest) async throws -> InvokeResponse {
        if request.operation == "read" {
            return try await HTTPRead(request: request, metadata: metadata, client: client, logger: logger).run()
        }
        let parsed = try CreateRequest(data: request.data, metadata: request.metadata, component: metadata)
        let now = Date()
        let publishes = try parsed.messages.map { ($0.topic, try $0.httpPublishRequest(startDeliverTime: parsed.startDeliverTime, now: now)) }
        var described: [[String: String]] = []
        for (topic, message) in publishes {
            do {
                let receipt = try await HTTPAccess.withRetries(metadata.retries, logger: logger, "publishing to \(topic)") {
                    try await client.publish(topic: topic, message: message)
                }
                described.append(["msgId": receipt.messageID, "bodyMD5": receipt.bodyMD5, "topic": topic])
            } catch {
                throw componentError(error, "publishing to topic \(topic)")
            }
        }
        return CreateRequest.response(described)
    }

    func ping() async throws {
        try await HTTPAccess.probe(client, metadata, logger: logger)
    }

    func close() async {
        await client.shutdown()
    }
}

/// The `read` operation over HTTP: polls each topic until `maxMessages` or nothing is left, then
/// acknowledges what it returns (at-most-once for this operation, as on tcp). Nothing is
/// acknowledged when the read fails, and messages beyond the answer's budget are not either: they
/// come again after their invisibility time.
struct HTTPRead {
    var request: InvokeRequest
    var metadata: BindingMetadata
    var client: MQHTTPClient
    var logger: Logger

    func run() async throws -> InvokeResponse {
        // The protocol waits at most 30 s per poll.
        let options = try ReadOptions(request.metadata, component: metadata, maxWaitMillis: 30_000)
        let (maxMessages, group) = (options.maxMessages, options.group)
        var results: [[String: Any]] = []
        var taken: [(topic: String, handle: String)] = []
        var bodyBytes = 0
        for subscription in options.subscriptions {
            var waitSeconds = (options.waitMillis + 999) / 1000  // only the first poll of a topic waits
            polling: while results.count < maxMessages {
                let batch: [MQHTTPReceivedMessage]
                do {
                    batch = try await client.consume(topic: subscription.topic, group: group, count: min(16, maxMessages - results.count),
                                                     waitSeconds: waitSeconds, tag: subscription.expression)
                } catch {
                    throw componentError(error, "reading topic \(subscription.topic) as group \(group)")
                }
                guard !batch.isEmpty else { break }
                waitSeconds = 0
                for message in batch {
                    bodyBytes += message.body.utf8.count
                    // The first message is always taken, so a large one cannot block reads forever.
                    if bodyBytes > LitePullRead.bodyBudget, !results.isEmpty { break polling }
                    results.append(message.readResult(topic: subscription.topic))
                    taken.append((subscription.topic, message.receiptHandle))
                }
            }
        }
        for topic in Set(taken.map(\.topic)) {
            await acknowledge(taken.filter { $0.topic == topic }.map(\.handle), topic: topic, group: group)
        }
        let body = try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys])
        return InvokeResponse(data: [UInt8](body), metadata: ["count": "\(results.count)"], contentType: "application/json")
    }

    /// Acks in requests of at most 16 handles. A refused ack only means the message comes again.
    private func acknowledge(_ handles: [String], topic: String, group: String) async {
        for start in stride(from: 0, to: handles.count, by: 16) {
            let chunk = Array(handles[start..<min(start + 16, handles.count)])
            do {
                for failure in try await client.ack(topic: topic, group: group, handles: chunk) {
                    logger.warning("the service refused an ack; the message will come again", metadata: [
                        "topic": "\(topic)", "code": "\(failure.code)", "reason": "\(failure.message)"])
                }
            } catch {
                logger.warning("acknowledging read messages failed; they will come again", metadata: ["topic": "\(topic)", "error": "\(error)"])
            }
        }
    }
}
