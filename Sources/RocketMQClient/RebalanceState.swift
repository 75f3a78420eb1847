/// Which queues this consumer owns, and what changes when the group or the route changes.
///
/// A value type driven by the push consumer: feed it the subscribable queues of a topic and the
/// group's members, and perform the returned action (start pulling the added queues, drop the
/// removed ones after persisting their offsets). Not thread-safe: the owner serialises calls.
public struct RebalanceState<Queue: Hashable & Comparable & Sendable>: Sendable {
    /// What the consumer must do after a rebalance.
    public enum Action: Equatable, Sendable {
        /// Nothing changed.
        case none
        /// Start pulling `added` (sorted), stop pulling `removed` (sorted); both may be empty but not both.
        case change(added: [Queue], removed: [Queue])
    }

    private let clientID: String
    /// Owned queues per topic.
    private var owned: [String: Set<Queue>] = [:]

    public init(clientID: String) {
        self.clientID = clientID
    }

    /// Every queue currently owned, over all topics.
    public var ownedQueues: Set<Queue> {
        owned.values.reduce(into: Set<Queue>()) { $0.formUnion($1) }
    }

    /// A new view of `topic`: its subscribable queues and the group's members.
    public mutating func rebalance(topic: String, queues: [Queue], clientIDs: [String]) -> Action {
        let target = Set(
            AllocateAveragely.allocate(queues: queues, clientIDs: clientIDs, currentClientID: clientID))
        return apply(topic: topic, target: target)
    }

    /// Broadcasting (or a single-consumer view): every queue of the topic is owned.
    public mutating func takeAll(topic: String, queues: [Queue]) -> Action {
        apply(topic: topic, target: Set(queues))
    }

    /// The topic is no longer subscribed (or the consumer stops): every queue of it is removed.
    public mutating func release(topic: String) -> Action {
        apply(topic: topic, target: [])
    }

    /// Drops one queue outside a rebalance (offset moved, or an idle queue) so the next rebalance
    /// adds it again. Returns whether it was owned.
    public mutating func forget(topic: String, queue: Queue) -> Bool {
        owned[topic]?.remove(queue) != nil
    }

    private mutating func apply(topic: String, target: Set<Queue>) -> Action {
        let current = owned[topic] ?? []
        let added = target.subtracting(current).sorted()
        let removed = current.subtracting(target).sorted()
        if target.isEmpty { owned[topic] = nil } else { owned[topic] = target }
        if added.isEmpty && removed.isEmpty { return .none }
        return .change(added: added, removed: removed)
    }
}
