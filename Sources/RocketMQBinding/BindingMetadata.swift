import DaprComponents
import Foundation
import RocketMQClient
import RocketMQHTTP

/// The component metadata of one instance (docs/component-spec.md §2), parsed and validated.
///
/// Keys are matched case-insensitively, unknown keys are ignored (daprd passes its own, such as
/// `direction` and `route`). Every invalid value is an `INVALID_ARGUMENT` naming the field, the
/// value and what is allowed — except the secrets, whose values never appear in a message or log.
/// The keys of Dapr's built-in `bindings.rocketmq` and of `pubsub.rocketmq` are honoured under
/// their own names where they mean the same, and answered with a warning (`warnings`) where they
/// do not, so nothing is lost silently when a component file moves here.
public struct BindingMetadata: Sendable, Equatable, CustomStringConvertible {
    public enum AccessProtocol: String, Sendable, Equatable { case tcp, tcpCgo = "tcp-cgo", http }
    public enum ConsumeFrom: String, Sendable, Equatable { case last, first, timestamp }
    /// `consumerModel`, with pubsub.rocketmq's values: each message to one member of the group
    /// (clustering), or to every member (broadcasting, docs/component-spec.md §4).
    public enum ConsumerModel: String, Sendable, Equatable { case clustering, broadcasting }

    public var subscriptions: [Subscription]
    /// `subscriptionType` (`rocketmq-sub-type`): how the expressions of `topics` select messages.
    public var subscriptionType: SubscriptionType
    public var nameServers: [String]
    /// True when `nameServers` came from the demo default, not from the metadata.
    public var usesDefaultNameServers = false
    public var nameServerDomain: String?
    public var endpoint: String?
    public var accessProtocol: AccessProtocol
    public var consumerGroup: String
    public var consumerGroupWasDefaulted: Bool
    public var producerGroup: String
    public var consumerBatchSize: Int
    public var consumerThreadNums: Int
    public var retries: Int
    public var instanceID: String?
    public var accessKey: String?
    public var secretKey: String?
    public var securityToken: String?
    public var consumeFrom: ConsumeFrom
    /// Epoch milliseconds where `consumeFrom == .timestamp` starts.
    public var consumeTimestampMillis: Int64
    public var maxReconsumeTimes: Int
    public var consumeOrderly: Bool
    public var consumerModel: ConsumerModel
    public var sendTimeoutMillis: Int
    public var contentType: String?
    /// How long daprd may take to ack one delivered message before it counts as failed.
    public var consumeTimeout: Duration
    /// `mspProperties`, lowercased: when set, only these request keys travel as message properties
    /// (trace context always does), and only these user properties are delivered.
    public var propertyAllowList: Set<String>?
    /// `enableTrace`: write message-trace records (Pub, SubBefore, SubAfter) to `traceTopic`, as
    /// the Java client's `enableMsgTrace` does, so the dashboard shows this component's traffic.
    public var enableTrace: Bool
    /// `traceTopic`: where trace records go (the broker's own trace topic by default).
    public var traceTopic: String
    /// What Init should log: keys of the built-in binding or of pubsub.rocketmq that mean
    /// something else here, each naming the key and what happens instead.
    public var warnings: [String] = []

    public static let defaultConsumerGroup = "DEFAULT_CONSUMER"
    public static let defaultProducerGroup = "DEFAULT_PRODUCER"
    /// The trace topic a broker with `traceTopicEnable=true` creates (Java `TopicValidator.RMQ_SYS_TRACE_TOPIC`).
    public static let defaultTraceTopic = "RMQ_SYS_TRACE_TOPIC"

    /// Fields and their defaults, as the README documents them.
    public static let defaults: [(field: String, value: String)] = [
        ("accessProto", "tcp"), ("consumerGroup", defaultConsumerGroup), ("producerGroup", defaultProducerGroup),
        ("consumerBatchSize", "32 (16 with accessProto http)"), ("consumerThreadNums", "20"), ("retries", "3"), ("consumeFromWhere", "last"),
        ("consumeTimestamp", "30 minutes before start"), ("maxReconsumeTimes", "16"), ("consumeOrderly", "false"),
        ("sendTimeoutMs", "3000"), ("consumeTimeout", "15 (minutes)"), ("subscriptionType", "tag"), ("consumerModel", "clustering"),
        ("enableTrace", "false"), ("traceTopic", defaultTraceTopic),
    ]

    /// Keys of the built-in binding and of pubsub.rocketmq that are not honoured here, with what
    /// happens instead (lowercased key → the warning's text after the key).
    static let unsupportedKeys: [String: String] = {
        let backOff = "the built-in binding retries a failing message in-process; here an error ack sends it back to the broker, "
            + "which redelivers it through %RETRY%<group> with RocketMQ's growing delay levels up to maxReconsumeTimes, then to %DLQ%<group>"
        let pull = "pulling here is flow-controlled by consumerThreadNums (messages in flight to daprd) and long polling"
        var keys: [String: String] = [:]
        for key in ["backOffPolicy", "backOffDuration", "backOffInitialInterval", "backOffRandomizationFactor", "backOffMultiplier",
                    "backOffMaxInterval", "backOffMaxElapsedTime", "backOffMaxRetries"] {
            keys[key.lowercased()] = backOff
        }
        for key in ["consumerPullTimeout", "pullInterval", "pullThresholdForQueue", "pullThresholdForTopic",
                    "pullThresholdSizeForQueue", "pullThresholdSizeForTopic"] {
            keys[key.lowercased()] = pull
        }
        keys["instancename"] = "client ids here are unique per instance and direction (ip@pid#nanos); ignored"
        keys["producerqueueselector"] = "queues are chosen round-robin, or by the hash of rocketmq-shardingkey; ignored"
        keys["queueselector"] = keys["producerqueueselector"]
        keys["consumemessagebatchmaxsize"] = "daprd receives one message per delivery; ignored"
        keys["consumeconcurrentlymaxspan"] = "consumerThreadNums bounds the messages in flight; ignored"
        keys["autocommit"] = "offsets are committed once daprd acked, never past an unacked message; ignored"
        keys["loglevel"] = "the component's log level is its --log-level flag (DAPR_ROCKETMQ_LOG_LEVEL); ignored"
        return keys
    }()

    /// Parses `properties` (the Init request's metadata). `defaultNameServers` is used only when
    /// the metadata names neither `nameServer` nor `nameServerDomain` (the demo broker).
    public init(properties: [String: String], defaultNameServers: [String]? = nil, now: Date = Date()) throws {
        var fields: [String: (key: String, value: String)] = [:]
        for (key, value) in properties { fields[key.lowercased()] = (key, value.trimmingCharacters(in: .whitespacesAndNewlines)) }
        /// The first of `names` (a key and its aliases) that is set and not empty.
        func value(_ names: String...) -> String? {
            names.lazy.compactMap { fields[$0.lowercased()]?.value }.first { !$0.isEmpty }
        }

        let protocolText = value("accessProto") ?? "tcp"
        guard let accessProtocol = AccessProtocol(rawValue: protocolText.lowercased()) else {
            throw Self.invalid("accessProto", protocolText, "tcp, tcp-cgo or http")
        }
        self.accessProtocol = accessProtocol

        let typeText = value("subscriptionType", "rocketmq-sub-type") ?? "tag"
        guard let subscriptionType = SubscriptionType(rawValue: typeText.lowercased()) else {
            throw Self.invalid("subscriptionType", typeText, "tag or sql92")
        }
        if subscriptionType == .sql92, accessProtocol == .http {
            // The HTTP access protocol filters by tag only (a `tag` query parameter).
            throw ComponentError.invalidArgument("field subscriptionType: sql92 is not available with accessProto http, whose service filters by tag only; use accessProto tcp or subscriptionType tag")
        }
        self.subscriptionType = subscriptionType
        subscriptions = try Self.parseTopics(value("topics"), type: subscriptionType)
        nameServerDomain = value("nameServerDomain")
        endpoint = value("endpoint")
        if let text = value("nameServer") {
            nameServers = try Self.parseNameServers(text)
        } else {
            nameServers = []
        }
        if accessProtocol != .http, nameServers.isEmpty, nameServerDomain == nil {
            guard let defaultNameServers else {
                throw ComponentError.invalidArgument("field nameServer: missing; give name server addresses as host:port separated by , or ; (or set nameServerDomain)")
            }
            nameServers = defaultNameServers
            usesDefaultNameServers = true
        }

        if let group = value("consumerGroup", "groupName") {
            try Self.validateGroup("consumerGroup", group)
            consumerGroup = group
            consumerGroupWasDefaulted = false
        } else {
            consumerGroup = Self.defaultConsumerGroup
            consumerGroupWasDefaulted = true
        }
        producerGroup = value("producerGroup") ?? Self.defaultProducerGroup
        try Self.validateGroup("producerGroup", producerGroup)

        // The HTTP access protocol hands out at most 16 messages per poll.
        consumerBatchSize = accessProtocol == .http
            ? try Self.integer("consumerBatchSize", value("consumerBatchSize", "pullBatchSize"), default: 16, range: 1...16)
            : try Self.integer("consumerBatchSize", value("consumerBatchSize", "pullBatchSize"), default: 32, range: 1...1024)
        consumerThreadNums = try Self.integer("consumerThreadNums", value("consumerThreadNums"), default: 20, range: 1...1000)
        retries = try Self.integer("retries", value("retries"), default: 3, range: 0...100)
        // -1 is the Java and Go clients' "default" (16).
        maxReconsumeTimes = value("maxReconsumeTimes") == "-1"
            ? 16 : try Self.integer("maxReconsumeTimes", value("maxReconsumeTimes"), default: 16, range: 0...1000)
        sendTimeoutMillis = try Self.parseSendTimeout(ms: value("sendTimeoutMs"), seconds: value("sendTimeOutSec"), nanoseconds: value("sendTimeOut"))
        consumeTimeout = .seconds(60 * (try Self.integer("consumeTimeout", value("consumeTimeout"), default: 15, range: 1...1440)))
        consumeOrderly = try Self.boolean("consumeOrderly", value("consumeOrderly"), default: false)

        if let instance = value("instanceId", "nameSpace") {
            guard instance.range(of: "^[a-zA-Z0-9_-]+$", options: .regularExpression) != nil, instance.count <= 255 else {
                throw Self.invalid("instanceId", instance, "letters, digits, _ and - (at most 255)")
            }
            instanceID = instance
        } else {
            instanceID = nil
        }

        accessKey = value("accessKey")
        secretKey = value("secretKey")
        securityToken = value("securityToken")
        if (accessKey == nil) != (secretKey == nil) {
            throw ComponentError.invalidArgument("fields accessKey and secretKey: give both or neither (\(accessKey == nil ? "accessKey" : "secretKey") is missing)")
        }
        if securityToken != nil, accessKey == nil {
            throw ComponentError.invalidArgument("field securityToken: needs accessKey and secretKey")
        }

        let fromText = value("consumeFromWhere", "fromWhere") ?? "last"
        guard let consumeFrom = ConsumeFrom(rawValue: Self.normaliseConsumeFrom(fromText)) else {
            throw Self.invalid("consumeFromWhere", fromText, "last, first or timestamp")
        }
        self.consumeFrom = consumeFrom
        if let timestamp = value("consumeTimestamp") {
            consumeTimestampMillis = try Self.parseTimestamp(timestamp)
        } else {
            consumeTimestampMillis = Int64((now.timeIntervalSince1970 - 30 * 60) * 1000)
        }
        contentType = value("contentType", "content-type")
        if let names = value("mspProperties") {
            let list = names.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
            guard !list.isEmpty else { throw Self.invalid("mspProperties", names, "property names separated by commas") }
            propertyAllowList = Set(list)
        } else {
            propertyAllowList = nil
        }
        let modelText = value("consumerModel") ?? ConsumerModel.clustering.rawValue
        guard let consumerModel = ConsumerModel(rawValue: modelText.lowercased()) else {
            throw Self.invalid("consumerModel", modelText, "clustering (each message to one member of the group) or broadcasting (to every member)")
        }
        self.consumerModel = consumerModel
        if consumerModel == .broadcasting, accessProtocol == .http {
            throw ComponentError.invalidArgument(
                "field consumerModel: broadcasting is not available with accessProto http: the HTTP access protocol consumes in clustering mode only; use accessProto tcp")
        }
        enableTrace = try Self.boolean("enableTrace", value("enableTrace"), default: false)
        traceTopic = value("traceTopic") ?? Self.defaultTraceTopic
        try Self.validateTopic("traceTopic", traceTopic)
        if enableTrace, accessProtocol == .http {
            throw ComponentError.invalidArgument(
                "field enableTrace: message traces are written over the remoting protocol only, not with accessProto http "
                    + "(the HTTP access service keeps its own traces); remove enableTrace or use accessProto tcp")
        }
        warnings = fields.keys.sorted().compactMap { key in
            Self.unsupportedKeys[key].map { "field \(fields[key]!.key): not supported: \($0)" }
        }

        if accessProtocol == .http {
            guard let endpoint else {
                throw ComponentError.invalidArgument("field endpoint: missing; accessProto http needs the HTTP endpoint of the service, such as http://<account>.mqrest.<region>.aliyuncs.com")
            }
            do {
                try MQHTTPClient.validateEndpoint(endpoint)
            } catch {
                throw ComponentError.invalidArgument("field endpoint: \(error)")
            }
            guard accessKey != nil, secretKey != nil else {
                throw ComponentError.invalidArgument("fields accessKey and secretKey: missing; accessProto http signs every request with them")
            }
        }
    }

    public var description: String {
        // Secrets are never printed: only whether they are set.
        "topics=\(subscriptions.map { "\($0.topic)||\($0.expression)" }) subscriptionType=\(subscriptionType.rawValue) nameServers=\(nameServers) accessProto=\(accessProtocol.rawValue) "
            + "consumerGroup=\(consumerGroup) producerGroup=\(producerGroup) instanceId=\(instanceID ?? "") acl=\(accessKey != nil)"
            + (endpoint.map { " endpoint=\($0)" } ?? "")
    }

    /// The name servers, for messages: the addresses, or the domain they are looked up from.
    var nameServerDescription: String {
        nameServers.isEmpty ? "the name servers listed at \(nameServerDomain ?? "")" : "the name servers \(nameServers.joined(separator: ","))"
    }

    // MARK: - field parsers

    static func invalid(_ field: String, _ value: String, _ allowed: String) -> ComponentError {
        ComponentError.invalidArgument("field \(field): invalid value \"\(value)\"; allowed: \(allowed)")
    }

    /// `topic` or `topic||expression`, comma-separated; split at the first `||`. With `.sql92`
    /// the expression is SQL92 and the entries are split only at commas outside quotes and
    /// parentheses (`color IN ('red','blue')` stays whole); an entry without an expression (or
    /// with `*`) takes every message, as a tag subscription to `*`.
    static func parseTopics(_ text: String?, type: SubscriptionType = .tag) throws -> [Subscription] {
        guard let text else { throw ComponentError.invalidArgument("field topics: missing; give one or more topics, comma-separated, each topic or topic||tagExpression") }
        var subscriptions: [Subscription] = []
        let entries = type == .sql92 ? splitOutsideQuotesAndParentheses(text) : text.split(separator: ",")
        for entry in entries {
            let trimmed = entry.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            let topic: String, expression: String
            if let separator = trimmed.range(of: "||") {
                topic = trimmed[..<separator.lowerBound].trimmingCharacters(in: .whitespaces)
                let rest = trimmed[separator.upperBound...].trimmingCharacters(in: .whitespaces)
                expression = rest.isEmpty ? "*" : rest
            } else {
                topic = trimmed
                expression = "*"
            }
            try validateTopic("topics", topic)
            let entryType = type == .sql92 && expression != "*" ? SubscriptionType.sql92 : .tag
            subscriptions.append(Subscription(topic: topic, expression: expression, type: entryType))
        }
        guard !subscriptions.isEmpty else { throw invalid("topics", text, "at least one topic name") }
        return subscriptions
    }

    /// Splits at commas that are outside single-quoted strings (where `''` is a quote) and
    /// outside parentheses.
    static func splitOutsideQuotesAndParentheses(_ text: String) -> [Substring] {
        var entries: [Substring] = []
        var start = text.startIndex
        var inQuotes = false
        var depth = 0
        for index in text.indices {
            switch text[index] {
            case "'": inQuotes.toggle()  // '' inside a string toggles twice: still inside
            case "(" where !inQuotes: depth += 1
            case ")" where !inQuotes: depth = max(depth - 1, 0)
            case "," where !inQuotes && depth == 0:
                entries.append(text[start..<index])
                start = text.index(after: index)
            default: break
            }
        }
        entries.append(text[start...])
        return entries
    }

    /// RocketMQ topic rules: `^[%|a-zA-Z0-9_-]+$`, at most 127 characters.
    static func validateTopic(_ field: String, _ topic: String) throws {
        guard !topic.isEmpty, topic.count <= 127, topic.range(of: "^[%|a-zA-Z0-9_-]+$", options: .regularExpression) != nil else {
            throw invalid(field, topic, "topic names of letters, digits, %, |, _ and - (1 to 127 characters)")
        }
    }

    static func validateGroup(_ field: String, _ group: String) throws {
        guard group.count <= 255, group.range(of: "^[%|a-zA-Z0-9_-]+$", options: .regularExpression) != nil else {
            throw invalid(field, group, "letters, digits, %, |, _ and - (1 to 255 characters)")
        }
    }

    static func parseNameServers(_ text: String) throws -> [String] {
        let entries = text.split(whereSeparator: { $0 == "," || $0 == ";" })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .map { entry -> String in
                for scheme in ["http://", "https://"] where entry.lowercased().hasPrefix(scheme) {
                    return String(entry.dropFirst(scheme.count))
                }
                return entry
            }
        guard !entries.isEmpty else { throw invalid("nameServer", text, "host:port addresses separated by , or ;") }
        for entry in entries {
            guard let colon = entry.lastIndex(of: ":"), !entry[..<colon].isEmpty,
                  let port = Int(entry[entry.index(after: colon)...]), (1...65535).contains(port) else {
                throw invalid("nameServer", entry, "host:port with a port from 1 to 65535")
            }
        }
        return entries
    }

    static func integer(_ field: String, _ text: String?, default defaultValue: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw invalid(field, text, "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    static func boolean(_ field: String, _ text: String?, default defaultValue: Bool) throws -> Bool {
        guard let text else { return defaultValue }
        switch text.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw invalid(field, text, "true or false")
        }
    }

    /// Accepts `last`/`first`/`timestamp`, the Java names (`CONSUME_FROM_LAST_OFFSET`, …) and
    /// pubsub.rocketmq's (`ConsumeFromLastOffset`, …), in any case.
    static func normaliseConsumeFrom(_ text: String) -> String {
        switch text.lowercased() {
        case "consume_from_last_offset", "lastoffset", "consumefromlastoffset": return "last"
        case "consume_from_first_offset", "firstoffset", "consumefromfirstoffset": return "first"
        case "consume_from_timestamp", "consumefromtimestamp": return "timestamp"
        default: return text.lowercased()
        }
    }

    /// `sendTimeoutMs`, else pubsub.rocketmq's `sendTimeOutSec`, else its deprecated `sendTimeOut`
    /// (nanoseconds); 3000 ms when none is set.
    static func parseSendTimeout(ms: String?, seconds: String?, nanoseconds: String?) throws -> Int {
        if ms != nil { return try integer("sendTimeoutMs", ms, default: 3000, range: 1...600_000) }
        if seconds != nil { return try integer("sendTimeOutSec", seconds, default: 3, range: 1...600) * 1000 }
        guard let nanoseconds else { return 3000 }
        guard let value = Int64(nanoseconds), (1_000_000...600_000_000_000).contains(value) else {
            throw invalid("sendTimeOut", nanoseconds, "nanoseconds from 1000000 (1 ms) to 600000000000 (10 min); prefer sendTimeoutMs")
        }
        return Int((value + 999_999) / 1_000_000)
    }

    /// `yyyyMMddHHmmss` (RocketMQ's format, UTC here) or epoch milliseconds.
    static func parseTimestamp(_ text: String) throws -> Int64 {
        if text.count == 14, text.allSatisfy(\.isNumber) {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyyMMddHHmmss"
            if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970 * 1000) }
        } else if let millis = Int64(text), millis >= 0 {
            return millis
        }
        throw invalid("consumeTimestamp", text, "yyyyMMddHHmmss (UTC) or epoch milliseconds")
    }
}

extension BindingMetadata {
    /// `consumeFromWhere` in the client's terms.
    var consumeFromWhere: ConsumeFromWhere {
        switch consumeFrom {
        case .last: return .lastOffset
        case .first: return .firstOffset
        case .timestamp: return .timestamp(consumeTimestampMillis)
        }
    }
}
