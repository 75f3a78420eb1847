import Foundation
import RocketMQClient

/// The metadata daprd receives with each delivered message (docs/component-spec.md §4), and the JSON
/// object the `read` operation returns per message (docs/component-spec.md §3).
extension ConsumedMessage {
    func deliveryMetadata(allowList: Set<String>? = nil) -> [String: String] {
        // Filled in place (this runs for every delivered message): user properties first, so
        // traceparent / tracestate reach daprd, then the system keys, which win.
        var metadata = userProperties(minimumCapacity: properties.count + 15).allowing(allowList)
        metadata["topic"] = topic
        metadata["msgId"] = messageID
        metadata["tags"] = tags ?? ""
        metadata["keys"] = keys.joined(separator: " ")
        metadata["queueId"] = String(queueId)
        metadata["queueOffset"] = String(queueOffset)
        metadata["brokerName"] = brokerName
        metadata["bornTimestamp"] = String(bornTimestamp)
        metadata["storeTimestamp"] = String(storeTimestamp)
        metadata["reconsumeTimes"] = String(reconsumeTimes)
        metadata["consumerGroup"] = consumerGroup
        // The built-in binding's keys, for applications moving from it (its sub-type is always
        // empty; here "sql92" tells a message selected by a SQL92 expression).
        metadata["rocketmq-sub-type"] = subscriptionType == .sql92 ? "sql92" : ""
        metadata["rocketmq-sub-expression"] = subscriptionExpression
        metadata["rocketmq-consumerGroup"] = consumerGroup
        metadata["rocketmq-broker-name"] = brokerName
        return metadata
    }

    /// The message's object in a `read` answer, without `bodyText` (`ReadAnswer` adds it where it fits).
    func readResult() -> [String: Any] {
        [
            "topic": topic, "msgId": messageID, "tags": tags ?? "", "keys": keys.joined(separator: " "),
            "queueId": Int(queueId), "queueOffset": queueOffset, "brokerName": brokerName,
            "bornTimestamp": bornTimestamp, "storeTimestamp": storeTimestamp, "reconsumeTimes": Int(reconsumeTimes),
            "properties": userProperties, "body": Base64.encode(body),
        ]
    }
}

enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }
}
