/// QUERY_CONSUMER_OFFSET (14) request header (docs/protocol-remoting.md §2.6).
public struct QueryConsumerOffsetRequestHeader: CommandCustomHeader, Equatable {
    public var consumerGroup: String
    public var topic: String
    public var queueId: Int32
    public var bname: String?

    public init(consumerGroup: String, topic: String, queueId: Int32, bname: String? = nil) {
        self.consumerGroup = consumerGroup
        self.topic = topic
        self.queueId = queueId
        self.bname = bname
    }

    public static let fieldOrder = ["consumerGroup", "topic", "queueId", "bname"]
    public static let javaExtFieldsOrder = JavaHash.hashMapIterationOrder(fieldOrder)

    public init(extFields: [String: String]) throws {
        let r = HeaderReader("QueryConsumerOffsetRequestHeader", extFields)
        consumerGroup = try r.string("consumerGroup")
        topic = try r.string("topic")
        queueId = try r.int32("queueId")
        bname = r.optionalString("bname")
    }

    public var extFields: [String: String] {
        var f = ["consumerGroup": consumerGroup, "topic": topic, "queueId": String(queueId)]
        f.put("bname", bname)
        return f
    }
}

/// UPDATE_CONSUMER_OFFSET (15) request header.
public struct UpdateConsumerOffsetRequestHeader: CommandCustomHeader, Equatable {
    public var consumerGroup: String
    public var topic: String
    public var queueId: Int32
    public var commitOffset: Int64
    public var bname: String?

    public init(consumerGroup: String, topic: String, queueId: Int32, commitOffset: Int64, bname: String? = nil) {
        self.consumerGroup = consumerGroup
        self.topic = topic
        self.queueId = queueId
        self.commitOffset = commitOffset
        self.bname = bname
    }

    /// `bname` before `commitOffset`: the two share a bucket of Java's `HashMap`, and every captured
    /// request (Tests/Golden/rocketmq-4.9.8, 200 of them) writes `bname` first, so Java puts it in
    /// first, whatever the declaration order. (PULL_MESSAGE's header, where the same two collide,
    /// puts `commitOffset` first.)
    public static let fieldOrder = ["consumerGroup", "topic", "queueId", "bname", "commitOffset"]
    public static let javaExtFieldsOrder = JavaHash.hashMapIterationOrder(fieldOrder)

    public init(extFields: [String: String]) throws {
        let r = HeaderReader("UpdateConsumerOffsetRequestHeader", extFields)
        consumerGroup = try r.string("consumerGroup")
        topic = try r.string("topic")
        queueId = try r.int32("queueId")
        commitOffset = try r.int64("commitOffset")
        bname = r.optionalString("bname")
    }

    public var extFields: [String: String] {
        var f = ["consumerGroup": consumerGroup, "topic": topic, "queueId": String(queueId), "commitOffset": String(commitOffset)]
        f.put("bname", bname)
        return f
    }
}

/// GET_MAX_OFFSET (30) and GET_MIN_OFFSET (31) request header (docs/protocol-remoting.md §2.11;
/// Java `GetMaxOffsetRequestHeader` and `GetMinOffsetRequestHeader`, which declare the same fields).
public struct QueueOffsetRequestHeader: CommandCustomHeader, Equatable {
    public var topic: String
    public var queueId: Int32
    public var bname: String?

    public init(topic: String, queueId: Int32, bname: String? = nil) {
        self.topic = topic
        self.queueId = queueId
        self.bname = bname
    }

    public static let fieldOrder = ["topic", "queueId", "bname"]
    public static let javaExtFieldsOrder = JavaHash.hashMapIterationOrder(fieldOrder)

    public init(extFields: [String: String]) throws {
        let r = HeaderReader("GetMaxOffsetRequestHeader", extFields)
        topic = try r.string("topic")
        queueId = try r.int32("queueId")
        bname = r.optionalString("bname")
    }

    public var extFields: [String: String] {
        var f = ["topic": topic, "queueId": String(queueId)]
        f.put("bname", bname)
        return f
    }
}

/// GET_MAX_OFFSET request header.
public typealias GetMaxOffsetRequestHeader = QueueOffsetRequestHeader
/// GET_MIN_OFFSET request header.
public typealias GetMinOffsetRequestHeader = QueueOffsetRequestHeader

/// SEARCH_OFFSET_BY_TIMESTAMP (29) request header.
public struct SearchOffsetRequestHeader: CommandCustomHeader, Equatable {
    public var topic: String
    public var queueId: Int32
    /// Epoch milliseconds.
    public var timestamp: Int64
    public var bname: String?

    public init(topic: String, queueId: Int32, timestamp: Int64, bname: String? = nil) {
        self.topic = topic
        self.queueId = queueId
        self.timestamp = timestamp
        self.bname = bname
    }

    public static let fieldOrder = ["topic", "queueId", "timestamp", "bname"]
    public static let javaExtFieldsOrder = JavaHash.hashMapIterationOrder(fieldOrder)

    public init(extFields: [String: String]) throws {
        let r = HeaderReader("SearchOffsetRequestHeader", extFields)
        topic = try r.string("topic")
        queueId = try r.int32("queueId")
        timestamp = try r.int64("timestamp")
        bname = r.optionalString("bname")
    }

    public var extFields: [String: String] {
        var f = ["topic": topic, "queueId": String(queueId), "timestamp": String(timestamp)]
        f.put("bname", bname)
        return f
    }
}

/// The `offset` response header of QUERY_CONSUMER_OFFSET, GET_MAX/MIN_OFFSET, SEARCH_OFFSET_BY_TIMESTAMP.
public struct OffsetResponseHeader: CommandCustomHeader, Equatable {
    public var offset: Int64

    public init(offset: Int64) {
        self.offset = offset
    }

    public static let fieldOrder = ["offset"]
    public static let javaExtFieldsOrder = JavaHash.hashMapIterationOrder(fieldOrder)

    public init(extFields: [String: String]) throws {
        offset = try HeaderReader("OffsetResponseHeader", extFields).int64("offset")
    }

    public var extFields: [String: String] { ["offset": String(offset)] }
}

/// QUERY_CONSUMER_OFFSET response header.
public typealias QueryConsumerOffsetResponseHeader = OffsetResponseHeader
