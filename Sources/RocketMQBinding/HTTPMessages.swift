import DaprComponents
import Foundation
import RocketMQClient
import RocketMQHTTP

/// Messages in the HTTP access protocol's terms (docs/protocol-mq-http.md §4–§5): what `create` publishes, and
/// what daprd and the `read` operation receive, with the tcp path's metadata keys where they exist.
extension OutgoingMessage {
    /// The publish body. The protocol carries XML text: a body that is not UTF-8 text, or a
    /// property with a character the service forbids, is refused before anything is sent.
    /// A delay level becomes the equivalent start-deliver time.
    func httpPublishRequest(startDeliverTime: Int64?, now: Date) throws -> MQHTTPPublishRequest {
        guard let text = String(validating: body, as: UTF8.self), MQHTTPXML.isRepresentable(text) else {
            throw ComponentError.invalidArgument("data: accessProto http carries XML text only, and this body is not (it is not UTF-8 or has control characters such as NUL); encode binary data first, for example as base64")
        }
        var wire: [String: String] = [:]
        for (key, value) in properties {
            if MQHTTPProperties.reservedKeys.contains(key) {
                throw ComponentError.invalidArgument("request metadata \(key): reserved by the HTTP access protocol; choose another name")
            }
            wire[key] = value
        }
        if !keys.isEmpty { wire[MQHTTPProperties.keysKey] = keys.joined(separator: " ") }
        if let shardingKey { wire[MQHTTPProperties.shardingKeyKey] = shardingKey }
        if let deliverAt = startDeliverTime ?? delayLevel.map({ Int64(now.timeIntervalSince1970 * 1000) + CreateRequest.delayLevelSeconds[$0 - 1] * 1000 }) {
            wire[MQHTTPProperties.startDeliverTimeKey] = "\(deliverAt)"
        }
        for (key, value) in wire {
            if let character = MQHTTPProperties.forbiddenCharacter(in: key) ?? MQHTTPProperties.forbiddenCharacter(in: value) {
                throw ComponentError.invalidArgument("request metadata \(key): the HTTP access protocol forbids the character \(character) in property names and values (forbidden: ' \" < > & : |)")
            }
        }
        return MQHTTPPublishRequest(body: text, tag: tags, properties: MQHTTPProperties.encode(wire))
    }
}

extension MQHTTPReceivedMessage {
    /// The properties, decoded once: what the publisher set, and the protocol's reserved keys.
    var splitProperties: (user: [String: String], reserved: [String: String]) {
        var user = MQHTTPProperties.decode(properties ?? "")
        var reserved: [String: String] = [:]
        for key in MQHTTPProperties.reservedKeys { reserved[key] = user.removeValue(forKey: key) }
        return (user, reserved)
    }

    /// The service counts deliveries from 1; RocketMQ's reconsume count starts at 0.
    var reconsumeTimes: Int { max(consumedTimes - 1, 0) }

    func deliveryMetadata(topic: String, subscriptionExpression: String, consumerGroup: String, allowList: Set<String>?) -> [String: String] {
        let (user, reserved) = splitProperties
        var metadata = user.allowing(allowList)  // so traceparent / tracestate reach daprd
        let system: [String: String] = [
            "topic": topic, "msgId": messageID, "tags": tag ?? "", "keys": reserved[MQHTTPProperties.keysKey] ?? "",
            "bornTimestamp": "\(publishTime)", "reconsumeTimes": "\(reconsumeTimes)", "consumerGroup": consumerGroup,
            "firstConsumeTime": "\(firstConsumeTime)", "nextConsumeTime": "\(nextConsumeTime)",
            "rocketmq-sub-type": "", "rocketmq-sub-expression": subscriptionExpression, "rocketmq-consumerGroup": consumerGroup,
        ]
        metadata.merge(system) { _, systemValue in systemValue }
        if let shardingKey = reserved[MQHTTPProperties.shardingKeyKey] {
            metadata["shardingKey"] = shardingKey
        }
        return metadata
    }

    func readResult(topic: String) -> [String: Any] {
        let (user, reserved) = splitProperties
        return [
            "topic": topic, "msgId": messageID, "tags": tag ?? "", "keys": reserved[MQHTTPProperties.keysKey] ?? "",
            "bornTimestamp": publishTime, "reconsumeTimes": reconsumeTimes,
            "properties": user, "body": Base64.encode(Array(body.utf8)),
        ]
    }
}
