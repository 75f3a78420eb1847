/// SEND_MESSAGE / SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE request header (docs/protocol-remoting.md §2.4).
///
/// One struct, two spellings: ``extFields`` uses the V1 field names (code 10, Java
/// `SendMessageRequestHeader`), ``v2ExtFields`` the one-letter keys `a`…`n` (codes 310 and 320, Java
/// `SendMessageRequestHeaderV2`); ``extFields(for:)`` and ``init(command:)`` pick by the code.
public struct SendMessageRequestHeader: CommandCustomHeader, Equatable {
    public var producerGroup: String
    public var topic: String
    public var defaultTopic: String
    public var defaultTopicQueueNums: Int32
    public var queueId: Int32
    public var sysFlag: Int32
    public var bornTimestamp: Int64
    public var flag: Int32
    public var properties: String?
    public var reconsumeTimes: Int32?
    public var unitMode: Bool?
    public var batch: Bool?
    public var maxReconsumeTimes: Int32?
    /// Broker name (4.9.x `RpcRequestHeader.bname`).
    public var bname: String?

    public init(producerGroup: String, topic: String, defaultTopic: String = "TBW102", defaultTopicQueueNums: Int32 = 4,
                queueId: Int32, sysFlag: Int32 = 0, bornTimestamp: Int64, flag: Int32 = 0, properties: String? = nil,
                reconsumeTimes: Int32? = 0, unitMode: Bool? = false, batch: Bool? = false,
                maxReconsumeTimes: Int32? = nil, bname: String? = nil) {
        self.producerGroup = producerGroup
        self.topic = topic
        self.defaultTopic = defaultTopic
        self.defaultTopicQueueNums = defaultTopicQueueNums
        self.queueId = queueId
        self.sysFlag = sysFlag
        self.bornTimestamp = bornTimestamp
        self.flag = flag
        self.properties = properties
        self.reconsumeTimes = reconsumeTimes
        self.unitMode = unitMode
        self.batch = batch
        self.maxReconsumeTimes = maxReconsumeTimes
        self.bname = bname
    }

    public static let fieldOrder = [
        "producerGroup", "topic", "defaultTopic", "defaultTopicQueueNums", "queueId", "sysFlag", "bornTimestamp",
        "flag", "properties", "reconsumeTimes", "unitMode", "batch", "maxReconsumeTimes", "bname",
    ]
    public static let javaExtFieldsOrder = JavaHash.hashMapIterationOrder(fieldOrder)

    /// V1 name → V2 key.
    public static let v2Keys: [(v1: String, v2: String)] = [
        ("producerGroup", "a"), ("topic", "b"), ("defaultTopic", "c"), ("defaultTopicQueueNums", "d"), ("queueId", "e"),
        ("sysFlag", "f"), ("bornTimestamp", "g"), ("flag", "h"), ("properties", "i"), ("reconsumeTimes", "j"),
        ("unitMode", "k"), ("maxReconsumeTimes", "l"), ("batch", "m"), ("bname", "n"),
    ]

    /// The V2 keys in the order Java's fast encoder writes them (`a` … `n`).
    public static let v2FieldOrder = v2Keys.map(\.v2)

    /// The Java `HashMap` order of the V2 keys, the order of a JSON V2 header: one letter each, so
    /// every key has its own bucket and the order is `a` … `n` whatever the table size.
    public static let v2JavaExtFieldsOrder = JavaHash.hashMapIterationOrder(v2FieldOrder)

    /// The same without `l` (`maxReconsumeTimes`), which only a re-sent retry carries: the order of
    /// a producer's every send, chosen without looking a key up.
    static let v2JavaExtFieldsOrderWithoutMaxReconsumeTimes = v2JavaExtFieldsOrder.filter { $0 != "l" }

    public init(extFields: [String: String]) throws {
        try self.init(HeaderReader("SendMessageRequestHeader", extFields), spelling: .v1)
    }

    /// Reads the one-letter V2 keys (errors name the letter).
    public init(v2ExtFields: [String: String]) throws {
        try self.init(HeaderReader("SendMessageRequestHeaderV2", v2ExtFields), spelling: .v2)
    }

    private init(_ r: HeaderReader, spelling n: Spelling) throws {
        producerGroup = try r.string(n.producerGroup)
        topic = try r.string(n.topic)
        defaultTopic = try r.string(n.defaultTopic)
        defaultTopicQueueNums = try r.int32(n.defaultTopicQueueNums)
        queueId = try r.int32(n.queueId)
        sysFlag = try r.int32(n.sysFlag)
        bornTimestamp = try r.int64(n.bornTimestamp)
        flag = try r.int32(n.flag)
        properties = r.optionalString(n.properties)
        reconsumeTimes = try r.optionalInt32(n.reconsumeTimes)
        unitMode = try r.optionalBool(n.unitMode)
        batch = try r.optionalBool(n.batch)
        maxReconsumeTimes = try r.optionalInt32(n.maxReconsumeTimes)
        bname = r.optionalString(n.bname)
    }

    /// The key of each field in one spelling: read straight from the received map, so a V2 header
    /// is not first copied into a map of V1 names.
    private struct Spelling {
        var producerGroup, topic, defaultTopic, defaultTopicQueueNums, queueId, sysFlag, bornTimestamp, flag,
            properties, reconsumeTimes, unitMode, batch, maxReconsumeTimes, bname: String

        init(_ key: (String) -> String) {
            producerGroup = key("producerGroup"); topic = key("topic"); defaultTopic = key("defaultTopic")
            defaultTopicQueueNums = key("defaultTopicQueueNums"); queueId = key("queueId"); sysFlag = key("sysFlag")
            bornTimestamp = key("bornTimestamp"); flag = key("flag"); properties = key("properties")
            reconsumeTimes = key("reconsumeTimes"); unitMode = key("unitMode"); batch = key("batch")
            maxReconsumeTimes = key("maxReconsumeTimes"); bname = key("bname")
        }

        static let v1 = Spelling { $0 }
        static let v2 = Spelling { name in v2Keys.first { $0.v1 == name }?.v2 ?? name }
    }

    /// Whether requests with `code` use the one-letter V2 keys (310 and 320) rather than the V1
    /// names (10).
    public static func usesV2Keys(_ code: RequestCode) -> Bool { code != .sendMessage }

    /// Reads whichever spelling `command.code` uses (10: V1; 310/320: V2).
    public init(command: RemotingCommand) throws {
        if Self.usesV2Keys(command.requestCode) {
            try self.init(v2ExtFields: command.extFields)
        } else {
            try self.init(extFields: command.extFields)
        }
    }

    public var extFields: [String: String] { fields(spelled: .v1) }

    /// The one-letter V2 spelling.
    public var v2ExtFields: [String: String] { fields(spelled: .v2) }

    /// V1 names for SEND_MESSAGE (10), V2 letters for SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320).
    public func extFields(for code: RequestCode) -> [String: String] {
        Self.usesV2Keys(code) ? v2ExtFields : extFields
    }

    /// V2: `a` … `n`, without `l` when it is not set (the usual case, so the encoder finds every key
    /// in one pass). V1: Java's `HashMap` order of the fourteen names, exact whenever at least 13
    /// are set, as Java's producer always sets them.
    public func extFieldsOrder(for code: RequestCode) -> [String] {
        guard Self.usesV2Keys(code) else { return Self.javaExtFieldsOrder }
        return maxReconsumeTimes == nil ? Self.v2JavaExtFieldsOrderWithoutMaxReconsumeTimes : Self.v2JavaExtFieldsOrder
    }

    /// The fields under the keys of one spelling, the mirror of `init(_:spelling:)`.
    private func fields(spelled n: Spelling) -> [String: String] {
        var f = [String: String](minimumCapacity: Self.fieldOrder.count)
        f[n.producerGroup] = producerGroup
        f[n.topic] = topic
        f[n.defaultTopic] = defaultTopic
        f.put(n.defaultTopicQueueNums, defaultTopicQueueNums)
        f.put(n.queueId, queueId)
        f.put(n.sysFlag, sysFlag)
        f.put(n.bornTimestamp, bornTimestamp)
        f.put(n.flag, flag)
        f.put(n.properties, properties)
        f.put(n.reconsumeTimes, reconsumeTimes)
        f.put(n.unitMode, unitMode)
        f.put(n.batch, batch)
        f.put(n.maxReconsumeTimes, maxReconsumeTimes)
        f.put(n.bname, bname)
        return f
    }
}

/// SEND_MESSAGE* response header (docs/protocol-remoting.md §2.4): `msgId` (offsetMsgId, comma-joined
/// for a batch), `queueId`, `queueOffset`, optional `transactionId`; the broker adds `MSG_REGION` and
/// `TRACE_ON`.
public struct SendMessageResponseHeader: CommandCustomHeader, Equatable {
    public var msgId: String
    public var queueId: Int32
    public var queueOffset: Int64
    public var transactionId: String?
    /// `MSG_REGION` (`"DefaultRegion"`).
    public var messageRegion: String?
    /// `TRACE_ON` (`"true"`).
    public var traceOn: String?

    public init(msgId: String, queueId: Int32, queueOffset: Int64, transactionId: String? = nil,
                messageRegion: String? = "DefaultRegion", traceOn: String? = "true") {
        self.msgId = msgId
        self.queueId = queueId
        self.queueOffset = queueOffset
        self.transactionId = transactionId
        self.messageRegion = messageRegion
        self.traceOn = traceOn
    }

    public static let fieldOrder = ["msgId", "queueId", "queueOffset", "transactionId", "MSG_REGION", "TRACE_ON"]
    public static let javaExtFieldsOrder = JavaHash.hashMapIterationOrder(fieldOrder)

    /// The order the broker's fast encoder writes (binary headers): the fields, then the extras.
    public static let fastEncodeOrder = ["msgId", "queueId", "queueOffset", "transactionId", "TRACE_ON", "MSG_REGION"]

    public init(extFields: [String: String]) throws {
        let r = HeaderReader("SendMessageResponseHeader", extFields)
        msgId = try r.string("msgId")
        queueId = try r.int32("queueId")
        queueOffset = try r.int64("queueOffset")
        transactionId = r.optionalString("transactionId")
        messageRegion = r.optionalString("MSG_REGION")
        traceOn = r.optionalString("TRACE_ON")
    }

    public var extFields: [String: String] {
        // Sized for all six up front, instead of growing from a one-member literal as they are added.
        var f = [String: String](minimumCapacity: 6)
        f["msgId"] = msgId
        f.put("queueId", queueId)
        f.put("queueOffset", queueOffset)
        f.put("transactionId", transactionId)
        f.put("MSG_REGION", messageRegion)
        f.put("TRACE_ON", traceOn)
        return f
    }
}
