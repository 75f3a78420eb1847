/// The message properties string (docs/protocol-remoting.md §4.1):
/// `key 0x01 value 0x02 key 0x01 value ...`.
///
/// Stateless; safe from any thread.
public enum MessageProperties {
    /// `NAME_VALUE_SEPARATOR` (U+0001).
    public static let nameValueSeparator: Character = "\u{1}"
    /// `PROPERTY_SEPARATOR` (U+0002).
    public static let propertySeparator: Character = "\u{2}"

    /// Java style: pairs in the given order, no trailing `0x02`, empty keys skipped.
    public static func encode(_ pairs: [(key: String, value: String)]) -> String {
        var out = ""
        for pair in pairs where !pair.key.isEmpty {
            if !out.isEmpty { out.append(propertySeparator) }
            out += pair.key
            out.append(nameValueSeparator)
            out += pair.value
        }
        return out
    }

    /// Java style for a dictionary: keys in Java `HashMap` order (what `messageProperties2String`
    /// iterates), so a Java peer would produce the same string.
    public static func encode(_ properties: [String: String]) -> String {
        let keys = JavaHash.hashMapIterationOrder(properties.keys.sorted())
        return encode(keys.map { (key: $0, value: properties[$0] ?? "") })
    }

    /// What Java's `messageProperties2String` writes for a `HashMap` filled by putting `pairs` in
    /// this order: a repeated key keeps its first position and takes the last value; iteration is
    /// Java `HashMap` order (bucket collisions keep insertion order). The broker re-serialises stored
    /// properties this way (request properties in order, then `CLUSTER`).
    public static func encodeInJavaHashMapOrder(_ pairs: [(key: String, value: String)]) -> String {
        var values: [String: String] = [:]
        var insertion: [String] = []
        for pair in pairs {
            if values.updateValue(pair.value, forKey: pair.key) == nil { insertion.append(pair.key) }
        }
        return encode(JavaHash.hashMapIterationOrder(insertion).map { (key: $0, value: values[$0] ?? "") })
    }

    /// Pairs in string order, tolerant like Java `string2messageProperties`: a trailing `0x02` (Go)
    /// is fine; items with the `0x01` first or last (empty key or value), or with no `0x01`, are
    /// skipped. Split on the separator bytes, as Java splits on the separator chars.
    public static func decodePairs(_ text: String) -> [(key: String, value: String)] {
        var pairs: [(key: String, value: String)] = []
        forEachPair(in: text) { key, value in
            pairs.append((key: String(decoding: key, as: UTF8.self), value: String(decoding: value, as: UTF8.self)))
        }
        return pairs
    }

    /// One property's value (the last, if repeated), found without decoding the others.
    public static func value(of key: String, in text: String) -> String? {
        var found: String?
        var wanted = key
        wanted.withUTF8 { wantedBytes in
            forEachPair(in: text) { candidate, value in
                if candidate.elementsEqual(wantedBytes) { found = String(decoding: value, as: UTF8.self) }
            }
        }
        return found
    }

    /// Calls `body` with the key and value bytes of each well-formed item, in order.
    private static func forEachPair(in text: String, _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Void) {
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            while start < bytes.count {
                var end = start
                var separator: Int?
                while end < bytes.count, bytes[end] != 0x02 {
                    if separator == nil, bytes[end] == 0x01 { separator = end }
                    end += 1
                }
                if let separator, separator > start, separator < end - 1 {
                    let key = UnsafeBufferPointer(rebasing: bytes[start..<separator])
                    let value = UnsafeBufferPointer(rebasing: bytes[(separator + 1)..<end])
                    body(key, value)
                }
                start = end + 1
            }
        }
    }

    /// The properties as a dictionary (a repeated key keeps its last value, like Java's HashMap).
    public static func decode(_ text: String) -> [String: String] {
        let pairs = decodePairs(text)
        var properties = [String: String](minimumCapacity: pairs.count)  // sized once, not regrown pair by pair
        for pair in pairs {
            properties[pair.key] = pair.value
        }
        return properties
    }
}

/// Well-known property keys (docs/protocol-remoting.md §4.2; `MessageConst.java`).
public enum MessagePropertyKey {
    public static let keys = "KEYS"
    public static let tags = "TAGS"
    public static let waitStoreMessageOK = "WAIT"
    public static let delayTimeLevel = "DELAY"
    public static let retryTopic = "RETRY_TOPIC"
    public static let realTopic = "REAL_TOPIC"
    public static let realQueueId = "REAL_QID"
    public static let transactionPrepared = "TRAN_MSG"
    public static let producerGroup = "PGROUP"
    public static let minOffset = "MIN_OFFSET"
    public static let maxOffset = "MAX_OFFSET"
    public static let buyerId = "BUYER_ID"
    public static let originMessageId = "ORIGIN_MESSAGE_ID"
    public static let transferFlag = "TRANSFER_FLAG"
    public static let correctionFlag = "CORRECTION_FLAG"
    public static let mq2Flag = "MQ2_FLAG"
    public static let reconsumeTime = "RECONSUME_TIME"
    public static let messageRegion = "MSG_REGION"
    public static let traceSwitch = "TRACE_ON"
    public static let uniqueClientMessageIdKey = "UNIQ_KEY"
    public static let maxReconsumeTimes = "MAX_RECONSUME_TIMES"
    public static let consumeStartTimestamp = "CONSUME_START_TIME"
    public static let transactionPreparedQueueOffset = "TRAN_PREPARED_QUEUE_OFFSET"
    public static let transactionCheckTimes = "TRANSACTION_CHECK_TIMES"
    public static let checkImmunityTimeInSeconds = "CHECK_IMMUNITY_TIME_IN_SECONDS"
    public static let instanceId = "INSTANCE_ID"
    public static let correlationId = "CORRELATION_ID"
    public static let replyToClient = "REPLY_TO_CLIENT"
    public static let timeToLive = "TTL"
    public static let arriveTime = "ARRIVE_TIME"
    public static let pushReplyTime = "PUSH_REPLY_TIME"
    public static let messageType = "MSG_TYPE"
    public static let cluster = "CLUSTER"
    public static let innerMultiDispatch = "INNER_MULTI_DISPATCH"
    public static let innerMultiQueueOffset = "INNER_MULTI_QUEUE_OFFSET"
    public static let shardingKey = "SHARDING_KEY"
    public static let timerDeliverMillis = "TIMER_DELIVER_MS"
    /// Go's and 5.x's transaction id property (docs/protocol-remoting.md §4.2).
    public static let transactionId = "__transactionId__"
    /// `KEY_SEPARATOR`: keys in `KEYS` are separated by one space.
    public static let keySeparator = " "

    /// Every key of docs/protocol-remoting.md §4.2: RocketMQ's own properties, written by the
    /// client, the broker or the API's fields (tags, keys, delay level, sharding key), never by a
    /// user property. The one list of them: the producer refuses a user property with one of these
    /// names (so a message cannot forge its id, delay or tag), the binding refuses request metadata
    /// that names one, and a consumed message's user properties are all the others.
    public static let systemProperties: Set<String> = [
        keys, tags, waitStoreMessageOK, delayTimeLevel, retryTopic, realTopic, realQueueId, transactionPrepared,
        producerGroup, minOffset, maxOffset, buyerId, originMessageId, transferFlag, correctionFlag, mq2Flag,
        reconsumeTime, messageRegion, traceSwitch, uniqueClientMessageIdKey, maxReconsumeTimes, consumeStartTimestamp,
        transactionPreparedQueueOffset, transactionCheckTimes, checkImmunityTimeInSeconds, instanceId, correlationId,
        replyToClient, timeToLive, arriveTime, pushReplyTime, messageType, cluster, innerMultiDispatch,
        innerMultiQueueOffset, shardingKey, timerDeliverMillis, transactionId,
    ]

    /// Whether `key` is one of ``systemProperties``.
    public static func isSystemProperty(_ key: String) -> Bool { systemProperties.contains(key) }
}

/// Message `sysFlag` bits (docs/protocol-remoting.md §4.3; `MessageSysFlag.java`).
public enum MessageSysFlag {
    public static let compressed: Int32 = 0x1
    public static let multiTags: Int32 = 0x2
    public static let transactionNotType: Int32 = 0
    public static let transactionPreparedType: Int32 = 0x4
    public static let transactionCommitType: Int32 = 0x8
    public static let transactionRollbackType: Int32 = 0xC
    public static let transactionTypeMask: Int32 = 0xC
    public static let bornHostV6: Int32 = 0x10
    public static let storeHostV6: Int32 = 0x20
    public static let compressionTypeMask: Int32 = 0x700
    /// `COMPRESSION_ZLIB_TYPE` (3 << 8); Java 4.9.4+ sends `compressed | zlibType` = 0x301.
    public static let compressionZlibType: Int32 = 0x300
    public static let compressionLZ4Type: Int32 = 0x100
    public static let compressionZstdType: Int32 = 0x200
}
