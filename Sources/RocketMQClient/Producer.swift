import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RocketMQWire

/// Sends messages: SEND_MESSAGE_V2 (sync and oneway) and SEND_BATCH_MESSAGE
/// (docs/protocol-remoting.md §2.4), with queue selection (round-robin, or by sharding key), retries on
/// another broker, zlib above 4 KiB and the size limit checked before anything is sent.
///
/// Thread-safe: `send` may be called concurrently from any task once `start()` returned.
public final class Producer: Sendable {
    /// Response codes after which the next attempt goes to another broker (Java `retryResponseCodes`).
    static let retryableCodes: Set<ResponseCode> = [.topicNotExist, .serviceNotAvailable, .systemError, .noPermission, .noBuyerId, .notInCurrentUnit]

    private struct State {
        var started = false
        var stopped = false
        var roundRobin = Int.random(in: 0..<1024)
        /// Brokers sent to: sent heartbeats, and unregistered from at shutdown (name servers do not
        /// know UNREGISTER_CLIENT and never answer it).
        var brokers: Set<String> = []
        /// The `version` each broker answered a heartbeat with.
        var brokerVersions: [String: Int32] = [:]
        var heartbeats: Task<Void, Never>?
    }

    public let configuration: ProducerConfiguration
    private let logger: Logger
    private let pool: ConnectionPool
    private let nameServer: NameServerClient
    private let namespace: Namespace
    private let broker: BrokerOperations
    /// What this producer's heartbeats carry: its group, namespace-wrapped. As the Java and Go
    /// producers do, it goes to every broker sent to, first with the first message there, then
    /// every `heartbeatInterval`, so the broker lists the group's producers (the dashboard's
    /// producer view, `mqadmin producerConnection`).
    private let heartbeatData: HeartbeatData
    private let ids = MessageIDGenerator()
    private let state = NIOLockedValueBox(State())

    /// - Parameters:
    ///   - eventLoopGroup: where the connections live; the NIO singleton by default. It must
    ///     outlive the producer: call `shutdown()` before shutting the group down.
    public init(
        configuration: ProducerConfiguration, eventLoopGroup: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "rocketmq.producer")
    ) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "producerGroup"] = "\(configuration.group)"
        self.logger = logger
        self.namespace = Namespace(name: configuration.client.namespace)
        self.pool = ConnectionPool(
            group: eventLoopGroup, connectTimeout: configuration.client.connectTimeout,
            credentials: configuration.client.credentials, logger: logger)
        self.nameServer = NameServerClient(configuration: configuration.client, pool: pool, logger: logger)
        self.broker = BrokerOperations(
            pool: pool, nameServer: nameServer, requestTimeout: configuration.client.requestTimeout, logger: logger)
        self.heartbeatData = HeartbeatData(
            clientID: configuration.client.clientID, producerDataSet: [ProducerData(groupName: namespace.wrap(configuration.group))])
    }

    /// Validates the configuration and resolves the name servers (HTTP lookup when a domain is set).
    /// Routes and connections are fetched on first use.
    public func start() async throws {
        try configuration.client.validate()
        guard !configuration.group.isEmpty else { throw RocketMQError.invalidArgument("producer group must not be empty") }
        try await nameServer.start()
        let interval = configuration.client.heartbeatInterval
        state.withLockedValue { state in
            state.started = true
            guard !state.stopped, state.heartbeats == nil else { return }
            state.heartbeats = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: UInt64(interval.nanoseconds))
                    guard let self, !Task.isCancelled else { return }
                    await self.broker.heartbeat(self.heartbeatData, to: self.state.withLockedValue({ $0.brokers }).sorted())
                }
            }
        }
    }

    /// Unregisters from the brokers it talked to and closes every connection. Idempotent.
    public func shutdown() async {
        let (wasRunning, heartbeats) = state.withLockedValue { state -> (Bool, Task<Void, Never>?) in
            defer {
                state.stopped = true
                state.heartbeats = nil
            }
            return (state.started && !state.stopped, state.heartbeats)
        }
        heartbeats?.cancel()
        guard wasRunning else { return }
        let brokers = state.withLockedValue { $0.brokers }
        for address in brokers.sorted() {
            try? await broker.unregister(
                clientID: configuration.client.clientID, consumerGroup: nil, producerGroup: namespace.wrap(configuration.group),
                address: address)
        }
        nameServer.shutdown()
        pool.shutdown()
    }

    /// Whether this producer can send to `topic` (Init's probe and health checks): fetches the
    /// topic's route, then sends its heartbeat to the topic's master brokers, as the Java producer
    /// does to every broker when it starts. The heartbeat carries the request signature, so a
    /// broker with ACL refuses wrong credentials here, before any message is sent.
    /// A topic without a route is `topicNotFound` after the heartbeat has gone to the brokers that
    /// would create it on first send (those of the TBW102 template route).
    public func checkTopic(_ topic: String) async throws {
        let route: TopicRoute
        var missing: RocketMQError?
        do {
            route = try await nameServer.route(for: namespace.wrap(topic))
        } catch let error as RocketMQError {
            guard case .topicNotFound = error, let template = try? await nameServer.route(for: "TBW102") else { throw error }
            route = template
            missing = error
        }
        for address in route.masterAddresses.sorted() {
            try await heartbeat(address)
        }
        if let missing { throw missing }
    }

    /// The first `version` of RocketMQ 5 (`MQVersion.Version.V5_0_0`, docs/protocol-remoting.md §1.6).
    public static let firstVersionWithTimers: Int32 = 413

    /// Whether every master broker of `topic` (of the TBW102 template for a topic not created yet)
    /// is RocketMQ 5 or later, so timer messages (`deliverTimeMillis`) are delivered at their time.
    /// Returns the lowest version seen, for an error that names it.
    public func timerSupport(topic: String) async throws -> (supported: Bool, lowestVersion: Int32) {
        let route: TopicRoute
        do {
            route = try await nameServer.route(for: namespace.wrap(topic))
        } catch RocketMQError.topicNotFound(let name, let remark) {
            guard let template = try? await nameServer.route(for: "TBW102") else { throw RocketMQError.topicNotFound(topic: name, remark: remark) }
            route = template
        }
        var lowest = Int32.max
        for address in route.masterAddresses.sorted() {
            if let known = state.withLockedValue({ $0.brokerVersions[address] }) {
                lowest = min(lowest, known)
            } else {
                lowest = min(lowest, try await heartbeat(address))
            }
        }
        return (lowest >= Self.firstVersionWithTimers && lowest != .max, lowest)
    }

    /// Sends this producer's heartbeat to `address`, remembering the broker and its version.
    @discardableResult
    private func heartbeat(_ address: String) async throws -> Int32 {
        let version = try await broker.heartbeat(heartbeatData, address: address)
        state.withLockedValue { state in
            state.brokers.insert(address)
            state.brokerVersions[address] = version
        }
        return version
    }

    /// Sends one message and waits until the broker stored it. Retries up to `retries` times on
    /// another queue (another broker when there is one) after transport errors and retryable codes.
    public func send(_ message: OutgoingMessage) async throws -> SendResult {
        try checkRunning()
        let prepared = try prepare(message)
        return try await sendWithRetries(topic: message.topic, shardingKey: message.shardingKey) { queue, timeout, address in
            try await self.sendOnce(prepared, code: .sendMessageV2, queue: queue, address: address, timeout: timeout)
        }
    }

    /// Sends one message without waiting for the broker (oneway bit set; no retry, no result).
    public func sendOneway(_ message: OutgoingMessage) async throws {
        try checkRunning()
        let prepared = try prepare(message)
        let (queue, address) = try await selectQueue(topic: message.topic, shardingKey: message.shardingKey, avoiding: nil)
        try await pool.oneway(address, buildRequest(prepared, code: .sendMessageV2, queue: queue))
    }

    /// Sends messages of one topic as one SEND_BATCH_MESSAGE (docs/protocol-remoting.md §4.7): no delay
    /// levels, no retry topics. The result carries the comma-joined ids and the first message's offset.
    public func sendBatch(_ messages: [OutgoingMessage]) async throws -> SendResult {
        try checkRunning()
        guard let first = messages.first else { throw RocketMQError.invalidArgument("a batch needs at least one message") }
        for message in messages {
            guard message.topic == first.topic else { throw RocketMQError.invalidArgument("a batch must have one topic") }
            guard message.delayLevel == nil else { throw RocketMQError.invalidArgument("a batch cannot carry delay levels") }
            try validate(message)
        }
        guard !first.topic.hasPrefix(Namespace.retryPrefix) else { throw RocketMQError.invalidArgument("a batch cannot go to a retry topic") }
        var entries: [BatchMessage] = []
        var ids: [String] = []
        for message in messages {
            let id = self.ids.next()
            ids.append(id)
            let properties = MessageProperties.encode(try Self.properties(of: message, uniqueKey: id))
            entries.append(BatchMessage(flag: message.flag, body: message.body, propertiesText: properties))
        }
        let body: [UInt8]
        do {
            body = try MessageBatch.encode(entries)
        } catch {
            throw RocketMQError.invalidArgument("batch cannot be encoded: \(error)")
        }
        guard body.count <= configuration.maxMessageSize else {
            throw RocketMQError.invalidArgument("batch of \(body.count) bytes exceeds the maximum message size \(configuration.maxMessageSize)")
        }
        let prepared = PreparedMessage(
            topic: namespace.wrap(first.topic), body: body, sysFlag: 0, flag: 0, properties: "", uniqueKey: ids.joined(separator: ","),
            batch: true)
        return try await sendWithRetries(topic: first.topic, shardingKey: first.shardingKey) { queue, timeout, address in
            try await self.sendOnce(prepared, code: .sendBatchMessage, queue: queue, address: address, timeout: timeout)
        }
    }

    // MARK: - Internals

    struct PreparedMessage: Sendable {
        var topic: String
        var body: [UInt8]
        var sysFlag: Int32
        var flag: Int32
        var properties: String
        var uniqueKey: String
        var batch: Bool
    }

    private func checkRunning() throws {
        let running = state.withLockedValue { $0.started && !$0.stopped }
        guard running else { throw RocketMQError.notRunning }
    }

    private func validate(_ message: OutgoingMessage) throws {
        try TopicName.validate(message.topic)
        guard !message.body.isEmpty else { throw RocketMQError.invalidArgument("message body of topic \(message.topic) is empty") }
        guard message.body.count <= configuration.maxMessageSize else {
            throw RocketMQError.invalidArgument(
                "message body of \(message.body.count) bytes exceeds the maximum message size \(configuration.maxMessageSize)")
        }
        if let level = message.delayLevel, !(1...18).contains(level) {
            throw RocketMQError.invalidArgument("delay level \(level) is outside 1...18")
        }
        if message.delayLevel != nil, message.deliverTimeMillis != nil {
            throw RocketMQError.invalidArgument("a message takes a delay level or a delivery time, not both")
        }
    }

    private func prepare(_ message: OutgoingMessage) throws -> PreparedMessage {
        try validate(message)
        let id = ids.next()
        var body = message.body
        var sysFlag: Int32 = 0
        if body.count >= configuration.compressThreshold {
            do {
                body = try Compression.deflate(body, level: configuration.compressionLevel)
                // 4.9.4+ clients mark the zlib type too (docs/protocol-remoting.md §4.4):
                // COMPRESSED | ZLIB = 0x301.
                sysFlag = 0x301
            } catch {
                logger.warning("compression failed; sending uncompressed", metadata: ["error": "\(error)"])
            }
        }
        return PreparedMessage(
            topic: namespace.wrap(message.topic), body: body, sysFlag: sysFlag, flag: message.flag,
            properties: MessageProperties.encode(try Self.properties(of: message, uniqueKey: id)), uniqueKey: id, batch: false)
    }

    /// The message's properties in the order they are written: the user's (sorted), then the
    /// system ones the message's fields stand for. A user property that names a system property
    /// (``MessagePropertyKey/systemProperties``) is refused, not dropped: it would forge the tag,
    /// the id or the delay of the message.
    static func properties(of message: OutgoingMessage, uniqueKey: String) throws -> [(key: String, value: String)] {
        var pairs: [(key: String, value: String)] = []
        for (key, value) in message.properties.sorted(by: { $0.key < $1.key }) where !key.isEmpty && !value.isEmpty {
            guard !MessagePropertyKey.isSystemProperty(key) else {
                throw RocketMQError.invalidArgument("message property \(key): a RocketMQ system property; choose another name")
            }
            pairs.append((key, value))
        }
        if let tags = message.tags, !tags.isEmpty { pairs.append((MessagePropertyKey.tags, tags)) }
        let keys = message.keys.filter { !$0.isEmpty }
        if !keys.isEmpty { pairs.append((MessagePropertyKey.keys, keys.joined(separator: MessagePropertyKey.keySeparator))) }
        if let level = message.delayLevel { pairs.append((MessagePropertyKey.delayTimeLevel, String(level))) }
        if let key = message.shardingKey, !key.isEmpty { pairs.append((MessagePropertyKey.shardingKey, key)) }
        if let time = message.deliverTimeMillis { pairs.append((MessagePropertyKey.timerDeliverMillis, String(time))) }
        pairs.append((MessagePropertyKey.waitStoreMessageOK, "true"))
        pairs.append((MessagePropertyKey.uniqueClientMessageIdKey, uniqueKey))
        return pairs
    }

    /// The send request: the typed header the broker decodes, written with the V2 one-letter keys
    /// of SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE (docs/protocol-remoting.md §2.4) straight into the
    /// command, in the header's precomputed Java `HashMap` order.
    static func sendRequest(
        _ message: PreparedMessage, code: RequestCode, queue: MessageQueue, producerGroup: String, bornTimestamp: Int64
    ) -> RemotingCommand {
        let header = SendMessageRequestHeader(
            producerGroup: producerGroup, topic: message.topic, queueId: queue.queueId, sysFlag: message.sysFlag,
            bornTimestamp: bornTimestamp, flag: message.flag, properties: message.properties.isEmpty ? nil : message.properties,
            batch: message.batch, bname: queue.brokerName)
        return .request(code: code, header: header, body: message.body)
    }

    private func buildRequest(_ message: PreparedMessage, code: RequestCode, queue: MessageQueue) -> RemotingCommand {
        Self.sendRequest(
            message, code: code, queue: queue, producerGroup: namespace.wrap(configuration.group), bornTimestamp: WallClock.nowMillis())
    }

    private func sendOnce(
        _ message: PreparedMessage, code: RequestCode, queue: MessageQueue, address: String, timeout: TimeAmount
    ) async throws -> SendResult {
        let response = try await pool.request(address, buildRequest(message, code: code, queue: queue), timeout: timeout)
        let status: SendResult.Status
        switch response.responseCode {
        case .success: status = .sendOK
        case .flushDiskTimeout: status = .flushDiskTimeout
        case .flushSlaveTimeout: status = .flushSlaveTimeout
        case .slaveNotAvailable: status = .slaveNotAvailable
        default: throw ResponseErrors.error(for: response, topic: namespace.unwrap(message.topic))
        }
        return SendResult(
            status: status, messageID: message.uniqueKey, offsetMessageID: response.extFields["msgId"] ?? "",
            topic: namespace.unwrap(message.topic), brokerName: queue.brokerName,
            queueId: response.extFields["queueId"].flatMap { Int32($0) } ?? queue.queueId,
            queueOffset: response.extFields["queueOffset"].flatMap { Int64($0) } ?? -1,
            brokerAddress: address,
            regionID: response.extFields[MessagePropertyKey.messageRegion].flatMap { $0.isEmpty ? nil : $0 } ?? TraceRecord.defaultRegionID,
            traceOn: response.extFields[MessagePropertyKey.traceSwitch] != "false")
    }

    private func sendWithRetries(
        topic: String, shardingKey: String?,
        _ attempt: @Sendable (MessageQueue, TimeAmount, String) async throws -> SendResult
    ) async throws -> SendResult {
        let attempts = 1 + max(0, configuration.client.retries)
        let deadline = NIODeadline.now() + configuration.sendTimeout * Int64(attempts)
        var lastBroker: String?
        var lastError: RocketMQError = .timeout("send to \(topic)")
        for number in 1...attempts {
            let remaining = deadline - .now()
            guard remaining > .zero else { break }
            let (queue, address): (MessageQueue, String)
            do {
                (queue, address) = try await selectQueue(topic: topic, shardingKey: shardingKey, avoiding: lastBroker)
            } catch let error as RocketMQError {
                switch error {
                case .topicNotFound, .invalidArgument, .noPermission, .notRunning, .offsetFile, .subscriptionRefused: throw error
                case .broker, .timeout, .unreachable, .connectionClosed, .protocolViolation:
                    lastError = error
                    continue
                }
            }
            do {
                return try await attempt(queue, min(configuration.sendTimeout, remaining), address)
            } catch let error as RocketMQError {
                lastError = error
                lastBroker = queue.brokerName
                switch error {
                case .broker(let code, _):
                    guard Self.retryableCodes.contains(code) else { throw error }
                case .topicNotFound, .noPermission:
                    break
                case .invalidArgument, .notRunning, .protocolViolation, .offsetFile, .subscriptionRefused:
                    throw error
                case .timeout, .unreachable, .connectionClosed:
                    break
                }
                logger.debug("send attempt failed", metadata: ["topic": "\(topic)", "attempt": "\(number)", "queue": "\(queue)", "error": "\(error)"])
            }
        }
        throw lastError
    }

    /// Round-robin over the writable queues, skipping the broker that just failed when another one
    /// exists; a sharding key always maps to the same queue.
    private func selectQueue(topic: String, shardingKey: String?, avoiding broker: String?) async throws -> (MessageQueue, String) {
        let wrapped = namespace.wrap(topic)
        var route: TopicRoute
        var queues: [MessageQueue]
        do {
            route = try await nameServer.route(for: wrapped)
            queues = route.publishQueues(topic: wrapped)
        } catch RocketMQError.topicNotFound(let name, let remark) {
            // The broker may create the topic on first send from the TBW102 template
            // (docs/protocol-remoting.md §3.4).
            guard let template = try? await nameServer.route(for: "TBW102") else {
                throw RocketMQError.topicNotFound(topic: topic, remark: remark ?? name)
            }
            route = template
            queues = Dictionary(grouping: template.publishQueues(topic: wrapped), by: \.brokerName)
                .flatMap { $0.value.filter { $0.queueId < 4 } }.sorted()
        }
        guard !queues.isEmpty else { throw RocketMQError.topicNotFound(topic: topic, remark: "no writable queue") }
        let queue: MessageQueue
        if let shardingKey, !shardingKey.isEmpty {
            let hash = Int(JavaHash.stringHashCode(shardingKey)).magnitude
            queue = queues[Int(hash % UInt(queues.count))]
        } else {
            let start = state.withLockedValue { state -> Int in
                state.roundRobin &+= 1
                return state.roundRobin
            }
            let candidates = queues.indices.map { queues[(start + $0) % queues.count] }
            queue = candidates.first { $0.brokerName != broker } ?? candidates[0]
        }
        guard let address = route.masterAddress(of: queue.brokerName) else {
            throw RocketMQError.unreachable(address: queue.brokerName, reason: "no master address for broker")
        }
        if state.withLockedValue({ $0.brokers.insert(address).inserted }) {
            Task { await self.broker.heartbeat(self.heartbeatData, to: [address]) }
        }
        return (queue, address)
    }
}

/// Topic name rules (docs/protocol-remoting.md §2.4): `^[%|a-zA-Z0-9_-]+$`, at most 127 characters.
enum TopicName {
    static func validate(_ topic: String) throws {
        guard !topic.isEmpty else { throw RocketMQError.invalidArgument("topic must not be empty") }
        guard topic.utf8.count <= 127 else { throw RocketMQError.invalidArgument("topic '\(topic)' is longer than 127 characters") }
        let allowed = topic.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "%") || byte == UInt8(ascii: "|") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        guard allowed else { throw RocketMQError.invalidArgument("topic '\(topic)' may only contain letters, digits, %, |, _ and -") }
    }
}
