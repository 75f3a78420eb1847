/// Pull `sysFlag` bits (docs/protocol-remoting.md §2.5; `PullSysFlag.java`).
public enum PullSysFlag {
    public static let commitOffset: Int32 = 0x1
    public static let suspend: Int32 = 0x2
    public static let subscription: Int32 = 0x4
    public static let classFilter: Int32 = 0x8
    public static let litePull: Int32 = 0x10
}

/// PULL_MESSAGE request header (docs/protocol-remoting.md §2.5).
public struct PullMessageRequestHeader: CommandCustomHeader, Equatable {
    public var consumerGroup: String
    public var topic: String
    public var queueId: Int32
    public var queueOffset: Int64
    public var maxMsgNums: Int32
    public var sysFlag: Int32
    public var commitOffset: Int64
    public var suspendTimeoutMillis: Int64
    public var subscription: String?
    public var subVersion: Int64
    public var expressionType: String?
    public var bname: String?

    public init(consumerGroup: String, topic: String, queueId: Int32, queueOffset: Int64, maxMsgNums: Int32 = 32,
                sysFlag: Int32, commitOffset: Int64, suspendTimeoutMillis: Int64, subscription: String? = nil,
                subVersion: Int64 = 0, expressionType: String? = "TAG", bname: String? = nil) {
        self.consumerGroup = consumerGroup
        self.topic = topic
        self.queueId = queueId
        self.queueOffset = queueOffset
        self.maxMsgNums = maxMsgNums
        self.sysFlag = sysFlag
        self.commitOffset = commitOffset
        self.suspendTimeoutMillis = suspendTimeoutMillis
        self.subscription = subscription
        self.subVersion = subVersion
        self.expressionType = expressionType
        self.bname = bname
    }

    public static let fieldOrder = [
        "consumerGroup", "topic", "queueId", "queueOffset", "maxMsgNums", "sysFlag", "commitOffset",
        "suspendTimeoutMillis", "subscription", "subVersion", "expressionType", "bname",
    ]
    public static let javaExtFieldsOrder = JavaHash.hashMapIterationOrder(fieldOrder)

    public init(extFields: [String: String]) throws {
        let r = HeaderReader("PullMessageRequestHeader", extFields)
        consumerGroup = try r.string("consumerGroup")
        topic = try r.string("topic")
        queueId = try r.int32("queueId")
        queueOffset = try r.int64("queueOffset")
        maxMsgNums = try r.int32("maxMsgNums")
        sysFlag = try r.int32("sysFlag")
        commitOffset = try r.int64("commitOffset")
        suspendTimeoutMillis = try r.int64("suspendTimeoutMillis")
        subscription = r.optionalString("subscription")
        subVersion = try r.int64("subVersion")
        expressionType = r.optionalString("expressionType")
        bname = r.optionalString("bname")
    }

    public var extFields: [String: String] {
        var f: [String: String] = ["consumerGroup": consumerGroup, "topic": topic]
        f.put("queueId", queueId)
        f.put("queueOffset", queueOffset)
        f.put("maxMsgNums", maxMsgNums)
        f.put("sysFlag", sysFlag)
        f.put("commitOffset", commitOffset)
        f.put("suspendTimeoutMillis", suspendTimeoutMillis)
        f.put("subscription", subscription)
        f.put("subVersion", subVersion)
        f.put("expressionType", expressionType)
        f.put("bname", bname)
        return f
    }
}

/// PULL_MESSAGE response header: all four fields always present (docs/protocol-remoting.md §2.5).
public struct PullMessageResponseHeader: CommandCustomHeader, Equatable {
    public var suggestWhichBrokerId: Int64
    public var nextBeginOffset: Int64
    public var minOffset: Int64
    public var maxOffset: Int64

    public init(suggestWhichBrokerId: Int64 = 0, nextBeginOffset: Int64, minOffset: Int64, maxOffset: Int64) {
        self.suggestWhichBrokerId = suggestWhichBrokerId
        self.nextBeginOffset = nextBeginOffset
        self.minOffset = minOffset
        self.maxOffset = maxOffset
    }

    /// Also the order of the broker's fast encoder (binary headers).
    public static let fieldOrder = ["suggestWhichBrokerId", "nextBeginOffset", "minOffset", "maxOffset"]
    public static let javaExtFieldsOrder = JavaHash.hashMapIterationOrder(fieldOrder)

    public init(extFields: [String: String]) throws {
        let r = HeaderReader("PullMessageResponseHeader", extFields)
        suggestWhichBrokerId = try r.int64("suggestWhichBrokerId")
        nextBeginOffset = try r.int64("nextBeginOffset")
        minOffset = try r.int64("minOffset")
        maxOffset = try r.int64("maxOffset")
    }

    public var extFields: [String: String] {
        [
            "suggestWhichBrokerId": String(suggestWhichBrokerId), "nextBeginOffset": String(nextBeginOffset),
            "minOffset": String(minOffset), "maxOffset": String(maxOffset),
        ]
    }
}
