import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RocketMQWire

/// An in-memory RocketMQ 4.x name server and broker on ephemeral loopback ports — a **test double**,
/// not a RocketMQ server. It speaks the real remoting wire format (``RocketMQWire``) and answers with
/// the shapes of the frames captured from a real 4.9.8 broker, but keeps everything in memory, has
/// one broker (`brokerId` 0) and none of the real store's durability, HA, transactions or SQL
/// filters.
///
/// It is used by the tests, the benchmark and the demo (`dapr-rocketmq --demo-broker`, for
/// components that name no name server) only; never by a component that names a name server.
/// (The HTTP access protocol's test double, `MQHTTPTestServer`, is a separate target that only
/// test targets link.)
///
/// Threading: all state lives on one private event loop; every public method may be called from any
/// task and hops onto that loop. `nameServerAddress`, `brokerAddress` and `brokerName` never change,
/// not even across ``restart()`` (which rebinds the same ports).
public final class RocketMQTestBroker: Sendable {
    /// `127.0.0.1:port` of the name server.
    public let nameServerAddress: String
    /// `127.0.0.1:port` of the broker (what routes advertise as brokerId 0).
    public let brokerAddress: String
    public let brokerName: String

    private let group: MultiThreadedEventLoopGroup
    private let core: BrokerCore
    private let configuration: RocketMQTestBrokerConfiguration
    private let nameServerPort: Int
    private let brokerPort: Int
    /// Listening channels; touched only on the core's event loop.
    private let listeners: NIOLoopBoundBox<[Channel]>

    private init(group: MultiThreadedEventLoopGroup, core: BrokerCore, configuration: RocketMQTestBrokerConfiguration,
                 nameServerPort: Int, brokerPort: Int, listeners: [Channel]) {
        self.group = group
        self.core = core
        self.configuration = configuration
        self.nameServerPort = nameServerPort
        self.brokerPort = brokerPort
        self.listeners = .makeBoxSendingValue(listeners, eventLoop: core.eventLoop)
        self.nameServerAddress = "\(configuration.host):\(nameServerPort)"
        self.brokerAddress = "\(configuration.host):\(brokerPort)"
        self.brokerName = configuration.brokerName
    }

    /// Binds a name server and a broker on ephemeral ports of `configuration.host` and starts serving.
    public static func start(_ configuration: RocketMQTestBrokerConfiguration = RocketMQTestBrokerConfiguration()) async throws -> RocketMQTestBroker {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let loop = group.next()
            // The broker's address must be known before the core exists (it is the store host),
            // so bind first with a core box that is filled right after.
            let box = CoreBox(nil)
            let brokerChannel = try await bind(group: group, host: configuration.host, port: 0, role: .broker, box: box)
            let brokerPort = brokerChannel.localAddress?.port ?? 0
            let core = BrokerCore(eventLoop: loop, configuration: configuration, brokerAddress: "\(configuration.host):\(brokerPort)")
            box.withLockedValue { $0 = core }
            let nameChannel = try await bind(group: group, host: configuration.host, port: 0, role: .nameServer, box: box)
            let broker = RocketMQTestBroker(group: group, core: core, configuration: configuration,
                                            nameServerPort: nameChannel.localAddress?.port ?? 0, brokerPort: brokerPort,
                                            listeners: [nameChannel, brokerChannel])
            configuration.logger.info(
                "RocketMQTestBroker started: an in-memory TEST DOUBLE of a RocketMQ 4.x name server and broker, not a real server",
                metadata: ["nameServer": "\(broker.nameServerAddress)", "broker": "\(broker.brokerAddress)", "brokerName": "\(broker.brokerName)"])
            return broker
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// Holds the core for child initializers created before it (filled once, on start).
    typealias CoreBox = NIOLockedValueBox<BrokerCore?>

    private static func bind(group: EventLoopGroup, host: String, port: Int, role: ServerRole, box: CoreBox) async throws -> Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let core = box.withLockedValue({ $0 }) else { throw ChannelError.ioOnClosedChannel }
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(RemotingCommandDecoder()),
                        MessageToByteHandler(RemotingCommandEncoder()),
                        BrokerConnectionHandler(core: core, role: role),
                    ])
                }
            }
            .bind(host: host, port: port)
            .get()
    }

    private func onLoop<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await core.eventLoop.submit(body).get()
    }

    /// Stops listening and closes every connection; stored messages, offsets and scheduled
    /// deliveries are kept. ``restart()`` serves again on the same ports.
    public func stop() async throws {
        let closing: [EventLoopFuture<Void>] = try await onLoop { [self] in
            let futures = listeners.value.map { $0.close() }
            listeners.value = []
            core.dropAllConnections()
            return futures
        }
        for future in closing {
            try? await future.get()
        }
    }

    /// Stops (if needed) and listens again on the same two ports, keeping all stored data.
    public func restart() async throws {
        try await stop()
        let box = CoreBox(core)
        let broker = try await Self.bind(group: group, host: configuration.host, port: brokerPort, role: .broker, box: box)
        let name = try await Self.bind(group: group, host: configuration.host, port: nameServerPort, role: .nameServer, box: box)
        try await onLoop { [self] in listeners.value = [name, broker] }
        configuration.logger.info("RocketMQTestBroker (test double) restarted", metadata: ["broker": "\(brokerAddress)"])
    }

    /// Stops and releases the event loop. The instance cannot be used afterwards.
    public func shutdown() async throws {
        try await stop()
        try await onLoop { [self] in
            for task in core.scheduledDeliveries.values { task.cancel() }
            core.scheduledDeliveries = [:]
            for pulls in core.pendingPulls.values { pulls.forEach { $0.timeout?.cancel() } }
            core.pendingPulls = [:]
        }
        try await group.shutdownGracefully()
    }

    // MARK: Topics and inspection

    /// Creates a topic (no-op if it exists), like `mqadmin updateTopic`.
    public func createTopic(_ topic: String, queueNums: Int32 = 4, perm: Int32 = Permission.read | Permission.write) async throws {
        try await onLoop { [core] in core.store.createTopic(topic, queueNums: queueNums, perm: perm) }
    }

    /// Whether the topic exists.
    public func topicExists(_ topic: String) async throws -> Bool {
        try await onLoop { [core] in core.store.topics[topic] != nil }
    }

    /// The messages of one queue, in offset order.
    public func messages(topic: String, queueId: Int32) async throws -> [StoredMessage] {
        try await onLoop { [core] in core.store.queue(topic, queueId).messages }
    }

    /// All messages of a topic, every queue, in queue then offset order.
    public func messages(topic: String) async throws -> [StoredMessage] {
        try await onLoop { [core] in
            (core.store.queues[topic] ?? [:]).keys.sorted().flatMap { core.store.queue(topic, $0).messages }
        }
    }

    /// Stores a message as if a producer had sent it (born at the broker's own address), creating
    /// the topic if needed, and wakes held pulls. Returns the stored message (offsets, msgId).
    @discardableResult
    public func publish(topic: String, queueId: Int32 = 0, body: [UInt8], tags: String? = nil, keys: String? = nil,
                        properties: [String: String] = [:]) async throws -> StoredMessage {
        try await onLoop { [core] in
            core.store.createTopic(topic, queueNums: max(core.configuration.defaultQueueNums, queueId + 1))
            var props = PropertyList("")
            for key in properties.keys.sorted() { props[key] = properties[key] }
            if let keys { props[MessagePropertyKey.keys] = keys }
            if let tags { props[MessagePropertyKey.tags] = tags }
            props[MessagePropertyKey.cluster] = core.configuration.clusterName
            let now = BrokerCore.nowMillis()
            let stored = core.store.append(StoredMessage(
                queueId: queueId, queueOffset: 0, commitLogOffset: 0, bornTimestamp: now, bornHost: core.storeHost,
                storeTimestamp: now, storeHost: core.storeHost, storedBody: body, topic: topic, propertiesText: props.text))
            core.messagesArrived(topic: topic, queueId: queueId)
            return stored
        }
    }

    /// How many pulls are currently held (long polling).
    public func heldPullCount() async throws -> Int {
        try await onLoop { [core] in core.pendingPulls.values.reduce(0) { $0 + $1.count } }
    }

    /// The committed offset of a group for a queue, if any.
    public func consumerOffset(group: String, topic: String, queueId: Int32) async throws -> Int64? {
        try await onLoop { [core] in
            core.store.consumerOffsets[group]?[MessageQueue(topic: topic, brokerName: core.configuration.brokerName, queueId: queueId)]
        }
    }

    /// The clientIDs currently registered in a consumer group (sorted).
    public func consumerIDs(group: String) async throws -> [String] {
        try await onLoop { [core] in core.consumerGroups[group]?.clientIDs ?? [] }
    }

    /// The clientIDs whose heartbeats registered them in a producer group (sorted).
    public func producerIDs(group: String) async throws -> [String] {
        try await onLoop { [core] in Set((core.producerGroups[group] ?? [:]).values).sorted() }
    }

    /// How many requests with this code arrived (both servers).
    public func requestCount(_ code: RequestCode) async throws -> Int {
        try await onLoop { [core] in core.requestCounts[code.rawValue] ?? 0 }
    }

    /// Drops messages before `offset` from a queue, as the real store does when old commit-log
    /// files expire (then QUERY_CONSUMER_OFFSET for a new group answers QUERY_NOT_FOUND).
    public func expireMessages(topic: String, queueId: Int32, before offset: Int64) async throws {
        try await onLoop { [core] in
            var queue = core.store.queue(topic, queueId)
            let drop = Int(max(0, min(offset - queue.minOffset, Int64(queue.messages.count))))
            queue.messages.removeFirst(drop)
            queue.minOffset += Int64(drop)
            core.store.queues[topic, default: [:]][queueId] = queue
        }
    }

    // MARK: Fault switches

    /// Closes every open client connection (both servers); listeners stay up.
    public func dropAllConnections() async throws {
        try await onLoop { [core] in core.dropAllConnections() }
    }

    /// While true, new connections are accepted and closed at once.
    public func setRefusingConnections(_ refusing: Bool) async throws {
        try await onLoop { [core] in core.refuseConnections = refusing }
    }

    /// Delays every response by `delay` (`nil` = answer at once).
    public func setResponseDelay(_ delay: TimeAmount?) async throws {
        try await onLoop { [core] in core.responseDelay = delay }
    }

    /// Answers every request with `requestCode` with `responseCode` and `remark` instead of serving it.
    public func injectError(for requestCode: RequestCode, responseCode: ResponseCode, remark: String? = nil) async throws {
        try await onLoop { [core] in core.injectedErrors[requestCode.rawValue] = (responseCode, remark) }
    }

    /// Removes every injected error.
    public func clearInjectedErrors() async throws {
        try await onLoop { [core] in core.injectedErrors = [:] }
    }
}
