import RocketMQWire

/// A message to send. A value type.
public struct OutgoingMessage: Sendable, Equatable {
    /// The topic, without namespace.
    public var topic: String
    public var body: [UInt8]
    /// The tag consumers filter on (`TAGS`).
    public var tags: String?
    /// Index keys (`KEYS`, space-joined on the wire).
    public var keys: [String]
    /// User properties; they travel with the message (e.g. `traceparent`). A key that names one of
    /// RocketMQ's own properties (``isSystemProperty(_:)``) is refused by `Producer`.
    public var properties: [String: String]
    /// Delay level 1...18 (1 s … 2 h), nil for none.
    public var delayLevel: Int?
    /// Messages with one sharding key go to one queue (so they keep their order).
    public var shardingKey: String?
    /// The user flag (`Message.flag`).
    public var flag: Int32
    /// RocketMQ 5 timer messages: deliver at this time (epoch milliseconds), through the
    /// `TIMER_DELIVER_MS` property the 5.x Java client's `setDeliverTimeMs` sets. A 4.x broker keeps
    /// it as an ordinary property and delivers at once: check `Producer.supportsTimerMessages` first.
    public var deliverTimeMillis: Int64?

    public init(
        topic: String, body: [UInt8], tags: String? = nil, keys: [String] = [], properties: [String: String] = [:],
        delayLevel: Int? = nil, shardingKey: String? = nil, flag: Int32 = 0, deliverTimeMillis: Int64? = nil
    ) {
        self.deliverTimeMillis = deliverTimeMillis
        self.topic = topic
        self.body = body
        self.tags = tags
        self.keys = keys
        self.properties = properties
        self.delayLevel = delayLevel
        self.shardingKey = shardingKey
        self.flag = flag
    }

    /// Whether `key` is one of RocketMQ's own property names (docs/protocol-remoting.md §4.2:
    /// `TAGS`, `KEYS`, `UNIQ_KEY`, `DELAY`, …), which a user property may not take: `Producer`
    /// refuses such a message with `RocketMQError.invalidArgument`, and
    /// `ConsumedMessage.userProperties` leaves these keys out.
    public static func isSystemProperty(_ key: String) -> Bool { MessagePropertyKey.isSystemProperty(key) }
}

/// The outcome of a successful send.
public struct SendResult: Sendable, Equatable {
    /// Broker status codes that still mean "stored" (docs/protocol-remoting.md §2.2).
    public enum Status: String, Sendable, Equatable {
        case sendOK = "SEND_OK"
        case flushDiskTimeout = "FLUSH_DISK_TIMEOUT"
        case flushSlaveTimeout = "FLUSH_SLAVE_TIMEOUT"
        case slaveNotAvailable = "SLAVE_NOT_AVAILABLE"
    }

    public var status: Status
    /// The client id (`UNIQ_KEY`); comma-joined for a batch.
    public var messageID: String
    /// The broker's id (store host + commit-log offset); comma-joined for a batch.
    public var offsetMessageID: String
    /// The topic, without namespace.
    public var topic: String
    public var brokerName: String
    public var queueId: Int32
    /// The queue offset (of the first message of a batch).
    public var queueOffset: Int64
    /// `host:port` of the broker that stored it (a message trace's store host).
    public var brokerAddress: String = ""
    /// The broker's `MSG_REGION` answer (`DefaultRegion` when it sends none), for message traces.
    public var regionID: String = TraceRecord.defaultRegionID
    /// False when the broker answered `TRACE_ON: false`: the Java client then writes no trace for it.
    public var traceOn: Bool = true
}
