/// CONSUMER_SEND_MSG_BACK (36) request header (docs/protocol-remoting.md §2.10).
public struct ConsumerSendMsgBackRequestHeader: CommandCustomHeader, Equatable {
    /// Commit-log (physical) offset of the failed message.
    public var offset: Int64
    public var group: String
    /// 0: broker picks `3 + reconsumeTimes`; < 0: straight to the DLQ; > 0: that level.
    public var delayLevel: Int32
    public var originMsgId: String?
    public var originTopic: String?
    public var unitMode: Bool?
    public var maxReconsumeTimes: Int32?
    public var bname: String?

    public init(offset: Int64, group: String, delayLevel: Int32, originMsgId: String? = nil, originTopic: String? = nil,
                unitMode: Bool? = false, maxReconsumeTimes: Int32? = nil, bname: String? = nil) {
        self.offset = offset
        self.group = group
        self.delayLevel = delayLevel
        self.originMsgId = originMsgId
        self.originTopic = originTopic
        self.unitMode = unitMode
        self.maxReconsumeTimes = maxReconsumeTimes
        self.bname = bname
    }

    /// `bname` before `delayLevel`: the two share a bucket of Java's `HashMap`, and the captured
    /// request (Tests/Golden/rocketmq-4.9.8/push-consumer.jsonl) writes `bname` first, so Java puts it
    /// in first, whatever the declaration order.
    public static let fieldOrder = ["offset", "group", "bname", "delayLevel", "originMsgId", "originTopic", "unitMode", "maxReconsumeTimes"]
    public static let javaExtFieldsOrder = JavaHash.hashMapIterationOrder(fieldOrder)

    public init(extFields: [String: String]) throws {
        let r = HeaderReader("ConsumerSendMsgBackRequestHeader", extFields)
        offset = try r.int64("offset")
        group = try r.string("group")
        delayLevel = try r.int32("delayLevel")
        originMsgId = r.optionalString("originMsgId")
        originTopic = r.optionalString("originTopic")
        unitMode = try r.optionalBool("unitMode")
        maxReconsumeTimes = try r.optionalInt32("maxReconsumeTimes")
        bname = r.optionalString("bname")
    }

    public var extFields: [String: String] {
        var f = ["offset": String(offset), "group": group, "delayLevel": String(delayLevel)]
        f.put("originMsgId", originMsgId)
        f.put("originTopic", originTopic)
        f.put("unitMode", unitMode)
        f.put("maxReconsumeTimes", maxReconsumeTimes)
        f.put("bname", bname)
        return f
    }
}

/// GET_CONSUMER_LIST_BY_GROUP (38) request header.
public struct GetConsumerListByGroupRequestHeader: CommandCustomHeader, Equatable {
    public var consumerGroup: String

    public init(consumerGroup: String) {
        self.consumerGroup = consumerGroup
    }

    public static let fieldOrder = ["consumerGroup"]
    public static let javaExtFieldsOrder = JavaHash.hashMapIterationOrder(fieldOrder)

    public init(extFields: [String: String]) throws {
        consumerGroup = try HeaderReader("GetConsumerListByGroupRequestHeader", extFields).string("consumerGroup")
    }

    public var extFields: [String: String] { ["consumerGroup": consumerGroup] }
}

/// NOTIFY_CONSUMER_IDS_CHANGED (40) header, sent oneway by the broker (docs/protocol-remoting.md §2.12).
public struct NotifyConsumerIdsChangedRequestHeader: CommandCustomHeader, Equatable {
    public var consumerGroup: String

    public init(consumerGroup: String) {
        self.consumerGroup = consumerGroup
    }

    public static let fieldOrder = ["consumerGroup"]
    public static let javaExtFieldsOrder = JavaHash.hashMapIterationOrder(fieldOrder)

    public init(extFields: [String: String]) throws {
        consumerGroup = try HeaderReader("NotifyConsumerIdsChangedRequestHeader", extFields).string("consumerGroup")
    }

    public var extFields: [String: String] { ["consumerGroup": consumerGroup] }
}

/// UNREGISTER_CLIENT (35) request header (docs/protocol-remoting.md §2.8).
public struct UnregisterClientRequestHeader: CommandCustomHeader, Equatable {
    public var clientID: String
    public var producerGroup: String?
    public var consumerGroup: String?

    public init(clientID: String, producerGroup: String? = nil, consumerGroup: String? = nil) {
        self.clientID = clientID
        self.producerGroup = producerGroup
        self.consumerGroup = consumerGroup
    }

    public static let fieldOrder = ["clientID", "producerGroup", "consumerGroup"]
    public static let javaExtFieldsOrder = JavaHash.hashMapIterationOrder(fieldOrder)

    public init(extFields: [String: String]) throws {
        let r = HeaderReader("UnregisterClientRequestHeader", extFields)
        clientID = try r.string("clientID")
        producerGroup = r.optionalString("producerGroup")
        consumerGroup = r.optionalString("consumerGroup")
    }

    public var extFields: [String: String] {
        var f = ["clientID": clientID]
        f.put("producerGroup", producerGroup)
        f.put("consumerGroup", consumerGroup)
        return f
    }
}

/// GET_ROUTEINFO_BY_TOPIC (105) request header (docs/protocol-remoting.md §2.3).
public struct GetRouteInfoRequestHeader: CommandCustomHeader, Equatable {
    public var topic: String
    /// 4.9.4+ name servers answer with standard JSON when true.
    public var acceptStandardJsonOnly: Bool?

    public init(topic: String, acceptStandardJsonOnly: Bool? = nil) {
        self.topic = topic
        self.acceptStandardJsonOnly = acceptStandardJsonOnly
    }

    public static let fieldOrder = ["topic", "acceptStandardJsonOnly"]
    public static let javaExtFieldsOrder = JavaHash.hashMapIterationOrder(fieldOrder)

    public init(extFields: [String: String]) throws {
        let r = HeaderReader("GetRouteInfoRequestHeader", extFields)
        topic = try r.string("topic")
        acceptStandardJsonOnly = try r.optionalBool("acceptStandardJsonOnly")
    }

    public var extFields: [String: String] {
        var f = ["topic": topic]
        f.put("acceptStandardJsonOnly", acceptStandardJsonOnly)
        return f
    }
}

/// RESET_CONSUMER_CLIENT_OFFSET (220) header, sent oneway by the broker with the offset table in
/// the body (docs/protocol-remoting.md §2.16; Java `ResetOffsetRequestHeader`).
public struct ResetOffsetRequestHeader: CommandCustomHeader, Equatable {
    public var topic: String
    public var group: String
    /// Epoch milliseconds the offsets were searched for.
    public var timestamp: Int64
    public var isForce: Bool

    public init(topic: String, group: String, timestamp: Int64, isForce: Bool) {
        self.topic = topic
        self.group = group
        self.timestamp = timestamp
        self.isForce = isForce
    }

    public static let fieldOrder = ["topic", "group", "timestamp", "isForce"]
    public static let javaExtFieldsOrder = JavaHash.hashMapIterationOrder(fieldOrder)

    public init(extFields: [String: String]) throws {
        let r = HeaderReader("ResetOffsetRequestHeader", extFields)
        topic = try r.string("topic")
        group = try r.string("group")
        timestamp = try r.int64("timestamp")
        isForce = try r.optionalBool("isForce") ?? false
    }

    public var extFields: [String: String] {
        ["topic": topic, "group": group, "timestamp": String(timestamp), "isForce": isForce ? "true" : "false"]
    }
}

extension RemotingCommand {
    /// A request carrying a typed header: the header's fields, spelled as `code` needs them, go
    /// straight into the command's ``extFields`` (the dictionary the header builds is the one the
    /// command carries, no copy), with the header's precomputed Java `HashMap` key order.
    public static func request<H: CommandCustomHeader>(
        code: RequestCode, header: H, body: [UInt8] = [], opaque: Int32 = 0, oneway: Bool = false,
        serializeType: SerializeType = .json
    ) -> RemotingCommand {
        var command = request(
            code: code, extFields: header.extFields(for: code), body: body, opaque: opaque, oneway: oneway,
            serializeType: serializeType)
        command.extFieldsOrder = header.extFieldsOrder(for: code)
        return command
    }

    /// Reads a typed header from this command.
    public func decodeHeader<H: CommandCustomHeader>(_ type: H.Type) throws -> H {
        try H(command: self)
    }
}
