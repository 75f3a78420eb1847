import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RocketMQWire

/// On-demand pulls for the binding's `read` operation: for each queue of the topics, start at the
/// group's committed offset and take up to `maxMessages` in total (optionally long-polling when
/// nothing is there); then the caller commits past what it accepted (UPDATE_CONSUMER_OFFSET), so
/// what it returns is consumed at most once and what it could not return comes again.
///
/// Thread-safe; concurrent `pull` calls for one group may return the same messages (the commit is
/// not a lock), so callers serialise reads per group.
public final class LitePullConsumer: Sendable {
    public let client: ClientConfiguration
    public let defaultGroup: String
    public let consumeFromWhere: ConsumeFromWhere
    private let logger: Logger
    private let pool: ConnectionPool
    private let nameServer: NameServerClient
    private let broker: BrokerOperations
    private let namespace: Namespace
    private let running = NIOLockedValueBox(false)
    /// SQL92 subscriptions a broker accepted (CHECK_CLIENT_CONFIG), by group, topic and expression:
    /// a broker pulling with an expression it cannot compile lets every message through, so each
    /// one is checked before its first pull, as the push consumer checks at start.
    private let acceptedFilters = NIOLockedValueBox<Set<[String]>>([])

    /// Creates a reader for `group` (the default of `pull`); nothing is sent until `start()`. The
    /// connections live on `eventLoopGroup`, which must outlive the reader: `shutdown()` it first.
    public init(
        client: ClientConfiguration, group: String, consumeFromWhere: ConsumeFromWhere = .lastOffset,
        eventLoopGroup: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "rocketmq.litepull")
    ) {
        self.client = client
        self.defaultGroup = group
        self.consumeFromWhere = consumeFromWhere
        self.logger = logger
        self.namespace = Namespace(name: client.namespace)
        self.pool = ConnectionPool(
            group: eventLoopGroup, connectTimeout: client.connectTimeout, credentials: client.credentials, logger: logger)
        self.nameServer = NameServerClient(configuration: client, pool: pool, logger: logger)
        self.broker = BrokerOperations(pool: pool, nameServer: nameServer, requestTimeout: client.requestTimeout, logger: logger)
    }

    /// Validates the configuration and resolves the name servers.
    public func start() async throws {
        try client.validate()
        guard !defaultGroup.isEmpty else { throw RocketMQError.invalidArgument("consumer group must not be empty") }
        try await nameServer.start()
        running.withLockedValue { $0 = true }
    }

    /// Closes every connection; later `pull` calls fail with `.notRunning`. Idempotent.
    public func shutdown() async {
        let wasRunning = running.withLockedValue { value -> Bool in
            defer { value = false }
            return value
        }
        guard wasRunning else { return }
        nameServer.shutdown()
        pool.shutdown()
    }

    /// What one `pull` took: nothing is committed until `commit` says which messages were accepted.
    public struct Pulled: Sendable {
        public let messages: [ConsumedMessage]
        /// Per message, as pulled: what `commit` and `deadLetter` need.
        fileprivate let stored: [(message: StoredMessage, queue: MessageQueue)]
        fileprivate let wireGroup: String
        /// Per queue: the committed offset the pull started at, and where it ended.
        fileprivate let start: [MessageQueue: Int64]
        fileprivate let next: [MessageQueue: Int64]
    }

    /// Pulls up to `maxMessages` from the queues of `subscriptions` and commits past them: the
    /// at-most-once read of a caller that returns every message it pulled.
    public func pull(
        _ subscriptions: [Subscription], maxMessages: Int, wait: TimeAmount = .zero, group: String? = nil,
        maxBodyBytes: Int = .max
    ) async throws -> [ConsumedMessage] {
        let pulled = try await pullUncommitted(subscriptions, maxMessages: maxMessages, wait: wait, group: group, maxBodyBytes: maxBodyBytes)
        try await commit(pulled, accepted: Array(repeating: true, count: pulled.messages.count))
        return pulled.messages
    }

    /// Commits, per queue, past every message of `pulled` up to the first one not `accepted` (the
    /// caller did not return it: it comes again on the next pull).
    public func commit(_ pulled: Pulled, accepted: [Bool]) async throws {
        precondition(accepted.count == pulled.messages.count, "one verdict per pulled message")
        var offsets = pulled.next
        for (index, (message, queue)) in pulled.stored.enumerated() where !accepted[index] {
            offsets[queue] = min(offsets[queue] ?? message.queueOffset, message.queueOffset)
        }
        for (queue, offset) in offsets.sorted(by: { $0.key < $1.key }) where offset != pulled.start[queue] {
            try await broker.updateOffset(group: pulled.wireGroup, queue: queue, offset: offset)
        }
    }

    /// Asks a master broker of `route` whether it accepts `subscription` (SQL92 only, once per
    /// group, topic and expression). Throws `.subscriptionRefused` with the broker's remark.
    private func checkFilter(_ subscription: Subscription, group: String, route: TopicRoute) async throws {
        guard subscription.type == .sql92 else { return }
        let key = [group, subscription.topic, subscription.expression]
        guard !acceptedFilters.withLockedValue({ $0.contains(key) }) else { return }
        guard let address = route.masterAddresses.first else {
            throw RocketMQError.unreachable(address: subscription.topic, reason: "no master broker serves the topic")
        }
        try await broker.checkClientConfig(
            group: group, clientID: client.clientID, subscription: subscription.subscriptionData(subVersion: WallClock.nowMillis()),
            address: address)
        acceptedFilters.withLockedValue { _ = $0.insert(key) }
    }

    /// Moves message `index` of `pulled` to the group's dead-letter queue (CONSUMER_SEND_MSG_BACK
    /// with delay level -1, as the Java client does for a message it can never consume).
    public func deadLetter(_ pulled: Pulled, index: Int) async throws {
        let (message, queue) = pulled.stored[index]
        try await broker.sendBack(group: pulled.wireGroup, message: message, queue: queue, delayLevel: -1, maxReconsumeTimes: 0)
    }

    /// Pulls as `pull` does, without committing anything.
    ///
    /// - Parameters:
    ///   - wait: when nothing is there, how long to long-poll for new messages (zero: return at once).
    ///   - group: the consumer group; the default one when nil.
    ///   - maxBodyBytes: stop taking messages once their bodies would pass this many bytes (the first
    ///     message is always taken, so a read always makes progress); what is not taken is not
    ///     committed.
    public func pullUncommitted(
        _ subscriptions: [Subscription], maxMessages: Int, wait: TimeAmount = .zero, group: String? = nil,
        maxBodyBytes: Int = .max
    ) async throws -> Pulled {
        guard running.withLockedValue({ $0 }) else { throw RocketMQError.notRunning }
        guard (1...1024).contains(maxMessages) else {
            throw RocketMQError.invalidArgument("maxMessages \(maxMessages) is outside 1...1024")
        }
        guard !subscriptions.isEmpty else { throw RocketMQError.invalidArgument("no topic to read") }
        let plainGroup = group ?? defaultGroup
        let wireGroup = namespace.wrap(plainGroup)

        var queues: [(MessageQueue, Subscription)] = []
        for subscription in subscriptions {
            let topic = namespace.wrap(subscription.topic)
            let route = try await nameServer.route(for: topic)
            let wire = Subscription(topic: topic, expression: subscription.expression, type: subscription.type)
            try await checkFilter(wire, group: wireGroup, route: route)
            for queue in route.subscribeQueues(topic: topic) {
                queues.append((queue, wire))
            }
        }
        var offsets: [MessageQueue: Int64] = [:]
        for (queue, _) in queues {
            offsets[queue] = try await broker.startOffset(group: wireGroup, queue: queue, policy: consumeFromWhere)
        }
        let start = offsets

        var taken: [(StoredMessage, MessageQueue, Subscription)] = []
        var takenBytes = 0
        // A first pass without waiting, then (if empty) one long-polling pass over every queue that
        // ends with the first answer carrying messages: the other holds are left to expire, and
        // their queues are not committed, so nothing they might return is lost.
        for suspend in wait > .zero ? [nil, wait] : [nil] {
            let (results, sink) = AsyncStream.makeStream(of: (MessageQueue, Result<BrokerOperations.PullResult, Error>).self)
            for (queue, subscription) in queues {
                let offset = offsets[queue] ?? 0
                Task {
                    do {
                        let result = try await self.broker.pull(
                            group: wireGroup, queue: queue, offset: offset, maxMessages: min(maxMessages, 32),
                            subscription: subscription, suspend: suspend)
                        sink.yield((queue, .success(result)))
                    } catch {
                        sink.yield((queue, .failure(error)))
                    }
                }
            }
            var remaining = queues.count
            var failure: Error?
            for await (queue, result) in results {
                remaining -= 1
                switch result {
                case .failure(let error):
                    failure = failure ?? error
                case .success(.found(let messages, let next)):
                    let subscription = queues.first { $0.0 == queue }!.1
                    var nextOffset = next
                    for message in messages {
                        let overBudget = !taken.isEmpty && takenBytes + message.body.count > maxBodyBytes
                        if taken.count >= maxMessages || overBudget {
                            // Not returned: the commit stops before it.
                            nextOffset = min(nextOffset, message.queueOffset)
                            break
                        }
                        if subscription.matches(tag: message.tags) {
                            taken.append((message, queue, subscription))
                            takenBytes += message.body.count
                        }
                    }
                    offsets[queue] = nextOffset
                case .success(.noNewMessages(let next)), .success(.offsetMoved(let next)):
                    offsets[queue] = next
                }
                if remaining == 0 || (suspend != nil && !taken.isEmpty) { break }
            }
            sink.finish()
            if taken.isEmpty, let failure { throw failure }
            if !taken.isEmpty { break }
        }

        let messages = taken.map { message, queue, subscription in
            ConsumedMessage(
                handle: DeliveryHandle(rawValue: 0), message: message, brokerName: queue.brokerName, namespace: namespace,
                consumerGroup: plainGroup, subscriptionExpression: subscription.expression, subscriptionType: subscription.type)
        }
        return Pulled(messages: messages, stored: taken.map { ($0.0, $0.1) }, wireGroup: wireGroup, start: start, next: offsets)
    }
}
