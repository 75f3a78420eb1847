/// CHECK_CLIENT_CONFIG (46) request body: `{"clientId":...,"group":...,"subscriptionData":{...}}`
/// (docs/protocol-remoting.md §2.17). A consumer sends one per subscription that is not a tag
/// expression, before its first heartbeat, so a broker that cannot filter that way refuses it.
public struct CheckClientRequestBody: Sendable, Equatable {
    public var clientId: String
    public var group: String
    public var subscriptionData: SubscriptionData?

    public init(clientId: String, group: String, subscriptionData: SubscriptionData?) {
        self.clientId = clientId
        self.group = group
        self.subscriptionData = subscriptionData
    }

    public init(body: [UInt8]) throws {
        let json = try RemotingBodyError.parse(body, as: "CheckClientRequestBody")
        clientId = json["clientId"]?.stringValue ?? ""
        group = json["group"]?.stringValue ?? ""
        if let value = json["subscriptionData"], value.objectValue != nil {
            subscriptionData = try SubscriptionData(json: value)
        } else {
            subscriptionData = nil
        }
    }

    /// Keys in the order the Java client's fastjson writes them (sorted).
    public func encoded() -> [UInt8] {
        var fields: [(key: String, value: JSONValue)] = [
            (key: "clientId", value: .string(clientId)),
            (key: "group", value: .string(group)),
        ]
        if let subscriptionData { fields.append((key: "subscriptionData", value: subscriptionData.jsonValue)) }
        var w = FastJSONWriter()
        w.value(.object(fields))
        return w.bytes
    }
}
