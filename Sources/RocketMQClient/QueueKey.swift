/// One queue of a topic on one broker: the unit of rebalancing, pulling and offsets.
/// Ordered by (topic, brokerName, queueId), the order the rebalance sorts by (spec §5.3).
public struct QueueKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var topic: String
    public var brokerName: String
    public var queueId: Int32

    public init(topic: String, brokerName: String, queueId: Int32) {
        self.topic = topic
        self.brokerName = brokerName
        self.queueId = queueId
    }

    public static func < (lhs: QueueKey, rhs: QueueKey) -> Bool {
        (lhs.topic, lhs.brokerName, lhs.queueId) < (rhs.topic, rhs.brokerName, rhs.queueId)
    }

    public var description: String { "\(topic)@\(brokerName)#\(queueId)" }
}
