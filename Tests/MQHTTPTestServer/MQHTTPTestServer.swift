import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import RocketMQHTTP

/// An in-memory server of the RocketMQ / Aliyun MQ **HTTP access protocol** (docs/protocol-mq-http.md)
/// on an ephemeral loopback port — a **test double** in the spirit of miniredis, not an MQ service.
///
/// What it implements, checked against that document:
/// - Every request: `Authorization: MQ ak:sig` verified by recomputing the string-to-sign from the
///   request as received (method, Content-MD5, Content-Type, Date, every `x-mq-*` header, the raw
///   request-URI) with ``MQHTTPSigner``; the Date within 15 minutes; Content-MD5, when sent, equal
///   to Base64(hex MD5(body)); `x-mq-version: 2015-06-06`. See ``MQHTTPRequestVerifier`` for the
///   codes, including the ones the protocol document leaves open and this double chooses.
/// - `/topics/{topic}/messages` only; `ns` selects the instance, and storage is per (instance,
///   topic). Topics must be created with ``createTopic(_:instance:)``; others get 404 `TopicNotExist`.
/// - POST publish (201, message id + upper-case body MD5), with `__STARTDELIVERTIME` delaying
///   visibility; GET consume with `consumer`, `numOfMessages` 1...16, `waitseconds` 0...30 (long
///   polling, held without blocking the event loop), `tag` (`A||B`, `*`); per-group visibility
///   timeout, `ConsumedTimes`, `FirstConsumeTime`, a new receipt handle per delivery; DELETE ack
///   (204, or 404 `<Errors>` per handle: `ReceiptHandleError` for unknown or superseded handles,
///   `MessageNotExist` once `NextConsumeTime` has passed). No message → 404 `MessageNotExist`.
/// - `x-mq-request-id` on every answer; `<Error>` bodies with the service's xmlns.
/// - Request bodies above `maxRequestBodyBytes` (5 MiB) → 413 and the connection closed; bad HTTP →
///   NIO's 400 and the connection closed; nothing a client sends stops the server.
///
/// What it does **not** implement: transactional messages (`trans=`, `__TransCheckT` are refused
/// with `InvalidArgument`), orderly consumption and `__SHARDINGKEY` ordering, retry limits and dead
/// letters, STS tokens (a `security-token` header is ignored, never checked), QPS limits, the
/// 1024-character request-line limit, a limit on handles per ack, message size limits other than
/// the body bound, persistence, and any service behaviour docs/protocol-mq-http.md marks unverified
/// beyond the choices documented here.
///
/// Threading: every public method may be called from any thread or task; state sits behind a lock,
/// and the server runs on its own single event loop.
public final class MQHTTPTestServer: Sendable {
    private struct Running {
        var group: MultiThreadedEventLoopGroup
        var listener: Channel
        var port: Int
    }

    private let core: MQHTTPServerCore
    private let logger: Logger
    private let running = NIOLockedValueBox<Running?>(nil)

    /// - Parameters:
    ///   - credentials: accessKey → secretKey pairs the server accepts.
    ///   - invisibleFor: how long a consumed, unacked message stays invisible to its group (the
    ///     service's `NextConsumeTime - now`; about 5 minutes on the real service).
    ///   - maxRequestBodyBytes: larger request bodies are refused with 413.
    public init(credentials: [String: String], invisibleFor: Duration = .seconds(5), maxRequestBodyBytes: Int = 5 * 1024 * 1024,
                logger: Logger = Logger(label: "mq-http-test-server")) {
        core = MQHTTPServerCore(credentials: credentials, invisibleFor: invisibleFor, maxRequestBodyBytes: maxRequestBodyBytes, logger: logger)
        self.logger = logger
    }

    /// Binds 127.0.0.1 on an ephemeral port and starts serving. Calling it again does nothing.
    public func start() async throws {
        guard running.withLockedValue({ $0 == nil }) else { return }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let core = self.core
            let listener = try await ServerBootstrap(group: group)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(MQHTTPConnectionHandler(core: core))
                    }
                }
                .bind(host: "127.0.0.1", port: 0)
                .get()
            let port = listener.localAddress?.port ?? 0
            core.setHostID("http://127.0.0.1:\(port)")
            running.withLockedValue { $0 = Running(group: group, listener: listener, port: port) }
            logger.info("MQHTTPTestServer started: an in-memory TEST DOUBLE of the MQ HTTP access protocol, not a real service",
                        metadata: ["endpoint": "\(endpoint)"])
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// `http://127.0.0.1:<port>`; the port is 0 before ``start()``.
    public var endpoint: String {
        "http://127.0.0.1:\(port)"
    }

    /// The bound port; 0 before ``start()``.
    public var port: Int {
        running.withLockedValue { $0?.port ?? 0 }
    }

    /// Answers held long polls `MessageNotExist`, closes the listener and every connection, and
    /// stops the event loop. Stored data stays inspectable; the server cannot be started again.
    public func shutdown() async {
        let connections = core.beginShutdown()
        guard let running = running.withLockedValue({ $0 }) else { return }
        try? await running.listener.close()
        for connection in connections {
            try? await connection.close()
        }
        try? await running.group.shutdownGracefully()
    }

    // MARK: Topics and inspection

    /// Creates a topic (no-op if it exists) in an instance (`ns`), or in the default one.
    public func createTopic(_ topic: String, instance: String? = nil) {
        core.createTopic(MQHTTPTopicKey(instance: instance ?? "", topic: topic))
    }

    /// The stored messages of a topic, in publish order.
    public func messages(topic: String, instance: String? = nil) -> [MQHTTPStoredMessage] {
        core.messages(MQHTTPTopicKey(instance: instance ?? "", topic: topic))
    }

    /// How many times a message was handed out to a consumer group (0 if never, or unknown).
    public func deliveryCount(messageID: String, group: String) -> Int {
        core.delivery(messageID: messageID, group: group)?.consumedTimes ?? 0
    }

    /// Whether a consumer group acked the message.
    public func isAcked(messageID: String, group: String) -> Bool {
        core.delivery(messageID: messageID, group: group)?.acked ?? false
    }

    /// Every request received, complete or refused, in arrival order.
    public var requests: [MQHTTPRecordedRequest] {
        core.requests
    }

    /// How many consumes are held right now (long polling).
    public var heldPollCount: Int {
        core.heldPollCount
    }

    /// Returns once at least `count` consumes are held (or the server shuts down): publish after
    /// this to prove that a long poll, not a fresh request, got the message.
    public func waitForHeldPolls(atLeast count: Int = 1) async {
        await core.waitForHeldPolls { $0 >= count }
    }

    /// Returns once no consume is held (or the server shuts down): e.g. after a client gave up on
    /// a long poll, once the server has noticed the closed connection and dropped the poll.
    public func waitForNoHeldPolls() async {
        await core.waitForHeldPolls { $0 == 0 }
    }

    // MARK: Fault switches

    /// The next `count` requests, whatever they are, are answered with this `<Error>` (no checks).
    public func failNext(_ count: Int = 1, status: Int, code: String, message: String) {
        core.addFaults(.refuse(MQHTTPRefusal(HTTPResponseStatus(statusCode: status), code, message)), count: count)
    }

    /// The next `count` requests, whatever they are, are answered HTTP 200 with `body` (meant to be
    /// something that is not the protocol's XML). Queued behind earlier ``failNext(_:status:code:message:)``s.
    public func answerNextWithMalformedBody(_ count: Int = 1, body: String = "<Messages><Message>") {
        core.addFaults(.malformedBody(body), count: count)
    }
}
