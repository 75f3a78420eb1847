import Foundation
import RocketMQClient

/// The metadata daprd receives with each delivered message (component.md §4), and the JSON
/// object the `read` operation returns per message (§3).
extension ConsumedMessage {
    func deliveryMetadata() -> [String: String] {
        var metadata = userProperties  // so traceparent / tracestate reach daprd
        let system: [String: String] = [
            "topic": topic, "msgId": messageID, "tags": tags ?? "", "keys": keys.joined(separator: " "),
            "queueId": "\(queueId)", "queueOffset": "\(queueOffset)", "brokerName": brokerName,
            "bornTimestamp": "\(bornTimestamp)", "storeTimestamp": "\(storeTimestamp)",
            "reconsumeTimes": "\(reconsumeTimes)", "consumerGroup": consumerGroup,
            // The built-in binding's keys, for applications moving from it (its sub-type is always empty).
            "rocketmq-sub-type": "", "rocketmq-sub-expression": subscriptionExpression,
            "rocketmq-consumerGroup": consumerGroup, "rocketmq-broker-name": brokerName,
        ]
        metadata.merge(system) { _, systemValue in systemValue }
        return metadata
    }

    func readResult() -> [String: Any] {
        var object: [String: Any] = [
            "topic": topic, "msgId": messageID, "tags": tags ?? "", "keys": keys.joined(separator: " "),
            "queueId": Int(queueId), "queueOffset": queueOffset, "brokerName": brokerName,
            "bornTimestamp": bornTimestamp, "storeTimestamp": storeTimestamp, "reconsumeTimes": Int(reconsumeTimes),
            "properties": userProperties, "body": Base64.encode(body),
        ]
        if let text = String(validating: body, as: UTF8.self) { object["bodyText"] = text }
        return object
    }
}

enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }
}
