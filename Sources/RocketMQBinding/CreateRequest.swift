import DaprComponents
import DaprProto
import Foundation
import RocketMQClient
import RocketMQWire

/// A `create` invocation's request metadata, parsed (docs/component-spec.md §3).
struct CreateRequest {
    /// Request keys the binding reads; every other application key becomes a user property
    /// (`ForwardedHeaders` says which keys are not the application's).
    static let reservedKeys: Set<String> = [
        "topics", "rocketmq-topic", "tags", "rocketmq-tag", "keys", "rocketmq-key",
        "rocketmq-shardingkey", "delaylevel", "rocketmq-delay-level", "startdelivertime",
    ]
    /// RocketMQ's delay levels 1...18, in seconds.
    static let delayLevelSeconds: [Int64] = [1, 5, 10, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 3600, 7200]

    var messages: [OutgoingMessage]
    /// `startDeliverTime` (epoch ms): scheduled delivery, for the HTTP access protocol.
    var startDeliverTime: Int64?

    init(data: [UInt8], metadata: [String: String], component: BindingMetadata) throws {
        var lowered: [String: String] = [:]
        for (key, value) in metadata { lowered[key.lowercased()] = value }
        func first(_ keys: String...) -> String? {
            keys.lazy.compactMap { lowered[$0]?.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty }
        }

        let tag = first("tags", "rocketmq-tag")
        let keys = (first("keys", "rocketmq-key") ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let shardingKey = first("rocketmq-shardingkey")
        var delayLevel: Int?
        if let text = first("delaylevel", "rocketmq-delay-level") {
            guard let level = Int(text), (1...18).contains(level) else {
                throw BindingMetadata.invalid("delayLevel", text, "a delay level from 1 (1 s) to 18 (2 h)")
            }
            delayLevel = level
        }
        if let text = first("startdelivertime") {
            guard let millis = Int64(text), millis > 0 else {
                throw BindingMetadata.invalid("startDeliverTime", text, "epoch milliseconds of the delivery time")
            }
            guard delayLevel == nil else {
                throw ComponentError.invalidArgument("request metadata startDeliverTime and delayLevel: give one or the other")
            }
            startDeliverTime = millis
        }

        var properties: [String: String] = [:]
        for (key, value) in metadata where !Self.reservedKeys.contains(key.lowercased()) {
            guard ForwardedHeaders.verdict(key: key, value: value, allowList: component.propertyAllowList) == .property else { continue }
            // RocketMQ's own property names (docs/protocol-remoting.md §4.2) are the client's one
            // list; the producer would refuse them too, this says which request key it was.
            if OutgoingMessage.isSystemProperty(key) {
                throw ComponentError.invalidArgument("request metadata \(key): a RocketMQ system property; choose another name")
            }
            if key.isEmpty || key.unicodeScalars.contains(where: { $0 == "\u{1}" || $0 == "\u{2}" }) || value.unicodeScalars.contains(where: { $0 == "\u{1}" || $0 == "\u{2}" }) {
                throw ComponentError.invalidArgument("request metadata \(key.debugDescription): keys and values must be non-empty and free of the characters U+0001 and U+0002")
            }
            properties[key] = value
        }

        // Targets: the request's topics, else every topic of the component in order. On the
        // component path a single concrete tag of the subscription is the default message tag,
        // as the built-in binding does.
        let targets: [(topic: String, tag: String?)]
        if let requested = first("topics", "rocketmq-topic") {
            let topics = requested.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            for topic in topics { try BindingMetadata.validateTopic("topics (request metadata)", topic) }
            guard !topics.isEmpty else { throw BindingMetadata.invalid("topics (request metadata)", requested, "one or more topic names") }
            targets = topics.map { ($0, tag) }
        } else {
            targets = component.subscriptions.map { subscription in
                let single = subscription.expression != "*" && !subscription.expression.contains("||")
                return (subscription.topic, tag ?? (single ? subscription.expression : nil))
            }
        }

        messages = targets.map {
            OutgoingMessage(topic: $0.topic, body: data, tags: $0.tag, keys: keys, properties: properties,
                            delayLevel: delayLevel, shardingKey: shardingKey)
        }
    }
}

extension CreateRequest {
    /// The answer of `create`: a JSON array with one object per message sent (keys sorted), the
    /// first object also as the response metadata. Written directly: Foundation's sorted-keys
    /// serialisation compares keys with locale collation and cost a quarter of a create's CPU.
    static func response(_ described: [[String: String]]) -> InvokeResponse {
        var writer = FastJSONWriter()
        // Sized once: each field is its text plus quotes and separators, unless it needs escapes.
        writer.reserveCapacity(described.reduce(2) { size, object in
            object.reduce(size + 3) { $0 + $1.key.utf8.count + $1.value.utf8.count + 6 }
        })
        writer.fragment("[")
        for (index, object) in described.enumerated() {
            writer.fragment(index == 0 ? "{" : ",{")
            for (fieldIndex, field) in object.sorted(by: { $0.key < $1.key }).enumerated() {
                if fieldIndex > 0 { writer.fragment(",") }
                writer.key(field.key)
                writer.string(field.value)
            }
            writer.fragment("}")
        }
        writer.fragment("]")
        return InvokeResponse(data: writer.bytes, metadata: described.first ?? [:], contentType: "application/json")
    }
}
