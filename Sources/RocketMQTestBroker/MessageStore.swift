import RocketMQWire

/// A topic's queue layout (`TopicConfig`).
struct TopicConfig: Equatable {
    var readQueueNums: Int32
    var writeQueueNums: Int32
    var perm: Int32
}

/// One consume queue: messages from ``minOffset`` on, in offset order.
struct ConsumeQueue {
    var minOffset: Int64 = 0
    var messages: [StoredMessage] = []

    var maxOffset: Int64 { minOffset + Int64(messages.count) }

    func message(at offset: Int64) -> StoredMessage? {
        let index = offset - minOffset
        guard index >= 0, index < Int64(messages.count) else { return nil }
        return messages[Int(index)]
    }
}

/// The in-memory "commit log": topics, queues and a physical-offset index. Owned by ``BrokerCore``
/// and touched only on its event loop; it survives a broker restart.
struct MessageStore {
    var topics: [String: TopicConfig] = [:]
    var queues: [String: [Int32: ConsumeQueue]] = [:]
    /// Next physical offset: the sum of all record sizes written so far.
    var commitLogOffset: Int64 = 0
    /// physical offset → (topic, queueId, queueOffset)
    var index: [Int64: (topic: String, queueId: Int32, queueOffset: Int64)] = [:]
    /// Next offset in `SCHEDULE_TOPIC_XXXX` per delay level (what a delayed send reports).
    var scheduleOffsets: [Int32: Int64] = [:]
    /// group → queue → committed offset
    var consumerOffsets: [String: [MessageQueue: Int64]] = [:]

    mutating func createTopic(_ name: String, queueNums: Int32, perm: Int32 = Permission.read | Permission.write) {
        if topics[name] == nil {
            topics[name] = TopicConfig(readQueueNums: queueNums, writeQueueNums: queueNums, perm: perm)
        }
    }

    func queue(_ topic: String, _ queueId: Int32) -> ConsumeQueue {
        queues[topic]?[queueId] ?? ConsumeQueue()
    }

    /// Appends a message: assigns queue offset and physical offset, computes size and CRC.
    mutating func append(_ message: StoredMessage) -> StoredMessage {
        var message = message
        message.queueOffset = queue(message.topic, message.queueId).maxOffset
        message.commitLogOffset = commitLogOffset
        message.storeSize = Int32(StoredMessageEncoder.recordLength(message))
        message.bodyCRC = Compression.bodyCRC(message.storedBody)
        commitLogOffset += Int64(message.storeSize)
        // Appended in place: a copied-out queue would copy its whole message array on each append.
        queues[message.topic, default: [:]][message.queueId, default: ConsumeQueue()].messages.append(message)
        index[message.commitLogOffset] = (message.topic, message.queueId, message.queueOffset)
        return message
    }

    /// Reserves a physical slot for a delayed message parked in `SCHEDULE_TOPIC_XXXX`.
    mutating func reserveScheduleSlot(level: Int32, size: Int) -> (physicalOffset: Int64, queueOffset: Int64) {
        let physical = commitLogOffset
        commitLogOffset += Int64(size)
        let queueOffset = scheduleOffsets[level, default: 0]
        scheduleOffsets[level] = queueOffset + 1
        return (physical, queueOffset)
    }

    func message(atPhysicalOffset offset: Int64) -> StoredMessage? {
        guard let location = index[offset] else { return nil }
        return queue(location.topic, location.queueId).message(at: location.queueOffset)
    }
}
