import NIOCore

/// The client's view of the broker lock on one queue in orderly mode (docs/protocol-remoting.md §2.15):
/// a lock is trusted for 30 s after the broker granted it (the broker keeps it 60 s) and renewed every
/// 20 s.
///
/// A value type kept beside the queue's `ProcessQueue`; not thread-safe.
public struct QueueLock: Sendable, Equatable {
    public static let maxLiveTime: TimeAmount = .seconds(30)
    public static let renewInterval: TimeAmount = .seconds(20)

    public private(set) var lockedAt: NIODeadline?

    public init() {}

    /// The broker listed the queue in `lockOKMQSet`.
    public mutating func granted(at now: NIODeadline) {
        lockedAt = now
    }

    /// The broker did not list the queue, or the queue was unlocked.
    public mutating func lost() {
        lockedAt = nil
    }

    /// May messages of this queue be consumed now?
    public func isLocked(now: NIODeadline) -> Bool {
        guard let lockedAt else { return false }
        return now < lockedAt + Self.maxLiveTime
    }

    /// Should the next lock round include this queue?
    public func needsRenewal(now: NIODeadline) -> Bool {
        guard let lockedAt else { return true }
        return now >= lockedAt + Self.renewInterval
    }
}
