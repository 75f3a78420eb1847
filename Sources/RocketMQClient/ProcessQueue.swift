import NIOCore

/// The client-side state of one pulled queue: where the next pull starts, which pulled messages are
/// still held (waiting for delivery, or delivered and not yet acknowledged), and so which offset may
/// be committed.
///
/// Acknowledgements arrive in any order. The committable offset is the smallest offset still held,
/// or the next offset to pull when nothing is held, so a commit never passes an unacknowledged
/// message (at-least-once). A value type, not thread-safe: the push consumer keeps one per owned
/// queue under its lock and performs what the methods return.
public struct ProcessQueue: Sendable {
    /// Flow-control thresholds (docs/protocol-remoting.md §5.4) and the consume timeout.
    public struct Limits: Sendable, Equatable {
        /// Held messages above which pulling pauses (Go 1024, Java 1000).
        public var maxHeldMessages: Int
        /// Held body bytes above which pulling pauses.
        public var maxHeldBytes: Int
        /// Largest distance between the smallest and the largest held offset (concurrent mode).
        public var maxSpan: Int64
        /// A delivered message not acknowledged within this time counts as a failure.
        public var consumeTimeout: TimeAmount

        public init(
            maxHeldMessages: Int = 1024, maxHeldBytes: Int = 100 * 1024 * 1024, maxSpan: Int64 = 2000,
            consumeTimeout: TimeAmount = .minutes(15)
        ) {
            self.maxHeldMessages = maxHeldMessages
            self.maxHeldBytes = maxHeldBytes
            self.maxSpan = maxSpan
            self.consumeTimeout = consumeTimeout
        }
    }

    /// Whether the next pull may go out.
    public enum PullDecision: Equatable, Sendable {
        case pull(offset: Int64)
        /// Too much is held; try again a little later (docs/protocol-remoting.md §5.4: 50 ms).
        case throttle(Throttle)
        /// The queue was dropped (rebalanced away): stop its pull loop.
        case stop
    }

    public enum Throttle: Equatable, Sendable {
        case tooManyMessages, tooManyBytes, spanTooLarge
    }

    /// What happened to an acknowledgement.
    public enum Completion: Equatable, Sendable {
        /// Removed; the committable offset is now `committableOffset`.
        case completed(committableOffset: Int64)
        /// Not held (already acknowledged, expired, or the queue was dropped and re-created).
        case unknown
    }

    private enum EntryState: Equatable, Sendable {
        /// Pulled, waiting to be handed out (not before the deadline, for a local redelivery).
        case waiting(notBefore: NIODeadline?)
        /// Handed to the application at that time.
        case delivered(at: NIODeadline)
    }

    private struct Entry: Sendable {
        var size: Int
        var state: EntryState
        /// Local redeliveries so far (orderly failures, or a failed send-back).
        var localRedeliveries: Int
    }

    public let limits: Limits
    /// The offset the next pull starts from.
    public private(set) var nextPullOffset: Int64
    /// True once the queue was rebalanced away; nothing more is pulled or delivered.
    public private(set) var isDropped = false
    private var entries: [Int64: Entry] = [:]
    /// Held offsets in ascending order (pulls arrive in offset order, so this is append-mostly,
    /// and acks mostly remove the smallest).
    private var heldOffsets = AscendingOffsets()
    /// The held offsets in the waiting state, ascending: handing out looks at these only, not at
    /// every delivered message still awaiting its ack (a pump runs after every ack).
    private var waitingOffsets = AscendingOffsets()
    private var heldBytes = 0

    public init(startOffset: Int64, limits: Limits = Limits()) {
        self.nextPullOffset = startOffset
        self.limits = limits
    }

    public var heldCount: Int { heldOffsets.count }

    /// Some pulled message waits to be handed out (perhaps not before a back-off).
    public var hasWaiting: Bool { !waitingOffsets.isEmpty }

    /// Nothing delivered and unacknowledged, nothing waiting.
    public var isIdle: Bool { heldOffsets.isEmpty }

    /// The offset that may be committed for this queue: never past a held message.
    public var committableOffset: Int64 { heldOffsets.first ?? nextPullOffset }

    /// Whether a pull may go out now.
    public func pullDecision() -> PullDecision {
        if isDropped { return .stop }
        if heldOffsets.count >= limits.maxHeldMessages { return .throttle(.tooManyMessages) }
        if heldBytes >= limits.maxHeldBytes { return .throttle(.tooManyBytes) }
        if let first = heldOffsets.first, let last = heldOffsets.last, last - first > limits.maxSpan {
            return .throttle(.spanTooLarge)
        }
        return .pull(offset: nextPullOffset)
    }

    /// A pull found messages. `messages` are those kept after client-side filtering; filtered-out
    /// offsets are simply not held, so the commit passes them.
    public mutating func pulled(_ messages: [(offset: Int64, size: Int)], nextBeginOffset: Int64) {
        guard !isDropped else { return }
        for message in messages where entries[message.offset] == nil && message.offset >= nextPullOffset {
            entries[message.offset] = Entry(size: message.size, state: .waiting(notBefore: nil), localRedeliveries: 0)
            heldOffsets.insert(message.offset)
            waitingOffsets.insert(message.offset)
            heldBytes += message.size
        }
        nextPullOffset = max(nextPullOffset, nextBeginOffset)
    }

    /// NO_NEW_MSG / NO_MATCHED_MSG / OFFSET_MOVED: the broker says where to go on.
    public mutating func moveNextPullOffset(to offset: Int64) {
        nextPullOffset = offset
    }

    /// Offsets that may be handed out now, in offset order, at most `limit`, and marks them delivered.
    ///
    /// Orderly mode hands out one message per queue at a time, always the smallest held offset, so a
    /// failed message is redelivered in place before anything after it.
    public mutating func takeDeliverable(now: NIODeadline, orderly: Bool, limit: Int) -> [Int64] {
        guard !isDropped, limit > 0 else { return [] }
        if orderly {
            guard let first = heldOffsets.first, var entry = entries[first] else { return [] }
            switch entry.state {
            case .delivered:
                return []
            case .waiting(let notBefore):
                if let notBefore, notBefore > now { return [] }
                entry.state = .delivered(at: now)
                entries[first] = entry
                waitingOffsets.remove(first)
                return [first]
            }
        }
        // Looks only as far as it takes: a pump after one ack hands out one message, however
        // many wait behind it.
        var result: [Int64] = []
        var notYet: [Int64] = []
        var examined = 0
        while examined < waitingOffsets.count, result.count < limit {
            let offset = waitingOffsets[examined]
            examined += 1
            guard var entry = entries[offset], case .waiting(let notBefore) = entry.state else { continue }
            if let notBefore, notBefore > now {
                notYet.append(offset)
                continue
            }
            entry.state = .delivered(at: now)
            entries[offset] = entry
            result.append(offset)
        }
        waitingOffsets.replaceFirst(examined, with: notYet)
        return result
    }

    /// The earliest time a waiting message becomes deliverable, if one waits for a back-off.
    public var nextRedeliveryDeadline: NIODeadline? {
        var earliest: NIODeadline?
        for (_, entry) in entries {
            switch entry.state {
            case .waiting(let notBefore?):
                earliest = earliest.map { min($0, notBefore) } ?? notBefore
            case .waiting(nil), .delivered:
                continue
            }
        }
        return earliest
    }

    /// The message is done (success, or a failure the broker took back): it leaves the queue.
    public mutating func complete(offset: Int64) -> Completion {
        guard let entry = entries.removeValue(forKey: offset) else { return .unknown }
        heldBytes -= entry.size
        heldOffsets.remove(offset)
        if case .waiting = entry.state { waitingOffsets.remove(offset) }
        return .completed(committableOffset: committableOffset)
    }

    /// The message must be delivered again by this client after `notBefore` (orderly failure, or a
    /// send-back that failed). Returns how many local redeliveries it has had, this one included, or
    /// nil when it is not held.
    public mutating func redeliver(offset: Int64, notBefore: NIODeadline) -> Int? {
        guard var entry = entries[offset] else { return nil }
        if case .delivered = entry.state { waitingOffsets.insert(offset) }
        entry.state = .waiting(notBefore: notBefore)
        entry.localRedeliveries += 1
        entries[offset] = entry
        return entry.localRedeliveries
    }

    /// Delivered messages whose consume timeout has passed: the caller treats each as a failure
    /// acknowledgement (and invalidates its delivery handle).
    public func expired(now: NIODeadline) -> [Int64] {
        heldOffsets.elements.filter { offset in
            switch entries[offset]?.state {
            case .delivered(let at)?: return at + limits.consumeTimeout <= now
            case .waiting?, nil: return false
            }
        }
    }

    /// Rebalanced away: stop pulling and delivering. Returns the offset to persist (never past a
    /// held message); what is held will be delivered again by the queue's next owner.
    public mutating func drop() -> Int64 {
        isDropped = true
        return committableOffset
    }
}

/// Offsets in ascending order, with removal of the smallest in constant time (amortised): acks in
/// order take them from the front, where shifting up to a thousand held offsets down at each ack
/// was 6% of the component's instructions while draining a backlog.
struct AscendingOffsets: Sendable {
    /// `storage[head...]` are the offsets; the slots before `head` were removed and are reclaimed
    /// once they are the larger part.
    private var storage: [Int64] = []
    private var head = 0

    var count: Int { storage.count - head }
    var isEmpty: Bool { head == storage.count }
    var first: Int64? { isEmpty ? nil : storage[head] }
    var last: Int64? { isEmpty ? nil : storage[storage.count - 1] }
    var elements: ArraySlice<Int64> { storage[head...] }

    subscript(position: Int) -> Int64 { storage[head + position] }

    /// Inserts in order (appending in the usual case of a new, larger offset).
    mutating func insert(_ offset: Int64) {
        if let last, last > offset {
            storage.insert(offset, at: lowerBound(offset))
        } else {
            storage.append(offset)
        }
    }

    mutating func remove(_ offset: Int64) {
        let index = lowerBound(offset)
        guard index < storage.count, storage[index] == offset else { return }
        if index == head {
            dropFirst(1)
        } else {
            storage.remove(at: index)
        }
    }

    /// Replaces the first `count` offsets with `offsets` (ascending, and not above what follows).
    mutating func replaceFirst(_ count: Int, with offsets: [Int64]) {
        if offsets.isEmpty {
            dropFirst(count)
        } else {
            storage.replaceSubrange(head..<(head + count), with: offsets)
        }
    }

    private mutating func dropFirst(_ count: Int) {
        head += count
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64, head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }

    /// The first position in `storage` whose offset is not below `offset`.
    private func lowerBound(_ offset: Int64) -> Int {
        var low = head
        var high = storage.count
        while low < high {
            let mid = (low + high) / 2
            if storage[mid] < offset { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
