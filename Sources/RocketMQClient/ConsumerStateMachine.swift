import NIOCore
import RocketMQWire

/// The rules of the push consumer (docs/protocol-remoting.md §5, docs/component-spec.md §4), apart
/// from its tasks, timers and sockets: which queues it owns, what each queue holds, which message
/// goes out next under which handle, what an acknowledgement changes, and which offset may be
/// committed.
///
/// A value type. `PushConsumer` keeps one under its lock, feeds it events (the `mutating` methods,
/// given the time where time matters) and performs the action each returns: pull, deliver, send
/// back, commit, lock or unlock, wake up later, finish. Nothing here waits or does I/O, so every
/// rule is tested without sockets or clocks.
///
/// - Acknowledgements come in any order; a queue's committable offset is its smallest held offset
///   (`ProcessQueue`), so no commit passes an unacknowledged message.
/// - At most `maxInFlight` messages are delivered and unacknowledged at a time.
/// - A failure goes back to the broker (send-back); when that fails, the message is delivered again
///   here after a back-off. In orderly mode a queue has one message out at a time, must be locked on
///   its broker, and a failure is delivered again in place after a back-off, before anything after
///   it; past `maxReconsumeTimes` it goes to the DLQ.
/// - Broadcasting (docs/protocol-remoting.md §5.9): every queue of a topic is owned, whatever the
///   group's members; there is no retry topic, so a failure is delivered again here after the
///   back-off (the others go on meanwhile), and past `maxReconsumeTimes` it goes to the DLQ. An
///   orderly broadcasting consumer takes no broker locks: no other member competes for its queues.
/// - Generations: a queue taken on gets a new generation, and each delivery, pull loop and
///   send-back carries the one it was made in. What comes back for another generation (an ack of a
///   message whose queue was rebalanced away, a late pull answer) changes nothing: the queue's
///   next owner starts from the committed offset and delivers such messages again.
struct ConsumerStateMachine: Sendable {
    enum Phase: Equatable, Sendable {
        case created, starting, running, stopping, stopped
    }

    /// One owned queue.
    private struct OwnedQueue: Sendable {
        var process: ProcessQueue
        var lock = QueueLock()
        /// The pulled messages still held, by queue offset.
        var messages: [Int64: StoredMessage] = [:]
        let subscription: Subscription
        /// The subscription's tag filter, parsed once rather than per message.
        let filter: SubscriptionData
        let generation: UInt64
        /// The offset the broker last took (the start offset at first): an unchanged offset is not
        /// sent again.
        var lastCommitted: Int64
        /// Orderly: whether the start offset was read again once the lock was first held.
        var offsetReadWhenLocked = false

        /// What becomes of a delivered message that failed.
        enum Failure {
            case sendBack(StoredMessage, delayLevel: Int)
            case redeliverHere(at: NIODeadline)
            /// Not held (any more): nothing to do.
            case notHeld
        }

        /// The message is done (a success, or a failure the broker took back).
        mutating func complete(_ offset: Int64) {
            _ = process.complete(offset: offset)
            messages[offset] = nil
        }

        /// docs/component-spec.md §4: concurrently in clustering, the broker takes a failure back
        /// (delay level 0 lets it choose the delay by reconsume count). Orderly, or broadcasting
        /// (which has no retry topic), the message is delivered again here after the back-off
        /// (orderly: in place, nothing after it first); after `maxReconsumeTimes` such failures it
        /// goes to the DLQ (delay level -1), held back until the broker has it.
        mutating func fail(
            _ offset: Int64, redeliverLocally: Bool, maxReconsumeTimes: Int, retryAt: NIODeadline
        ) -> Failure {
            guard let message = messages[offset] else { return .notHeld }
            guard redeliverLocally else { return .sendBack(message, delayLevel: 0) }
            let redeliveries = process.redeliver(offset: offset, notBefore: retryAt) ?? 0
            guard redeliveries > maxReconsumeTimes else { return .redeliverHere(at: retryAt) }
            return deadLetter(offset)
        }

        /// Straight to the DLQ (delay level -1), held back until the broker has it.
        mutating func deadLetter(_ offset: Int64) -> Failure {
            guard let message = messages[offset] else { return .notHeld }
            _ = process.redeliver(offset: offset, notBefore: .distantFuture)
            return .sendBack(message, delayLevel: -1)
        }
    }

    /// One message handed out and not yet acknowledged.
    private struct Delivery: Sendable {
        let queue: MessageQueue
        let generation: UInt64
        let offset: Int64
    }

    /// The pull loop's pause while an orderly queue is not locked.
    static let lockWait: TimeAmount = .milliseconds(100)
    /// The pull loop's pause while a queue holds too much (docs/protocol-remoting.md §5.4: 50 ms).
    static let throttleWait: TimeAmount = .milliseconds(50)

    private let configuration: ConsumerConfiguration
    /// Broadcasting: every queue owned, failures delivered again here (docs/protocol-remoting.md §5.9).
    private let broadcasting: Bool
    /// Orderly in clustering: a queue is consumed only while this member holds its broker lock.
    private let locksQueues: Bool
    private let namespace: Namespace
    private(set) var phase: Phase = .created
    private var queues: [MessageQueue: OwnedQueue] = [:]
    /// By handle; a delivery leaves on its ack (or at stop). One whose queue was dropped stays
    /// until then: the application still holds the message.
    private var deliveries: [UInt64: Delivery] = [:]
    private var lastHandle: UInt64 = 0
    private var lastGeneration: UInt64 = 0
    /// Which queues the group gives this consumer (AllocateAveragely).
    private var assignment: RebalanceState<MessageQueue>
    /// Where the round-robin over queues with waiting messages starts next.
    private var cursor = 0
    /// Send-backs handed to the driver and not yet reported finished.
    private(set) var sendBacksInFlight = 0

    init(configuration: ConsumerConfiguration) {
        self.configuration = configuration
        switch configuration.messageModel {
        case .clustering: broadcasting = false
        case .broadcasting: broadcasting = true
        }
        locksQueues = configuration.orderly && !broadcasting
        self.namespace = Namespace(name: configuration.client.namespace)
        self.assignment = RebalanceState(clientID: configuration.client.clientID)
    }

    /// The queues being consumed, sorted.
    var ownedQueues: [MessageQueue] { queues.keys.sorted() }

    /// Messages delivered and not yet acknowledged.
    var inFlightCount: Int { deliveries.count }

    private var isRunning: Bool {
        switch phase {
        case .running: return true
        case .created, .starting, .stopping, .stopped: return false
        }
    }

    // MARK: - Life cycle

    /// `start()` was called.
    mutating func startRequested() -> StartAction {
        switch phase {
        case .created:
            phase = .starting
            return .resolveRoutes
        case .starting, .running, .stopping, .stopped:
            return .refuse
        }
    }

    /// The name servers or a topic's route could not be had.
    mutating func startFailed() -> StartFailedAction {
        switch phase {
        case .starting:
            phase = .stopped
            return .close
        case .stopping:
            return .none
        case .created, .running, .stopped:
            // Not reached: a start fails only while starting.
            return .none
        }
    }

    /// The heartbeats went out: the brokers know this member.
    mutating func joined() -> JoinAction {
        switch phase {
        case .starting:
            phase = .running
            return .rebalanceAndStartTimers
        case .stopping, .stopped:
            return .none
        case .created, .running:
            // Not reached: joining follows one successful start.
            return .none
        }
    }

    /// `stop()` was called.
    mutating func stopRequested() -> StopAction {
        switch phase {
        case .created:
            phase = .stopped
            return .close
        case .starting, .running:
            phase = .stopping
            // Nothing more is pulled or delivered. Acks and send-backs still count: what they
            // complete before the driver asks for `offsetsToCommit` is committed.
            for key in Array(queues.keys) {
                _ = withQueue(key) { _ = $0.process.drop() }
            }
            return .stop(unlock: locksQueues ? queues.keys.sorted() : [])
        case .stopping:
            return .waitForStop
        case .stopped:
            return .none
        }
    }

    /// The offsets were sent and the group left: the queues and deliveries are forgotten (an ack
    /// from now on finds no handle).
    mutating func stopFinished() {
        phase = .stopped
        queues = [:]
        deliveries = [:]
    }

    // MARK: - Rebalance

    /// The rebalance timer fired, or a broker sent NOTIFY_CONSUMER_IDS_CHANGED.
    func rebalanceRequested() -> RebalanceRequestAction {
        isRunning ? .rebalance : .none
    }

    /// Whether a rebalance needs the group's members (GET_CONSUMER_LIST_BY_GROUP): a broadcasting
    /// consumer takes every queue and never asks (docs/protocol-remoting.md §5.9).
    var rebalanceNeedsMembers: Bool { !broadcasting }

    /// The subscribable queues of `topic` and the group's members were learned: the queues are
    /// shared out again (docs/protocol-remoting.md §5.3); broadcasting, every queue is taken and
    /// `members` is not looked at. A queue given up is dropped at once; acks of its messages still
    /// out change nothing (their generation is gone).
    mutating func rebalance(topic: String, queues subscribable: [MessageQueue], members: [String]) -> RebalanceAction {
        guard isRunning else { return .none }
        let change = broadcasting
            ? assignment.takeAll(topic: topic, queues: subscribable)
            : assignment.rebalance(topic: topic, queues: subscribable, clientIDs: members)
        switch change {
        case .none:
            return .none
        case .change(let added, let removed):
            var commit: [OffsetCommit] = []
            var held: Set<MessageQueue> = []
            for queue in removed {
                guard var entry = queues.removeValue(forKey: queue) else { continue }
                commit.append(OffsetCommit(queue: queue, offset: entry.process.drop()))
                if hasDelivery(of: queue, generation: entry.generation) { held.insert(queue) }
            }
            // Orderly: a queue whose message the application still holds keeps its broker lock
            // until the lock expires, so the next owner cannot overtake that message.
            let unlock = locksQueues ? removed.filter { !held.contains($0) } : []
            return .change(added: added, removed: removed, commit: commit, unlock: unlock)
        }
    }

    /// An added queue's start offset was read: it is consumed from there, in a new generation.
    mutating func queueStarted(_ queue: MessageQueue, subscription: Subscription, offset: Int64) -> QueueStartAction {
        guard isRunning else { return .none }
        lastGeneration += 1
        queues[queue] = OwnedQueue(
            process: ProcessQueue(startOffset: offset, limits: configuration.queueLimits), subscription: subscription,
            filter: subscription.subscriptionData(subVersion: 0),
            generation: lastGeneration, lastCommitted: offset)
        return .startPulling(generation: lastGeneration)
    }

    /// An added queue's start offset could not be read: forgotten, so the next rebalance adds it again.
    mutating func queueStartFailed(_ queue: MessageQueue) {
        _ = assignment.forget(topic: queue.topic, queue: queue)
    }

    /// RESET_CONSUMER_CLIENT_OFFSET (docs/protocol-remoting.md §2.16), as Java applies it: the named
    /// queues this consumer owns are dropped and forgotten; the driver stores their new offsets and
    /// the next rebalance takes them on again from there. Returns those queues, sorted.
    mutating func offsetsReset(for named: [MessageQueue]) -> [MessageQueue] {
        var dropped: [MessageQueue] = []
        for queue in named.sorted() where queues.removeValue(forKey: queue) != nil {
            _ = assignment.forget(topic: queue.topic, queue: queue)
            dropped.append(queue)
        }
        return dropped
    }

    // MARK: - Pulling

    /// What the pull loop of `queue` in `generation` does next (docs/protocol-remoting.md §5.4).
    func nextPull(of queue: MessageQueue, generation: UInt64, now: NIODeadline) -> PullAction {
        guard isRunning, let entry = queues[queue], entry.generation == generation else { return .stop }
        if locksQueues {
            if !entry.lock.isLocked(now: now) { return .wait(Self.lockWait) }
            if !entry.offsetReadWhenLocked { return .readOffsetWhenLocked }
        }
        switch entry.process.pullDecision() {
        case .stop: return .stop
        case .throttle: return .wait(Self.throttleWait)
        case .pull(let offset): return .pull(offset: offset, subscription: entry.subscription)
        }
    }

    /// Orderly, as Java's first pull after a lock: the previous owner may have consumed and
    /// committed past the offset read when the queue was added, up to the moment it let the lock
    /// go, so the first pull starts from the offset the broker has once the lock is ours (nothing
    /// was pulled before: pulls wait for the lock).
    mutating func lockedQueueOffsetRead(_ queue: MessageQueue, generation: UInt64, offset: Int64) {
        _ = withQueue(queue, generation: generation) { entry in
            entry.process.moveNextPullOffset(to: offset)
            entry.offsetReadWhenLocked = true
        }
    }

    /// A pull of `queue` in `generation` was answered. Returns what may go out now.
    mutating func pulled(
        _ result: BrokerOperations.PullResult, from queue: MessageQueue, generation: UInt64, now: NIODeadline
    ) -> [ConsumedMessage] {
        guard isRunning else { return [] }
        _ = withQueue(queue, generation: generation) { entry in
            switch result {
            case .found(let messages, let next):
                // The broker filtered by tag hash only; filter by the exact tag
                // (docs/protocol-remoting.md §2.5). A message filtered out is not held, so the
                // commit passes it.
                let filter = entry.filter
                let kept = filter.tagsSet.isEmpty ? messages : messages.filter { filter.matches(tag: $0.tags) }
                // Held are the messages the process queue takes: not below the next pull offset.
                let from = entry.process.nextPullOffset
                entry.process.pulled(kept.map { (offset: $0.queueOffset, size: $0.body.count) }, nextBeginOffset: next)
                for message in kept where message.queueOffset >= from && entry.messages[message.queueOffset] == nil {
                    entry.messages[message.queueOffset] = message
                }
            case .noNewMessages(let next), .offsetMoved(let next):
                entry.process.moveNextPullOffset(to: next)
            }
        }
        return handOut(now: now)
    }

    // MARK: - Delivery and acknowledgements

    /// A back-off ended (`DeliveryAction.deliverAndWakeUp`). Returns what may go out now.
    mutating func backoffEnded(now: NIODeadline) -> [ConsumedMessage] {
        handOut(now: now)
    }

    /// The application acknowledged a delivery.
    mutating func ack(_ handle: DeliveryHandle, success: Bool, now: NIODeadline) -> AckAction {
        answer(handle, success ? .consumed : .failed, now: now)
    }

    /// A delivery the application can never take (larger than it accepts): it goes to the DLQ at
    /// once rather than through every retry first.
    mutating func deadLetter(_ handle: DeliveryHandle, now: NIODeadline) -> AckAction {
        answer(handle, .undeliverable, now: now)
    }

    private enum Answer { case consumed, failed, undeliverable }

    private mutating func answer(_ handle: DeliveryHandle, _ answer: Answer, now: NIODeadline) -> AckAction {
        guard let delivery = deliveries.removeValue(forKey: handle.rawValue) else { return .unknownHandle }
        let redeliverLocally = configuration.orderly || broadcasting
        let maxReconsumeTimes = configuration.maxReconsumeTimes
        let retryAt = now + configuration.localRedeliveryBackoff
        let failure = withQueue(delivery.queue, generation: delivery.generation) { entry -> OwnedQueue.Failure in
            switch answer {
            case .consumed:
                entry.complete(delivery.offset)
                return .notHeld
            case .failed:
                return entry.fail(
                    delivery.offset, redeliverLocally: redeliverLocally, maxReconsumeTimes: maxReconsumeTimes, retryAt: retryAt)
            case .undeliverable:
                return entry.deadLetter(delivery.offset)
            }
        }
        guard let failure else { return .staleGeneration(handOut(now: now)) }
        switch failure {
        case .notHeld:
            return .applied(.deliver(handOut(now: now)))
        case .redeliverHere(let deadline):
            return .applied(.deliverAndWakeUp(handOut(now: now), at: deadline))
        case .sendBack(let message, let delayLevel):
            sendBacksInFlight += 1
            let sendBack = SendBack(
                message: message, queue: delivery.queue, generation: delivery.generation, delayLevel: delayLevel)
            return .applied(.deliverAndSendBack(handOut(now: now), sendBack))
        }
    }

    /// A send-back ended. Taken by the broker, the message is done (the broker delivers it again
    /// through the retry topic, or keeps it in the DLQ); otherwise it is delivered again here after
    /// the back-off (docs/protocol-remoting.md §5.5).
    mutating func sendBackFinished(_ sendBack: SendBack, succeeded: Bool, now: NIODeadline) -> DeliveryAction {
        sendBacksInFlight -= 1
        let offset = sendBack.message.queueOffset
        let retryAt = now + configuration.localRedeliveryBackoff
        let current = withQueue(sendBack.queue, generation: sendBack.generation) { entry in
            if succeeded {
                entry.complete(offset)
            } else {
                _ = entry.process.redeliver(offset: offset, notBefore: retryAt)
            }
        } != nil
        if current && !succeeded { return .deliverAndWakeUp(handOut(now: now), at: retryAt) }
        return .deliver(handOut(now: now))
    }

    /// The consume-timeout sweep: deliveries unacknowledged for longer than the consume timeout,
    /// which the driver acknowledges as failures (docs/component-spec.md §4). Sorted.
    func expiredDeliveries(now: NIODeadline) -> [DeliveryHandle] {
        var handles: [DeliveryHandle] = []
        for (queue, entry) in queues {
            let offsets = Set(entry.process.expired(now: now))
            guard !offsets.isEmpty else { continue }
            for (handle, delivery) in deliveries
            where delivery.queue == queue && delivery.generation == entry.generation && offsets.contains(delivery.offset) {
                handles.append(DeliveryHandle(rawValue: handle))
            }
        }
        return handles.sorted { $0.rawValue < $1.rawValue }
    }

    /// Hands out what may go out now, up to `maxInFlight`, round-robin over the queues, and gives
    /// each message its handle. Runs after every event that may free capacity or add messages.
    private mutating func handOut(now: NIODeadline) -> [ConsumedMessage] {
        guard isRunning else { return [] }
        var capacity = configuration.maxInFlight - deliveries.count
        guard capacity > 0, !queues.isEmpty else { return [] }
        // Only queues with waiting messages are looked at (a hand-out follows every ack, and most
        // find nothing new).
        let keys = queues.compactMap { $0.value.process.hasWaiting ? $0.key : nil }.sorted()
        guard !keys.isEmpty else { return [] }
        cursor = (cursor + 1) % keys.count
        var ready: [ConsumedMessage] = []
        for index in 0..<keys.count where capacity > 0 {
            let key = keys[(cursor + index) % keys.count]
            // Taken out while it changes, so its message cache is not copied (see withQueue).
            guard var entry = queues.removeValue(forKey: key) else { continue }
            defer { queues[key] = entry }
            if locksQueues && !entry.lock.isLocked(now: now) { continue }
            for offset in entry.process.takeDeliverable(now: now, orderly: configuration.orderly, limit: capacity) {
                guard let message = entry.messages[offset] else { continue }
                lastHandle += 1
                deliveries[lastHandle] = Delivery(queue: key, generation: entry.generation, offset: offset)
                ready.append(ConsumedMessage(
                    handle: DeliveryHandle(rawValue: lastHandle), message: message, brokerName: key.brokerName,
                    namespace: namespace, consumerGroup: configuration.group,
                    subscriptionExpression: entry.subscription.expression, subscriptionType: entry.subscription.type))
                capacity -= 1
            }
        }
        return ready
    }

    private func hasDelivery(of queue: MessageQueue, generation: UInt64) -> Bool {
        deliveries.values.contains { $0.queue == queue && $0.generation == generation }
    }

    // MARK: - Orderly locks (docs/protocol-remoting.md §2.15)

    /// Orderly: the queues whose lock must be taken or renewed now (LOCK_BATCH_MQ), sorted.
    func queuesToLock(now: NIODeadline) -> [MessageQueue] {
        guard locksQueues, isRunning else { return [] }
        return queues.compactMap { $0.value.lock.needsRenewal(now: now) ? $0.key : nil }.sorted()
    }

    /// A broker answered a lock request for `asked`. Returns what may go out now.
    mutating func locksAnswered(for asked: [MessageQueue], granted: Set<MessageQueue>, now: NIODeadline) -> [ConsumedMessage] {
        for queue in asked {
            _ = withQueue(queue) { entry in
                if granted.contains(queue) { entry.lock.granted(at: now) } else { entry.lock.lost() }
            }
        }
        return handOut(now: now)
    }

    // MARK: - Offsets (docs/protocol-remoting.md §5.7)

    /// Each owned queue's committable offset (never past an unacknowledged message), sorted by
    /// queue; `unchangedToo: false` leaves out those the broker has already.
    func offsetsToCommit(unchangedToo: Bool) -> [OffsetCommit] {
        var commits: [OffsetCommit] = []
        for (queue, entry) in queues {
            let offset = entry.process.committableOffset
            if !unchangedToo && entry.lastCommitted == offset { continue }
            commits.append(OffsetCommit(queue: queue, offset: offset))
        }
        return commits.sorted { $0.queue < $1.queue }
    }

    /// The broker took a commit.
    mutating func offsetCommitted(_ commit: OffsetCommit) {
        _ = withQueue(commit.queue) { $0.lastCommitted = commit.offset }
    }

    // MARK: - Queue table

    /// Changes one queue in place: taken out of the table while `body` runs, so its message cache
    /// is uniquely referenced and no copy-on-write copy is made per message. Nil when the queue is
    /// not owned, or owned in another generation than `generation`.
    private mutating func withQueue<Result>(
        _ queue: MessageQueue, generation: UInt64? = nil, _ body: (inout OwnedQueue) -> Result
    ) -> Result? {
        guard var entry = queues.removeValue(forKey: queue) else { return nil }
        defer { queues[queue] = entry }
        if let generation, entry.generation != generation { return nil }
        return body(&entry)
    }
}
