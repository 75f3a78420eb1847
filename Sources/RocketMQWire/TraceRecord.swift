/// One message-trace record in the Apache clients' text layout (docs/protocol-remoting.md §11):
/// fields separated by U+0001, each record ended by U+0002, many records in the body of one
/// message on the trace topic (`RMQ_SYS_TRACE_TOPIC`). The dashboard and
/// `mqadmin queryMsgTraceById` find a record by the trace message's keys (``indexKeys``) and
/// read it with the Java client's decoder, so the field order is fixed by that decoder.
///
/// A string field the Java client leaves unset is written as the four letters `null` (its
/// `StringBuilder` does so): tags and keys here are optional and travel as `null` when absent.
///
/// A value type; encoding and decoding are pure and safe from any thread.
public enum TraceRecord: Sendable, Equatable {
    /// A message sent (Java `TraceType.Pub`), written after the broker answered.
    case pub(Pub)
    /// A message handed to the application (`SubBefore`).
    case subBefore(SubBefore)
    /// The application's answer for a message (`SubAfter`).
    case subAfter(SubAfter)

    /// Ends a field (Java `TraceConstants.CONTENT_SPLITOR`, `(char) 1`).
    public static let fieldSeparator: Character = "\u{1}"
    /// Ends a record (Java `TraceConstants.FIELD_SPLITOR`, `(char) 2`).
    public static let recordSeparator: Character = "\u{2}"
    /// The default trace topic (Java `TopicValidator.RMQ_SYS_TRACE_TOPIC`).
    public static let defaultTopic = "RMQ_SYS_TRACE_TOPIC"
    /// What a broker answers in `MSG_REGION` unless configured otherwise (Java `MixAll.DEFAULT_TRACE_REGION_ID`).
    public static let defaultRegionID = "DefaultRegion"
    /// How the Java client writes an unset string field.
    static let absent = "null"

    public struct Pub: Sendable, Equatable {
        /// Epoch milliseconds when the send began.
        public var timestamp: Int64
        /// The broker's `MSG_REGION` answer.
        public var regionID: String
        /// The producer group, without namespace.
        public var group: String
        /// The topic, without namespace.
        public var topic: String
        /// The client id (`UNIQ_KEY`): what `queryMsgTraceById` is asked for.
        public var messageID: String
        public var tags: String?
        /// Space-separated, as in the `KEYS` property.
        public var keys: String?
        /// `host:port` of the broker sent to.
        public var storeHost: String
        public var bodyLength: Int
        /// Milliseconds from the start of the send to the broker's answer.
        public var costMillis: Int
        public var messageType: TraceMessageType
        /// The broker's id (store host + commit-log offset).
        public var offsetMessageID: String
        public var success: Bool
        /// Only read: an older layout's fifteenth field. Never written (the current clients do not).
        public var clientHost: String?

        public init(timestamp: Int64, regionID: String, group: String, topic: String, messageID: String, tags: String?, keys: String?,
                    storeHost: String, bodyLength: Int, costMillis: Int, messageType: TraceMessageType, offsetMessageID: String,
                    success: Bool, clientHost: String? = nil) {
            self.timestamp = timestamp
            self.regionID = regionID
            self.group = group
            self.topic = topic
            self.messageID = messageID
            self.tags = tags
            self.keys = keys
            self.storeHost = storeHost
            self.bodyLength = bodyLength
            self.costMillis = costMillis
            self.messageType = messageType
            self.offsetMessageID = offsetMessageID
            self.success = success
            self.clientHost = clientHost
        }
    }

    public struct SubBefore: Sendable, Equatable {
        /// Epoch milliseconds when the message was handed to the application.
        public var timestamp: Int64
        /// The message's `MSG_REGION` property.
        public var regionID: String
        /// The consumer group, without namespace.
        public var group: String
        /// Pairs this record with its ``SubAfter`` (a fresh unique id per delivery).
        public var requestID: String
        public var messageID: String
        /// The message's reconsume count.
        public var retryTimes: Int
        public var keys: String?

        public init(timestamp: Int64, regionID: String, group: String, requestID: String, messageID: String, retryTimes: Int, keys: String?) {
            self.timestamp = timestamp
            self.regionID = regionID
            self.group = group
            self.requestID = requestID
            self.messageID = messageID
            self.retryTimes = retryTimes
            self.keys = keys
        }
    }

    public struct SubAfter: Sendable, Equatable {
        /// The ``SubBefore/requestID`` of the same delivery.
        public var requestID: String
        public var messageID: String
        /// Milliseconds from the delivery to the application's answer.
        public var costMillis: Int
        public var success: Bool
        public var keys: String?
        public var result: TraceConsumeResult
        /// Epoch milliseconds of the answer. Absent only in the layout of Aliyun's cloud channel.
        public var timestamp: Int64?
        /// The consumer group, without namespace. Absent only in the cloud channel's layout.
        public var group: String?

        public init(requestID: String, messageID: String, costMillis: Int, success: Bool, keys: String?, result: TraceConsumeResult,
                    timestamp: Int64?, group: String?) {
            self.requestID = requestID
            self.messageID = messageID
            self.costMillis = costMillis
            self.success = success
            self.keys = keys
            self.result = result
            self.timestamp = timestamp
            self.group = group
        }
    }

    /// Why a trace body could not be read.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// A record of a known type with fewer fields than its layout.
        case tooFewFields(type: String, count: Int, minimum: Int)
        /// A number or enumeration field that does not parse.
        case invalidField(type: String, index: Int, value: String)

        public var description: String {
            switch self {
            case .tooFewFields(let type, let count, let minimum): return "\(type) trace record has \(count) fields, at least \(minimum) expected"
            case .invalidField(let type, let index, let value): return "\(type) trace record field \(index) is invalid: \"\(value)\""
            }
        }
    }

    /// The message this record is about.
    public var messageID: String {
        switch self {
        case .pub(let record): return record.messageID
        case .subBefore(let record): return record.messageID
        case .subAfter(let record): return record.messageID
        }
    }

    /// The keys the trace message is indexed by, so a look-up by message id or by key finds it:
    /// the message id, then each of the message's keys (Java splits them at spaces).
    public var indexKeys: [String] {
        let keys: String?
        switch self {
        case .pub(let record): keys = record.keys
        case .subBefore(let record): keys = record.keys
        case .subAfter(let record): keys = record.keys
        }
        return [messageID] + (keys ?? "").split(separator: " ").map(String.init)
    }

    /// The record as the Java client writes it, ending in the record separator.
    public var encoded: String {
        var fields: [String]
        let end: String
        switch self {
        case .pub(let r):
            fields = ["Pub", String(r.timestamp), r.regionID, r.group, r.topic, r.messageID, r.tags ?? Self.absent, r.keys ?? Self.absent,
                      r.storeHost, String(r.bodyLength), String(r.costMillis), String(r.messageType.rawValue), r.offsetMessageID,
                      String(r.success)]
            end = ""
        case .subBefore(let r):
            fields = ["SubBefore", String(r.timestamp), r.regionID, r.group, r.requestID, r.messageID, String(r.retryTimes), r.keys ?? Self.absent]
            end = ""
        case .subAfter(let r):
            // Every field here is followed by the field separator (the context code too); the
            // timestamp and group come after it except in the cloud layout.
            fields = ["SubAfter", r.requestID, r.messageID, String(r.costMillis), String(r.success), r.keys ?? Self.absent,
                      String(r.result.rawValue)]
            if let timestamp = r.timestamp {
                fields += [String(timestamp), r.group ?? ""]
                end = ""
            } else {
                end = String(Self.fieldSeparator)
            }
        }
        return fields.joined(separator: String(Self.fieldSeparator)) + end + String(Self.recordSeparator)
    }

    /// Every Pub, SubBefore and SubAfter record of a trace message's body, in order. Records of
    /// the other types (EndTransaction, Recall) are skipped.
    public static func decodeAll(_ text: String) throws -> [TraceRecord] {
        var records: [TraceRecord] = []
        for line in text.split(separator: recordSeparator) {
            var fields = line.split(separator: fieldSeparator, omittingEmptySubsequences: false).map(String.init)
            // Java's String.split drops trailing empty fields; so does this reader, to count alike.
            while fields.last?.isEmpty == true { fields.removeLast() }
            guard let type = fields.first else { continue }
            switch type {
            case "Pub": records.append(.pub(try decodePub(fields)))
            case "SubBefore": records.append(.subBefore(try decodeSubBefore(fields)))
            case "SubAfter": records.append(.subAfter(try decodeSubAfter(fields)))
            default: continue
            }
        }
        return records
    }

    private static func decodePub(_ f: [String]) throws -> Pub {
        guard f.count >= 13 else { throw Failure.tooFewFields(type: "Pub", count: f.count, minimum: 13) }
        let reader = FieldReader(type: "Pub", fields: f)
        guard let messageType = TraceMessageType(rawValue: try reader.int(11)) else { throw Failure.invalidField(type: "Pub", index: 11, value: f[11]) }
        // 13 fields: no offset id (the oldest layout); 14: the current one; 15 or more: with the client host.
        let hasOffsetID = f.count >= 14
        return Pub(timestamp: try reader.int64(1), regionID: f[2], group: f[3], topic: f[4], messageID: f[5], tags: reader.optional(6),
                   keys: reader.optional(7), storeHost: f[8], bodyLength: try reader.int(9), costMillis: try reader.int(10),
                   messageType: messageType, offsetMessageID: hasOffsetID ? f[12] : "", success: reader.bool(hasOffsetID ? 13 : 12),
                   clientHost: f.count >= 15 ? f[14] : nil)
    }

    private static func decodeSubBefore(_ f: [String]) throws -> SubBefore {
        guard f.count >= 8 else { throw Failure.tooFewFields(type: "SubBefore", count: f.count, minimum: 8) }
        let reader = FieldReader(type: "SubBefore", fields: f)
        return SubBefore(timestamp: try reader.int64(1), regionID: f[2], group: f[3], requestID: f[4], messageID: f[5],
                         retryTimes: try reader.int(6), keys: reader.optional(7))
    }

    private static func decodeSubAfter(_ f: [String]) throws -> SubAfter {
        guard f.count >= 6 else { throw Failure.tooFewFields(type: "SubAfter", count: f.count, minimum: 6) }
        let reader = FieldReader(type: "SubAfter", fields: f)
        var result = TraceConsumeResult.success
        if f.count >= 7 {
            guard let code = TraceConsumeResult(rawValue: try reader.int(6)) else { throw Failure.invalidField(type: "SubAfter", index: 6, value: f[6]) }
            result = code
        }
        return SubAfter(requestID: f[1], messageID: f[2], costMillis: try reader.int(3), success: reader.bool(4), keys: reader.optional(5),
                        result: result, timestamp: f.count >= 8 ? try reader.int64(7) : nil, group: f.count >= 8 ? (f.count >= 9 ? f[8] : "") : nil)
    }

    private struct FieldReader {
        let type: String
        let fields: [String]

        func int64(_ index: Int) throws -> Int64 {
            guard let value = Int64(fields[index]) else { throw Failure.invalidField(type: type, index: index, value: fields[index]) }
            return value
        }

        func int(_ index: Int) throws -> Int {
            guard let value = Int32(fields[index]) else { throw Failure.invalidField(type: type, index: index, value: fields[index]) }
            return Int(value)
        }

        /// Java's `Boolean.parseBoolean`: `true` in any case, anything else false.
        func bool(_ index: Int) -> Bool { fields[index].lowercased() == "true" }

        func optional(_ index: Int) -> String? { fields[index] == TraceRecord.absent ? nil : fields[index] }
    }
}

/// The kind of a sent message in a Pub record (the ordinal of Java's `MessageType`).
public enum TraceMessageType: Int, Sendable, Equatable {
    case normal = 0
    case transactionHalf = 1
    case transactionCommit = 2
    case delay = 3
    case order = 4
}

/// How the application answered, in a SubAfter record (the ordinal of Java's `ConsumeReturnType`).
public enum TraceConsumeResult: Int, Sendable, Equatable {
    case success = 0
    case timeOut = 1
    case exception = 2
    case returnNull = 3
    case failed = 4
}
