/// A queue of a topic on one broker. Ordered by topic, broker name, queue id (the order the
/// rebalance strategies sort by, docs/protocol-remoting.md §5.3).
///
/// A value type; safe from any thread.
public struct MessageQueue: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public var topic: String
    public var brokerName: String
    public var queueId: Int32

    public init(topic: String, brokerName: String, queueId: Int32) {
        self.topic = topic
        self.brokerName = brokerName
        self.queueId = queueId
    }

    public static func < (lhs: MessageQueue, rhs: MessageQueue) -> Bool {
        if lhs.topic != rhs.topic { return lhs.topic < rhs.topic }
        if lhs.brokerName != rhs.brokerName { return lhs.brokerName < rhs.brokerName }
        return lhs.queueId < rhs.queueId
    }

    public var description: String { "MessageQueue [topic=\(topic), brokerName=\(brokerName), queueId=\(queueId)]" }

    /// fastjson form: `{"brokerName":"broker-a","queueId":0,"topic":"T"}` (keys sorted).
    public var jsonValue: JSONValue {
        .object([
            (key: "brokerName", value: .string(brokerName)),
            (key: "queueId", value: .number(String(queueId))),
            (key: "topic", value: .string(topic)),
        ])
    }

    /// Reads the fastjson form; `nil` when a member is missing.
    public init?(json: JSONValue) {
        guard let topic = json["topic"]?.stringValue, let brokerName = json["brokerName"]?.stringValue,
              let queueId = json["queueId"]?.int32Value
        else { return nil }
        self.init(topic: topic, brokerName: brokerName, queueId: queueId)
    }
}
