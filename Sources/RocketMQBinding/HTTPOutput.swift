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
    private let gate: ConnectionGate
    private let environment: BindingEnvironment
    private let logger: Logger

    private init(metadata: BindingMetadata, client: MQHTTPClient, gate: ConnectionGate, environment: BindingEnvironment, logger: Logger) {
        self.metadata = metadata
        self.client = client
        self.gate = gate
        self.environment = environment
        self.logger = logger
    }

    static func start(_ metadata: BindingMetadata, environment: BindingEnvironment, logger: Logger) async throws -> HTTPOutput {
        let (client, gate) = try await HTTPAccess.startClient(metadata, probesInBackground: true, logger: logger)
        return HTTPOutput(metadata: metadata, client: client, gate: gate, environment: environment, logger: logger)
    }

    func invoke(_ request: InvokeRequest) async throws -> InvokeResponse {
        try gate.requireReady()
        if request.operation == "read" {
            // The protocol waits at most 30 s per poll.
            let options = try ReadOptions(request.metadata, component: metadata, maxWaitMillis: 30_000)
            try environment.streamingGroups.refuseRead(StreamingGroups.key(metadata, group: options.group), group: options.group)
            return try await HTTPRead(options: options, metadata: metadata, client: client, logger: logger).run()
        }
        let parsed = try CreateRequest(data: request.data, metadata: request.metadata, component: metadata)
        let now = Date()
        let publishes = try parsed.messages.map { ($0.topic, try $0.httpPublishRequest(startDeliverTime: parsed.startDeliverTime, now: now)) }
        var described: [[String: String]] = []
        for (topic, message) in publishes {
            let metrics = BindingMetrics.shared.topic(topic), started = ContinuousClock.now
            do {
                let receipt = try await HTTPAccess.withRetries(metadata.retries, logger: logger, "publishing to \(topic)") {
                    try await client.publish(topic: topic, message: message)
                }
                BindingMetrics.shared.sent(metrics, since: started)
                described.append(["msgId": receipt.messageID, "bodyMD5": receipt.bodyMD5, "topic": topic])
            } catch {
                let failure = componentError(error, "publishing to topic \(topic)")
                BindingMetrics.shared.sendFailed(topic: topic, status: failure.statusName)
                throw failure
            }
        }
        return CreateRequest.response(described)
    }

    func ping() async throws {
        try gate.requireReady()
        try await HTTPAccess.probe(client, metadata, logger: logger)
    }

    func close() async {
        gate.close()
        await client.shutdown()
    }
}

/// The `read` operation over HTTP: polls each topic until `maxMessages` or nothing is left, then
/// acknowledges what it returns (at-most-once for this operation, as on tcp). Nothing is
/// acknowledged when the read fails, and messages beyond the answer's budget are not either: they
/// come again after their invisibility time.
struct HTTPRead {
    var options: ReadOptions
    var metadata: BindingMetadata
    var client: MQHTTPClient
    var logger: Logger

    func run() async throws -> InvokeResponse {
        let (maxMessages, group) = (options.maxMessages, options.group)
        var answer = ReadAnswer()
        var taken: [(topic: String, handle: String)] = []
        var tooLarge: [String] = []
        polling: for subscription in options.subscriptions {
            var waitSeconds = (options.waitMillis + 999) / 1000  // only the first poll of a topic waits
            while answer.count + tooLarge.count < maxMessages {
                let batch: [MQHTTPReceivedMessage]
                do {
                    batch = try await client.consume(topic: subscription.topic, group: group, count: min(16, maxMessages - answer.count - tooLarge.count),
                                                     waitSeconds: waitSeconds, tag: subscription.expression)
                } catch {
                    throw componentError(error, "reading topic \(subscription.topic) as group \(group)")
                }
                guard !batch.isEmpty else { break }
                waitSeconds = 0
                for message in batch {
                    switch try answer.add(message.readResult(topic: subscription.topic), bodyText: message.body) {
                    case .added:
                        taken.append((subscription.topic, message.receiptHandle))
                    case .full:
                        break polling  // unacknowledged: this one and the rest come again after their invisibility time
                    case .neverFits:
                        // Unacknowledged, the service hands it out again and dead-letters it after its
                        // maximum number of deliveries (the HTTP protocol has no send-back).
                        logger.error("message too large for a read answer under daprd's 4 MiB limit; left to the service's dead-letter queue",
                                     metadata: ["msgId": "\(message.messageID)", "topic": "\(subscription.topic)"])
                        tooLarge.append(message.messageID)
                    }
                }
            }
        }
        for topic in Set(taken.map(\.topic)) {
            await acknowledge(taken.filter { $0.topic == topic }.map(\.handle), topic: topic, group: group)
        }
        var responseMetadata = ["count": "\(answer.count)"]
        if !tooLarge.isEmpty {
            responseMetadata["tooLarge"] = "\(tooLarge.count)"
            responseMetadata["tooLargeMsgIds"] = tooLarge.joined(separator: ",")
        }
        return answer.response(metadata: responseMetadata)
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
