import DaprComponents
import DaprProto
import Foundation
import RocketMQClient

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
    /// `startDeliverTime` (epoch ms): delivery at that time (the HTTP protocol's, or a RocketMQ 5 timer message over tcp).
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
                // A SQL92 expression is no tag.
                let single = subscription.type == .tag && subscription.expression != "*" && !subscription.expression.contains("||")
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
        var writer = ResponseJSONWriter()
        // Sized once: each field is its text plus quotes and separators, unless it needs escapes.
        writer.bytes.reserveCapacity(described.reduce(2) { size, object in
            object.reduce(size + 3) { $0 + $1.key.utf8.count + $1.value.utf8.count + 6 }
        })
        writer.bytes.append(UInt8(ascii: "["))
        for (index, object) in described.enumerated() {
            if index > 0 { writer.bytes.append(UInt8(ascii: ",")) }
            writer.bytes.append(UInt8(ascii: "{"))
            for (fieldIndex, field) in object.sorted(by: { $0.key < $1.key }).enumerated() {
                if fieldIndex > 0 { writer.bytes.append(UInt8(ascii: ",")) }
                writer.string(field.key)
                writer.bytes.append(UInt8(ascii: ":"))
                writer.string(field.value)
            }
            writer.bytes.append(UInt8(ascii: "}"))
        }
        writer.bytes.append(UInt8(ascii: "]"))
        return InvokeResponse(data: writer.bytes, metadata: described.first ?? [:], contentType: "application/json")
    }
}

/// The little JSON the `create` answer needs: strings, escaped as RFC 8259 asks (`"` and `\\`
/// backslashed; `\b \t \n \f \r` short; other control characters and DEL as `\u00XX`, uppercase
/// hex), everything else as raw UTF-8. The binding's own: the wire module's writer imitates
/// fastjson for frames, which is the client's business, not this answer's.
private struct ResponseJSONWriter {
    var bytes: [UInt8] = []

    /// Appends `value` quoted and escaped; the runs between escapes are copied whole.
    mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { text in
            var runStart = 0
            for index in text.indices {
                let byte = text[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == 0x7F else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[runStart..<index]))
                appendEscaped(byte)
                runStart = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[runStart...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        let short: UInt8?
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): short = byte
        case 0x08: short = UInt8(ascii: "b")
        case 0x09: short = UInt8(ascii: "t")
        case 0x0A: short = UInt8(ascii: "n")
        case 0x0C: short = UInt8(ascii: "f")
        case 0x0D: short = UInt8(ascii: "r")
        default: short = nil
        }
        bytes.append(UInt8(ascii: "\\"))
        if let short {
            bytes.append(short)
            return
        }
        func hex(_ digit: UInt8) -> UInt8 { digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "A") + digit - 10 }
        bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex(byte >> 4), hex(byte & 0xF)])
    }
}
