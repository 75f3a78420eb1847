/// A minimal GET_CONSUMER_RUNNING_INFO reply body (docs/protocol-remoting.md §2.13): `properties`,
/// `subscriptionSet`, `mqTable` (fastjson style: MessageQueue objects as keys), `statusTable`,
/// `jstack`.
public struct ConsumerRunningInfo: Sendable, Equatable {
    /// `PROP_NAMESERVER_ADDR`, `PROP_CONSUME_TYPE`, `PROP_CLIENT_VERSION`, ...
    public var properties: [String: String]
    public var subscriptionSet: [SubscriptionData]
    /// Per queue, a ProcessQueueInfo-like object (any JSON).
    public var mqTable: [MessageQueue: JSONValue]
    public var jstack: String?

    public init(properties: [String: String], subscriptionSet: [SubscriptionData], mqTable: [MessageQueue: JSONValue] = [:], jstack: String? = nil) {
        self.properties = properties
        self.subscriptionSet = subscriptionSet
        self.mqTable = mqTable
        self.jstack = jstack
    }

    public func encoded() -> [UInt8] {
        var w = FastJSONWriter()
        w.raw("{")
        if let jstack {
            w.key("jstack")
            w.string(jstack)
            w.raw(",")
        }
        w.key("mqTable")
        w.raw("{")
        for (i, queue) in mqTable.keys.sorted().enumerated() {
            if i > 0 { w.raw(",") }
            w.value(queue.jsonValue)
            w.raw(":")
            w.value(mqTable[queue] ?? .object([]))
        }
        w.raw("},")
        w.key("properties")
        w.value(.object(properties.keys.sorted().map { (key: $0, value: .string(properties[$0] ?? "")) }))
        w.raw(",")
        w.key("statusTable")
        w.raw("{},")
        w.key("subscriptionSet")
        w.value(.array(subscriptionSet.map(\.jsonValue)))
        w.raw("}")
        return w.bytes
    }
}
