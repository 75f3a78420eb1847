import RocketMQWire

/// Identifies one delivery of one message; pass it back to `PushConsumer.ack`. Unique per delivery:
/// a redelivered message gets a new handle.
public struct DeliveryHandle: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public var description: String { String(rawValue) }
}

/// A message handed to the application. A value type.
public struct ConsumedMessage: Sendable {
    public let handle: DeliveryHandle
    /// The topic without namespace; for a message redelivered through the retry topic, its original topic.
    public let topic: String
    /// `UNIQ_KEY` when the producer set one, else the broker's id.
    public let messageID: String
    /// The broker's id: store host + commit-log offset (made on demand: few callers read it).
    public var offsetMessageID: String { MessageID.offsetMessageID(storeHost: storeHost, commitLogOffset: commitLogOffset) }
    private let storeHost: HostAddress
    private let commitLogOffset: Int64
    public let tags: String?
    public let keys: [String]
    public let brokerName: String
    public let queueId: Int32
    public let queueOffset: Int64
    public let bornTimestamp: Int64
    public let storeTimestamp: Int64
    public let reconsumeTimes: Int32
    /// Every property, system ones included.
    public let properties: [String: String]
    /// The body, decompressed.
    public let body: [UInt8]
    /// The consumer group (without namespace).
    public let consumerGroup: String
    /// The tag expression of the subscription that matched.
    public let subscriptionExpression: String
    /// Whether that expression was a tag expression or SQL92.
    public let subscriptionType: SubscriptionType

    /// Properties the application set: everything but RocketMQ's own keys
    /// (``OutgoingMessage/isSystemProperty(_:)``, the list the producer refuses as user properties).
    public var userProperties: [String: String] { userProperties(minimumCapacity: 0) }

    /// The user properties in a dictionary with room for `minimumCapacity` entries, for a caller
    /// that adds its own (so the dictionary is sized once, not grown and rehashed again).
    public func userProperties(minimumCapacity: Int) -> [String: String] {
        var result = [String: String](minimumCapacity: max(minimumCapacity, properties.count))
        for (key, value) in properties where !MessagePropertyKey.isSystemProperty(key) { result[key] = value }
        return result
    }

    init(
        handle: DeliveryHandle, message: StoredMessage, brokerName: String, namespace: Namespace,
        consumerGroup: String, subscriptionExpression: String, subscriptionType: SubscriptionType = .tag
    ) {
        let properties = message.properties
        self.handle = handle
        let wireTopic = properties[MessagePropertyKey.retryTopic] ?? message.topic
        self.topic = namespace.unwrap(wireTopic)
        self.storeHost = message.storeHost
        self.commitLogOffset = message.commitLogOffset
        self.messageID = properties[MessagePropertyKey.uniqueClientMessageIdKey] ?? message.offsetMsgId
        self.tags = properties[MessagePropertyKey.tags]
        self.keys = (properties[MessagePropertyKey.keys] ?? "").split(separator: Character(" ")).map(String.init)
        self.brokerName = brokerName
        self.queueId = message.queueId
        self.queueOffset = message.queueOffset
        self.bornTimestamp = message.bornTimestamp
        self.storeTimestamp = message.storeTimestamp
        self.reconsumeTimes = message.reconsumeTimes
        self.properties = properties
        self.body = message.body
        self.consumerGroup = consumerGroup
        self.subscriptionExpression = subscriptionExpression
        self.subscriptionType = subscriptionType
    }
}
