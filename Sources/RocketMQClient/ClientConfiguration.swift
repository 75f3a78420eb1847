import NIOCore
import RocketMQWire

/// ACL credentials (docs/protocol-remoting.md §6): every request is signed with them.
public struct Credentials: Sendable, Equatable {
    public var accessKey: String
    public var secretKey: String
    public var securityToken: String?

    public init(accessKey: String, secretKey: String, securityToken: String? = nil) {
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.securityToken = securityToken
    }
}

/// What producers and consumers share: where the name servers are, who we are, how we sign, how
/// patient we are. A value type; copy freely.
public struct ClientConfiguration: Sendable {
    /// `host:port` of each name server; tried in order with failover.
    public var nameServers: [String]
    /// Address-server lookup (docs/protocol-remoting.md §8.3) when `nameServers` is empty: a full
    /// `http://host[:port]/path` URL, or a domain (`host` or `host:port`), which becomes
    /// `http://host:8080/rocketmq/nsaddr`.
    public var nameServerDomain: String?
    /// The namespace (`instanceId`): topics and groups go on the wire as `namespace%name`.
    public var namespace: String?
    public var credentials: Credentials?
    /// This client's id in its groups; default `ip@pid#nanos` (docs/protocol-remoting.md §5.1).
    public var clientID: String
    /// Attempts to reach the name server/broker before failing, and send retries on other queues.
    public var retries: Int
    /// Timeout of ordinary requests (route, offsets, heartbeat, consumer list).
    public var requestTimeout: TimeAmount
    public var connectTimeout: TimeAmount
    /// Route cache refresh (docs/protocol-remoting.md §3.4: 30 s).
    public var routeRefreshInterval: TimeAmount
    /// Heartbeat period (docs/protocol-remoting.md §2.7: 30 s).
    public var heartbeatInterval: TimeAmount
    /// Name-server list refresh when `nameServerDomain` is used (docs/protocol-remoting.md §8.3: 2 min).
    public var nameServerDomainRefreshInterval: TimeAmount

    public init(
        nameServers: [String] = [],
        nameServerDomain: String? = nil,
        namespace: String? = nil,
        credentials: Credentials? = nil,
        clientID: String? = nil,
        retries: Int = 3,
        requestTimeout: TimeAmount = .seconds(3),
        connectTimeout: TimeAmount = .seconds(3),
        routeRefreshInterval: TimeAmount = .seconds(30),
        heartbeatInterval: TimeAmount = .seconds(30),
        nameServerDomainRefreshInterval: TimeAmount = .minutes(2)
    ) {
        self.nameServers = nameServers
        self.nameServerDomain = nameServerDomain
        self.namespace = (namespace?.isEmpty ?? true) ? nil : namespace
        self.credentials = credentials
        self.clientID = clientID ?? ClientIdentity.defaultClientID()
        self.retries = retries
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.routeRefreshInterval = routeRefreshInterval
        self.heartbeatInterval = heartbeatInterval
        self.nameServerDomainRefreshInterval = nameServerDomainRefreshInterval
    }

    func validate() throws {
        if nameServers.isEmpty && (nameServerDomain ?? "").isEmpty {
            throw RocketMQError.invalidArgument("either a name server address or a name server domain is required")
        }
        for address in nameServers where HostAndPort(address) == nil {
            throw RocketMQError.invalidArgument("name server address '\(address)' is not host:port")
        }
        if let credentials, credentials.accessKey.isEmpty || credentials.secretKey.isEmpty {
            throw RocketMQError.invalidArgument("accessKey and secretKey must both be set")
        }
        if retries < 0 { throw RocketMQError.invalidArgument("retries must not be negative") }
        // A timer loop on a zero interval would spin.
        if heartbeatInterval <= .zero { throw RocketMQError.invalidArgument("heartbeat interval must be positive") }
    }
}

/// Producer settings.
public struct ProducerConfiguration: Sendable {
    public var client: ClientConfiguration
    /// The producer group (namespace-wrapped on the wire).
    public var group: String
    /// Deadline of one send attempt.
    public var sendTimeout: TimeAmount
    /// Bodies larger than this are refused before sending (docs/protocol-remoting.md §1.1: 4 MiB).
    public var maxMessageSize: Int
    /// Bodies of at least this many bytes are zlib-compressed (docs/protocol-remoting.md §4.4: 4096).
    public var compressThreshold: Int
    public var compressionLevel: Int32

    public init(
        client: ClientConfiguration, group: String = "DEFAULT_PRODUCER", sendTimeout: TimeAmount = .seconds(3),
        maxMessageSize: Int = 4 * 1024 * 1024, compressThreshold: Int = 4096, compressionLevel: Int32 = 5
    ) {
        self.client = client
        self.group = group
        self.sendTimeout = sendTimeout
        self.maxMessageSize = maxMessageSize
        self.compressThreshold = compressThreshold
        self.compressionLevel = compressionLevel
    }
}

/// Where a group with no stored offset starts on a queue (docs/protocol-remoting.md §5.6).
public enum ConsumeFromWhere: Sendable, Equatable {
    case lastOffset
    case firstOffset
    /// Epoch milliseconds.
    case timestamp(Int64)

    var wireName: String {
        switch self {
        case .lastOffset: return "CONSUME_FROM_LAST_OFFSET"
        case .firstOffset: return "CONSUME_FROM_FIRST_OFFSET"
        case .timestamp: return "CONSUME_FROM_TIMESTAMP"
        }
    }
}

/// How a subscription's expression selects messages.
public enum SubscriptionType: String, Sendable, Equatable, Hashable {
    /// Tags: `*` (all) or `TagA || TagB`; the broker compares tag hash codes, the client re-checks.
    case tag
    /// A RocketMQ SQL92 expression over message properties, evaluated by the broker alone
    /// (which must run with `enablePropertyFilter=true`; docs/protocol-remoting.md §2.17).
    case sql92
}

/// One subscribed topic and its expression: a tag expression (`*` = all, or `TagA || TagB`) or,
/// with `type` `.sql92`, a SQL92 expression over message properties.
public struct Subscription: Sendable, Equatable, Hashable {
    public var topic: String
    public var expression: String
    public var type: SubscriptionType

    public init(topic: String, expression: String = "*", type: SubscriptionType = .tag) {
        self.topic = topic
        let trimmed = expression.trimmed()
        // An empty SQL92 expression stays empty, so validation can refuse it (the Java client's
        // "Expression can't be null!"); an empty tag expression means every tag.
        self.expression = trimmed.isEmpty && type == .tag ? "*" : trimmed
        self.type = type
    }

    /// The subscription as heartbeats, CHECK_CLIENT_CONFIG and running info send it
    /// (Java `FilterAPI.build`).
    public func subscriptionData(subVersion: Int64) -> SubscriptionData {
        switch type {
        case .tag: return SubscriptionData.tagExpression(topic: topic, expression: expression, subVersion: subVersion)
        case .sql92: return SubscriptionData.sql92Expression(topic: topic, expression: expression, subVersion: subVersion)
        }
    }

    /// The `expressionType` of pull requests and subscription data.
    public var expressionType: String {
        switch type {
        case .tag: return ExpressionType.tag
        case .sql92: return ExpressionType.sql92
        }
    }

    /// The tags of the expression; empty means all (always empty for SQL92).
    public var tags: Set<String> { Set(subscriptionData(subVersion: 0).tagsSet) }

    /// Client-side re-filter (docs/protocol-remoting.md §2.5): the broker compared only tag hash
    /// codes. A SQL92 subscription was filtered by the broker alone: everything it returns passes.
    public func matches(tag: String?) -> Bool { subscriptionData(subVersion: 0).matches(tag: tag) }
}

/// Push-consumer settings.
public struct ConsumerConfiguration: Sendable {
    public var client: ClientConfiguration
    public var group: String
    public var subscriptions: [Subscription]
    /// Messages per pull (`maxMsgNums`, docs/protocol-remoting.md §5.4: 32).
    public var pullBatchSize: Int
    /// Messages delivered to the application and not yet acknowledged, at most (`consumerThreadNums`).
    public var maxInFlight: Int
    public var consumeFromWhere: ConsumeFromWhere
    /// After this many failed deliveries the broker moves the message to `%DLQ%<group>`.
    public var maxReconsumeTimes: Int
    /// One message in flight per queue, queues locked on the broker.
    public var orderly: Bool
    /// Per-queue flow control and the consume timeout.
    public var queueLimits: ProcessQueue.Limits
    /// Long-poll hold time asked of the broker (Java 15 s).
    public var pullSuspendTimeout: TimeAmount
    /// Offsets are persisted this often (docs/protocol-remoting.md §5.7: 5 s) and at shutdown.
    public var offsetPersistInterval: TimeAmount
    /// Periodic rebalance (docs/protocol-remoting.md §5.2: 20 s).
    public var rebalanceInterval: TimeAmount
    /// Delay before retrying a pull after an error (Java 1 s).
    public var pullErrorBackoff: TimeAmount
    /// Delay before a message whose send-back failed is delivered again; in orderly mode, the pause
    /// before a failed message is redelivered in place (Java `suspendCurrentQueueTimeMillis`); in
    /// broadcasting, the pause before a failed message is delivered again.
    public var localRedeliveryBackoff: TimeAmount
    /// Clustering (the default) or broadcasting.
    public var messageModel: MessageModel

    public init(
        client: ClientConfiguration,
        group: String,
        subscriptions: [Subscription],
        pullBatchSize: Int = 32,
        maxInFlight: Int = 20,
        consumeFromWhere: ConsumeFromWhere = .lastOffset,
        maxReconsumeTimes: Int = 16,
        orderly: Bool = false,
        queueLimits: ProcessQueue.Limits = ProcessQueue.Limits(),
        pullSuspendTimeout: TimeAmount = .seconds(15),
        offsetPersistInterval: TimeAmount = .seconds(5),
        rebalanceInterval: TimeAmount = .seconds(20),
        pullErrorBackoff: TimeAmount = .seconds(1),
        localRedeliveryBackoff: TimeAmount = .seconds(5),
        messageModel: MessageModel = .clustering
    ) {
        self.client = client
        self.group = group
        self.subscriptions = subscriptions
        self.pullBatchSize = pullBatchSize
        self.maxInFlight = maxInFlight
        self.consumeFromWhere = consumeFromWhere
        self.maxReconsumeTimes = maxReconsumeTimes
        self.orderly = orderly
        self.queueLimits = queueLimits
        self.pullSuspendTimeout = pullSuspendTimeout
        self.offsetPersistInterval = offsetPersistInterval
        self.rebalanceInterval = rebalanceInterval
        self.pullErrorBackoff = pullErrorBackoff
        self.localRedeliveryBackoff = localRedeliveryBackoff
        self.messageModel = messageModel
    }

    func validate() throws {
        try client.validate()
        if group.isEmpty { throw RocketMQError.invalidArgument("consumer group must not be empty") }
        if subscriptions.isEmpty { throw RocketMQError.invalidArgument("at least one topic must be subscribed") }
        for subscription in subscriptions where subscription.type == .sql92 && subscription.expression.isEmpty {
            throw RocketMQError.invalidArgument("the SQL92 subscription of topic \(subscription.topic) has no expression")
        }
        if !(1...1024).contains(pullBatchSize) {
            throw RocketMQError.invalidArgument("pull batch size \(pullBatchSize) is outside 1...1024")
        }
        if maxInFlight < 1 { throw RocketMQError.invalidArgument("max in flight must be at least 1") }
        switch messageModel {
        case .clustering:
            break
        case .broadcasting(let offsetFile):
            if offsetFile.isEmpty { throw RocketMQError.invalidArgument("broadcasting needs the path of its local offset file") }
        }
    }
}
