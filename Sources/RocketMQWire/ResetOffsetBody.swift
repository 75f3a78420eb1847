/// The RESET_CONSUMER_CLIENT_OFFSET body (docs/protocol-remoting.md §2.16), fastjson with object keys:
/// `{"offsetTable":{{"brokerName":"broker-a","queueId":1,"topic":"T"}:42}}`.
public struct ResetOffsetBody: Sendable, Equatable {
    public var offsetTable: [MessageQueue: Int64]

    public init(offsetTable: [MessageQueue: Int64]) {
        self.offsetTable = offsetTable
    }

    /// Parses the non-standard form (and the standard one with stringified keys).
    public init(body: [UInt8]) throws {
        let json = try RemotingBodyError.parse(body, as: "ResetOffsetBody")
        var table: [MessageQueue: Int64] = [:]
        for member in json["offsetTable"]?.objectValue ?? [] {
            let keyJSON = try RemotingBodyError.parse(Array(member.key.utf8), as: "ResetOffsetBody key")
            guard let queue = MessageQueue(json: keyJSON), let offset = member.value.int64Value else {
                throw RemotingBodyError(body: "ResetOffsetBody", reason: "bad entry \(member.key)")
            }
            table[queue] = offset
        }
        offsetTable = table
    }

    /// The fastjson form, queues sorted.
    public func encoded() -> [UInt8] {
        var w = FastJSONWriter()
        w.raw("{")
        w.key("offsetTable")
        w.raw("{")
        for (i, queue) in offsetTable.keys.sorted().enumerated() {
            if i > 0 { w.raw(",") }
            w.value(queue.jsonValue)
            w.raw(":")
            w.integer(Int64(offsetTable[queue] ?? 0))
        }
        w.raw("}}")
        return w.bytes
    }
}
