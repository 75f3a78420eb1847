import RocketMQWire

/// When buffered trace records go out, and how they are cut into messages of the trace topic
/// (docs/protocol-remoting.md §11.3). The figures follow the Java 4.9 client: 128 000 body bytes
/// per message at most, and no record waiting more than 500 ms for others. 4.9 declares a batch
/// of 100 records but cuts by size only; a count limit of 1000 keeps that near (the key limit
/// cuts first, at about 480 message ids) while each trace message carries as much as it can:
/// fewer, larger trace messages cost the broker and this process less than many small ones
/// (5.x sends 10 to 20 records per message).
/// A value type with no clock of its own, so the rules are tested without sockets or time.
public struct TraceBatchPolicy: Sendable, Equatable {
    /// Records per trace message.
    public var maxRecords: Int
    /// Body bytes per trace message (a single larger record still goes, alone).
    public var maxBodyBytes: Int
    /// Bytes of one trace message's keys. They travel in the `KEYS` property, and a broker refuses
    /// properties above 32 767 bytes; records with many long keys would otherwise break a batch.
    public var maxKeyBytes: Int
    /// How long the oldest buffered record may wait before a batch goes out anyway.
    public var maxDelay: Duration

    public init(maxRecords: Int = 1000, maxBodyBytes: Int = 128_000, maxKeyBytes: Int = 16_000, maxDelay: Duration = .milliseconds(500)) {
        self.maxRecords = max(1, maxRecords)
        self.maxBodyBytes = max(1, maxBodyBytes)
        self.maxKeyBytes = max(1, maxKeyBytes)
        self.maxDelay = maxDelay
    }

    /// Whether `pending` buffered records, the oldest of which has waited `oldestWaited`, should
    /// be sent now rather than wait for more.
    public func isDue(pending: Int, oldestWaited: Duration) -> Bool {
        pending > 0 && (pending >= maxRecords || oldestWaited >= maxDelay)
    }

    /// `records`, in order, cut into trace messages: each within the record, body and key limits,
    /// its keys every record's message id and keys without repeats.
    public func batches(_ records: [TraceRecord]) -> [TraceBatch] {
        var batches: [TraceBatch] = []
        var current = TraceBatch(body: "", keys: [], recordCount: 0)
        var bodyBytes = 0, keyBytes = 0
        var seenKeys: Set<String> = []
        for record in records {
            let text = record.encoded
            let newKeys = record.indexKeys.filter { !$0.isEmpty && !seenKeys.contains($0) }
            // Each key is followed by a space on the wire.
            let newKeyBytes = newKeys.reduce(0) { $0 + $1.utf8.count + 1 }
            if current.recordCount > 0,
               current.recordCount >= maxRecords || bodyBytes + text.utf8.count > maxBodyBytes || keyBytes + newKeyBytes > maxKeyBytes {
                batches.append(current)
                current = TraceBatch(body: "", keys: [], recordCount: 0)
                bodyBytes = 0
                keyBytes = 0
                seenKeys = []
            }
            for key in record.indexKeys where !key.isEmpty && seenKeys.insert(key).inserted {
                current.keys.append(key)
                keyBytes += key.utf8.count + 1
            }
            current.body += text
            bodyBytes += text.utf8.count
            current.recordCount += 1
        }
        if current.recordCount > 0 { batches.append(current) }
        return batches
    }
}

/// One message of the trace topic: encoded records, indexed by their message ids and keys.
public struct TraceBatch: Sendable, Equatable {
    /// The records, each ending in the record separator.
    public var body: String
    /// The trace message's keys (`KEYS`): what `queryMsgTraceById` looks the message up by.
    public var keys: [String]
    public var recordCount: Int

    public init(body: String, keys: [String], recordCount: Int) {
        self.body = body
        self.keys = keys
        self.recordCount = recordCount
    }
}
