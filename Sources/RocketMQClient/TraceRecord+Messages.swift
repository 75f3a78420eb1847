import RocketMQWire

// Trace records filled as the Java client's send and consume trace hooks fill them
// (docs/protocol-remoting.md §11.2), from this client's message types.

extension TraceRecord.Pub {
    /// The record of `message`, sent by `group` and answered with `result`.
    /// - Parameters:
    ///   - startedAtMillis: epoch milliseconds when the send began.
    ///   - costMillis: milliseconds until the broker answered.
    public init(sent message: OutgoingMessage, result: SendResult, group: String, startedAtMillis: Int64, costMillis: Int) {
        let keys = message.keys.filter { !$0.isEmpty }
        let delayed = message.delayLevel != nil || message.deliverTimeMillis != nil
        self.init(timestamp: startedAtMillis, regionID: result.regionID, group: group, topic: result.topic, messageID: result.messageID,
                  tags: message.tags.flatMap { $0.isEmpty ? nil : $0 }, keys: keys.isEmpty ? nil : keys.joined(separator: " "),
                  storeHost: result.brokerAddress, bodyLength: message.body.count, costMillis: costMillis,
                  messageType: delayed ? .delay : .normal, offsetMessageID: result.offsetMessageID, success: result.status == .sendOK)
    }
}

extension TraceRecord.SubBefore {
    /// The record of `message` handed to the application at `timestampMillis` (epoch milliseconds).
    public init(delivered message: ConsumedMessage, requestID: String, timestampMillis: Int64) {
        self.init(timestamp: timestampMillis, regionID: message.traceRegionID, group: message.consumerGroup, requestID: requestID,
                  messageID: message.messageID, retryTimes: Int(message.reconsumeTimes), keys: message.traceKeys)
    }
}

extension TraceRecord.SubAfter {
    /// The record of the application's answer for `message`, `costMillis` after its delivery.
    public init(answered message: ConsumedMessage, requestID: String, success: Bool, result: TraceConsumeResult,
                costMillis: Int, timestampMillis: Int64) {
        self.init(requestID: requestID, messageID: message.messageID, costMillis: costMillis, success: success, keys: message.traceKeys,
                  result: result, timestamp: timestampMillis, group: message.consumerGroup)
    }
}

extension ConsumedMessage {
    /// False when the broker that stored the message said `TRACE_ON: false`: the Java consumer
    /// then writes no record for it.
    public var isTraced: Bool { properties[MessagePropertyKey.traceSwitch] != "false" }

    /// The `MSG_REGION` the broker stored with the message. A broker that stores none still gets
    /// records (in the default region), where the Java consumer would write none.
    var traceRegionID: String {
        properties[MessagePropertyKey.messageRegion].flatMap { $0.isEmpty ? nil : $0 } ?? TraceRecord.defaultRegionID
    }

    var traceKeys: String? { keys.isEmpty ? nil : keys.joined(separator: " ") }
}
