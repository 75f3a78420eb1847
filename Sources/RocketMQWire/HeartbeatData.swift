/// The HEART_BEAT body (docs/protocol-remoting.md §2.7; `HeartbeatData.java`), written with fastjson's
/// sorted keys.
///
/// `Codable` with the Java key spellings (a `JSONEncoder` with `.sortedKeys` gives the same bytes as
/// ``encoded()``); ``init(body:)`` is the tolerant reader (it also takes Go's string `codeSet`).
/// Value types; safe from any thread.
public struct HeartbeatData: Sendable, Equatable, Codable {
    public var clientID: String
    public var consumerDataSet: [ConsumerData]
    public var producerDataSet: [ProducerData]

    public init(clientID: String, consumerDataSet: [ConsumerData] = [], producerDataSet: [ProducerData] = []) {
        self.clientID = clientID
        self.consumerDataSet = consumerDataSet
        self.producerDataSet = producerDataSet
    }

    /// `{"clientID":...,"consumerDataSet":[...],"producerDataSet":[...]}`.
    public func encoded() -> [UInt8] {
        var w = FastJSONWriter()
        w.value(jsonValue)
        return w.bytes
    }

    public var jsonValue: JSONValue {
        .object([
            (key: "clientID", value: .string(clientID)),
            (key: "consumerDataSet", value: .array(consumerDataSet.map(\.jsonValue))),
            (key: "producerDataSet", value: .array(producerDataSet.map { .object([(key: "groupName", value: .string($0.groupName))]) })),
        ])
    }

    /// Parses a heartbeat from Java or Go (Go sends `codeSet` entries as strings).
    public init(body: [UInt8]) throws {
        let json = try RemotingBodyError.parse(body, as: "HeartbeatData")
        guard let clientID = json["clientID"]?.stringValue else {
            throw RemotingBodyError(body: "HeartbeatData", reason: "missing clientID")
        }
        self.clientID = clientID
        consumerDataSet = try (json["consumerDataSet"]?.arrayValue ?? []).map(ConsumerData.init(json:))
        producerDataSet = (json["producerDataSet"]?.arrayValue ?? []).compactMap { p in
            p["groupName"]?.stringValue.map(ProducerData.init(groupName:))
        }
    }
}

/// A producer group entry of a heartbeat.
public struct ProducerData: Sendable, Hashable, Codable {
    public var groupName: String

    public init(groupName: String) {
        self.groupName = groupName
    }
}

/// A consumer group entry of a heartbeat (`ConsumerData.java`). Enum values are the Java names.
public struct ConsumerData: Sendable, Equatable, Codable {
    public var groupName: String
    /// `CONSUME_ACTIVELY` (pull) or `CONSUME_PASSIVELY` (push).
    public var consumeType: String
    /// `CLUSTERING` or `BROADCASTING`.
    public var messageModel: String
    /// `CONSUME_FROM_LAST_OFFSET`, `CONSUME_FROM_FIRST_OFFSET`, `CONSUME_FROM_TIMESTAMP`, ...
    public var consumeFromWhere: String
    public var subscriptionDataSet: [SubscriptionData]
    public var unitMode: Bool

    public init(
        groupName: String,
        consumeType: String = "CONSUME_PASSIVELY",
        messageModel: String = "CLUSTERING",
        consumeFromWhere: String = "CONSUME_FROM_LAST_OFFSET",
        subscriptionDataSet: [SubscriptionData],
        unitMode: Bool = false
    ) {
        self.groupName = groupName
        self.consumeType = consumeType
        self.messageModel = messageModel
        self.consumeFromWhere = consumeFromWhere
        self.subscriptionDataSet = subscriptionDataSet
        self.unitMode = unitMode
    }

    public var jsonValue: JSONValue {
        .object([
            (key: "consumeFromWhere", value: .string(consumeFromWhere)),
            (key: "consumeType", value: .string(consumeType)),
            (key: "groupName", value: .string(groupName)),
            (key: "messageModel", value: .string(messageModel)),
            (key: "subscriptionDataSet", value: .array(subscriptionDataSet.map(\.jsonValue))),
            (key: "unitMode", value: .bool(unitMode)),
        ])
    }

    init(json: JSONValue) throws {
        guard let groupName = json["groupName"]?.stringValue else {
            throw RemotingBodyError(body: "HeartbeatData", reason: "consumerData without groupName")
        }
        self.groupName = groupName
        consumeType = json["consumeType"]?.stringValue ?? ""
        messageModel = json["messageModel"]?.stringValue ?? ""
        consumeFromWhere = json["consumeFromWhere"]?.stringValue ?? ""
        unitMode = json["unitMode"]?.boolValue ?? false
        subscriptionDataSet = try (json["subscriptionDataSet"]?.arrayValue ?? []).map(SubscriptionData.init(json:))
    }
}

/// `ExpressionType` values of a subscription. A missing or empty type means `TAG`.
public enum ExpressionType {
    public static let tag = "TAG"
    public static let sql92 = "SQL92"

    /// `ExpressionType.isTagType`: nil, empty and `TAG` are tag expressions.
    public static func isTag(_ type: String?) -> Bool { type == nil || type == "" || type == tag }
}

/// One subscription (`SubscriptionData.java`).
public struct SubscriptionData: Sendable, Equatable, Codable {
    /// `subString` meaning every tag.
    public static let subscribeAll = "*"

    public var topic: String
    public var subString: String
    public var tagsSet: [String]
    /// Java `String.hashCode` of each tag (the broker filters by these).
    public var codeSet: [Int32]
    public var subVersion: Int64
    /// `TAG` or `SQL92`.
    public var expressionType: String
    public var classFilterMode: Bool

    public init(topic: String, subString: String, tagsSet: [String], codeSet: [Int32], subVersion: Int64,
                expressionType: String = "TAG", classFilterMode: Bool = false) {
        self.topic = topic
        self.subString = subString
        self.tagsSet = tagsSet
        self.codeSet = codeSet
        self.subVersion = subVersion
        self.expressionType = expressionType
        self.classFilterMode = classFilterMode
    }

    /// `FilterAPI.buildSubscriptionData`: a TAG expression split on `||` and trimmed; `*` or empty
    /// means all tags (empty sets).
    public static func tagExpression(topic: String, expression: String, subVersion: Int64) -> SubscriptionData {
        let trimmed = expression.trimmingSpaces
        guard !trimmed.isEmpty, trimmed != subscribeAll else {
            return SubscriptionData(topic: topic, subString: subscribeAll, tagsSet: [], codeSet: [], subVersion: subVersion)
        }
        var tags: [String] = []
        for part in trimmed.components(separatedBy: "||") {
            let tag = part.trimmingSpaces
            if !tag.isEmpty, !tags.contains(tag) { tags.append(tag) }
        }
        return SubscriptionData(topic: topic, subString: trimmed, tagsSet: tags,
                                codeSet: tags.map(JavaHash.stringHashCode), subVersion: subVersion)
    }

    /// `FilterAPI.build` for a SQL92 subscription: the expression as it is, no tags or codes (the
    /// broker evaluates the expression over message properties; docs/protocol-remoting.md §2.17).
    public static func sql92Expression(topic: String, expression: String, subVersion: Int64) -> SubscriptionData {
        SubscriptionData(topic: topic, subString: expression.trimmingSpaces, tagsSet: [], codeSet: [], subVersion: subVersion,
                         expressionType: ExpressionType.sql92)
    }

    /// Whether a message with `tag` passes (exact string match; all when `*`).
    public func matches(tag: String?) -> Bool {
        if subString == Self.subscribeAll || tagsSet.isEmpty { return true }
        guard let tag else { return false }
        return tagsSet.contains(tag)
    }

    public var jsonValue: JSONValue {
        .object([
            (key: "classFilterMode", value: .bool(classFilterMode)),
            (key: "codeSet", value: .array(codeSet.map { .number(String($0)) })),
            (key: "expressionType", value: .string(expressionType)),
            (key: "subString", value: .string(subString)),
            (key: "subVersion", value: .number(String(subVersion))),
            (key: "tagsSet", value: .array(tagsSet.map { .string($0) })),
            (key: "topic", value: .string(topic)),
        ])
    }

    init(json: JSONValue) throws {
        guard let topic = json["topic"]?.stringValue else {
            throw RemotingBodyError(body: "SubscriptionData", reason: "missing topic")
        }
        self.topic = topic
        subString = json["subString"]?.stringValue ?? Self.subscribeAll
        tagsSet = (json["tagsSet"]?.arrayValue ?? []).compactMap(\.stringValue)
        codeSet = (json["codeSet"]?.arrayValue ?? []).compactMap(\.int32Value)
        subVersion = json["subVersion"]?.int64Value ?? 0
        expressionType = json["expressionType"]?.stringValue ?? "TAG"
        classFilterMode = json["classFilterMode"]?.boolValue ?? false
    }
}

extension String {
    /// Trims spaces, tabs and newlines without Foundation.
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }

    /// Splits on a multi-character separator without Foundation.
    func components(separatedBy separator: String) -> [String] {
        var parts: [String] = []
        var rest = Substring(self)
        while let range = rest.range(of: separator) {
            parts.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }
}

extension Substring {
    func range(of needle: String) -> Range<Substring.Index>? {
        guard !needle.isEmpty else { return nil }
        var index = startIndex
        while index < endIndex {
            if self[index...].hasPrefix(needle) {
                return index..<self.index(index, offsetBy: needle.count)
            }
            index = self.index(after: index)
        }
        return nil
    }
}
