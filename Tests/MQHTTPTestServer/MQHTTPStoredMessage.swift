/// A message as the HTTP test server stores it, for inspection by tests.
public struct MQHTTPStoredMessage: Sendable, Equatable {
    /// 32 upper-case hex characters, fresh per publish.
    public var id: String
    public var topic: String
    /// The `ns` it was published with; `nil` when none.
    public var instance: String?
    public var body: String
    /// Upper-case hex MD5 of the body's UTF-8 (what `<MessageBodyMD5>` carries).
    public var bodyMD5: String
    public var tag: String?
    /// `<Properties>` decoded with the SDKs' lenient rule (``MQHTTPProperties/decode(_:)``).
    public var properties: [String: String]
    /// Epoch milliseconds, when the server stored it.
    public var publishTime: Int64
    /// `__STARTDELIVERTIME` (epoch ms) when given: invisible to every group until then.
    public var startDeliverTime: Int64?

    public init(id: String, topic: String, instance: String?, body: String, bodyMD5: String, tag: String?,
                properties: [String: String], publishTime: Int64, startDeliverTime: Int64?) {
        self.id = id
        self.topic = topic
        self.instance = instance
        self.body = body
        self.bodyMD5 = bodyMD5
        self.tag = tag
        self.properties = properties
        self.publishTime = publishTime
        self.startDeliverTime = startDeliverTime
    }
}
