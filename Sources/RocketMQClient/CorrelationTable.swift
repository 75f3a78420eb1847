/// Requests waiting for their response, by opaque.
///
/// Every entry leaves on its response, its timeout (`removeAll(where:)`), or the connection closing (`drain`), so the
/// table always empties. After `drain` the table is closed and refuses new entries, so a request
/// racing the close fails instead of waiting forever. Not thread-safe: the connection keeps it on its
/// event loop.
public struct CorrelationTable<Pending> {
    private var pending: [Int32: Pending] = [:]
    public private(set) var isClosed = false

    public init() {}

    public var count: Int { pending.count }

    public enum RegisterResult {
        case registered
        /// The connection is closed: fail the request now.
        case closed(Pending)
        /// An entry with that opaque is already waiting (a caller bug): fail this one now.
        case duplicate(Pending)
    }

    public mutating func register(opaque: Int32, _ entry: Pending) -> RegisterResult {
        if isClosed { return .closed(entry) }
        if pending[opaque] != nil { return .duplicate(entry) }
        pending[opaque] = entry
        return .registered
    }

    /// The response (or the timeout) for `opaque`; nil when it already left (a late response).
    public mutating func resolve(opaque: Int32) -> Pending? {
        pending.removeValue(forKey: opaque)
    }

    /// The entries that match (their deadline passed), removed.
    public mutating func removeAll(where isDone: (Pending) -> Bool) -> [Pending] {
        let done = pending.filter { isDone($0.value) }
        for opaque in done.keys { pending.removeValue(forKey: opaque) }
        return Array(done.values)
    }

    /// Every waiting entry, in no particular order.
    public var entries: Dictionary<Int32, Pending>.Values { pending.values }

    /// The connection closed: every waiting entry, to be failed, and no new ones from now on.
    public mutating func drain() -> [Pending] {
        isClosed = true
        let all = Array(pending.values)
        pending.removeAll()
        return all
    }
}

extension CorrelationTable: Sendable where Pending: Sendable {}
