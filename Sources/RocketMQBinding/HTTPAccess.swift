import DaprComponents
import Logging
import RocketMQHTTP

/// What the HTTP input and output share: retries with back-off and the Init/Ping probe.
enum HTTPAccess {
    /// A receipt handle no message has: acking it proves the endpoint answers and accepts the
    /// signature without touching any message (the service answers `ReceiptHandleError`).
    static let probeHandle = "dapr-rocketmq-probe"

    /// Runs `body`, again after 100 ms, 200 ms, … while it fails with a retryable error, at most
    /// `retries` more times.
    static func withRetries<Result>(_ retries: Int, logger: Logger, _ what: String, _ body: () async throws -> Result) async throws -> Result {
        var backoff: Duration = .milliseconds(100)
        for _ in 0..<max(retries, 0) {
            do {
                return try await body()
            } catch let error as MQHTTPError where error.isRetryable {
                logger.debug("\(what) failed; retrying", metadata: ["error": "\(error)", "retryIn": "\(backoff)"])
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
        return try await body()  // the last attempt: whatever it throws is the answer
    }

    /// A client for the instance's endpoint and credentials.
    static func makeClient(_ metadata: BindingMetadata, logger: Logger) throws -> MQHTTPClient {
        do {
            return try MQHTTPClient(configuration: metadata.httpConfiguration(), logger: logger)
        } catch {
            throw componentError(error, "configuring the HTTP client")
        }
    }

    /// A client whose endpoint and credentials Init probes within its budget (`ConnectionGate`);
    /// shut down again when Init fails.
    static func startClient(_ metadata: BindingMetadata, probesInBackground: Bool, logger: Logger) async throws -> (MQHTTPClient, ConnectionGate) {
        let client = try makeClient(metadata, logger: logger)
        let gate = ConnectionGate("the HTTP endpoint \(metadata.endpoint ?? "")", logger: logger, probesInBackground: probesInBackground) {
            try await probe(client, metadata, logger: logger)
        }
        do {
            try await gate.start()
        } catch {
            await client.shutdown()
            throw error
        }
        return (client, gate)
    }

    /// Proves the endpoint answers and accepts the credentials, for every topic. Refused
    /// credentials, an unreachable endpoint or an unreadable answer fail; a topic the service
    /// does not know yet is only a warning (as a topic without a route on the tcp path).
    static func probe(_ client: MQHTTPClient, _ metadata: BindingMetadata, logger: Logger) async throws {
        for subscription in metadata.subscriptions {
            do {
                _ = try await withRetries(metadata.retries, logger: logger, "probing the endpoint") {
                    try await client.ack(topic: subscription.topic, group: metadata.consumerGroup, handles: [probeHandle])
                }
            } catch let error as MQHTTPError {
                guard case .service(_, let code, _, _) = error, !error.isPermissionDenied else {
                    throw componentError(error, "reaching the HTTP endpoint \(metadata.endpoint ?? "") for topic \(subscription.topic)")
                }
                if code == "TopicNotExist" {
                    logger.warning("the service does not know the topic", metadata: ["topic": "\(subscription.topic)"])
                } else {
                    logger.debug("probe answered", metadata: ["topic": "\(subscription.topic)", "error": "\(error)"])
                }
            }
        }
    }
}
