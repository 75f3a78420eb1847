import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RocketMQWire

/// A clustering push consumer (docs/protocol-remoting.md §5): heartbeats, rebalances its group's
/// queues, long-polls each owned queue, and delivers messages as an async sequence of
/// `ConsumedMessage`; the application answers each with `ack(_:success:)`, in any order, from any task.
///
/// At most `maxInFlight` messages are delivered and unacknowledged at a time. A queue's committed
/// offset never passes an unacknowledged message; offsets are persisted every 5 s and at `stop()`.
/// A failed message goes back to the broker (CONSUMER_SEND_MSG_BACK: retry topic, then DLQ after
/// `maxReconsumeTimes`); if that fails it is delivered again locally after a back-off. In orderly
/// mode each queue is locked on its broker and has one message in flight; failures are redelivered
/// in place.
///
/// One start and one stop per instance; create a new consumer to consume again. Thread-safe.
public final class PushConsumer: Sendable {
    private enum Phase: Equatable {
        case created, starting, running, stopping, stopped
    }

    private struct QueueState {
        var process: ProcessQueue
        var lock = QueueLock()
        var messages: [Int64: StoredMessage] = [:]
        var subscription: Subscription
        var generation: UInt64
        var lastPersisted: Int64?
        var pullTask: Task<Void, Never>?
        /// Orderly: whether the start offset was read again once the lock was first held.
        var offsetReadWhenLocked = false
    }

    private struct Delivery {
        var queue: MessageQueue
        var generation: UInt64
        var offset: Int64
    }

    private struct State {
        /// Mutates one queue's state in place: taken out of the table while `body` runs, so its
        /// message cache is uniquely owned and no copy-on-write copy is made per message.
        mutating func updateQueue<Result>(_ key: MessageQueue, _ body: (inout QueueState) -> Result) -> Result? {
            guard var entry = queues.removeValue(forKey: key) else { return nil }
            defer { queues[key] = entry }
            return body(&entry)
        }

        var phase: Phase = .created
        var queues: [MessageQueue: QueueState] = [:]
        /// handle → delivery; leaves on ack, on consume timeout and at stop.
        var deliveries: [UInt64: Delivery] = [:]
        var nextHandle: UInt64 = 0
        var nextGeneration: UInt64 = 0
        var rebalance: RebalanceState<MessageQueue>
        var cursor = 0
        var timers: [Task<Void, Never>] = []
        var rebalanceTrigger: AsyncStream<Void>.Continuation?
        var pendingRetries = 0
    }

    public let configuration: ConsumerConfiguration
    /// Delivered messages. Finishes when the consumer stops. Iterate it from one task.
    public let messages = ConsumedMessages()

    private let logger: Logger
    private let pool: ConnectionPool
    private let nameServer: NameServerClient
    private let broker: BrokerOperations
    private let namespace: Namespace
    private let wireGroup: String
    /// Subscriptions by wire topic (namespace-wrapped), the retry topic included.
    private let subscriptions: [String: Subscription]
    private let state: NIOLockedValueBox<State>

    /// Creates a consumer; nothing is sent until `start()`. The connections live on `eventLoopGroup`
    /// (the NIO singleton by default), which must outlive the consumer: `stop()` it first.
    public init(
        configuration: ConsumerConfiguration, eventLoopGroup: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "rocketmq.consumer")
    ) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "consumerGroup"] = "\(configuration.group)"
        logger[metadataKey: "clientID"] = "\(configuration.client.clientID)"
        self.logger = logger
        let namespace = Namespace(name: configuration.client.namespace)
        self.namespace = namespace
        self.wireGroup = namespace.wrap(configuration.group)
        var subscriptions: [String: Subscription] = [:]
        for subscription in configuration.subscriptions {
            let wire = namespace.wrap(subscription.topic)
            subscriptions[wire] = Subscription(topic: wire, expression: subscription.expression)
        }
        let retry = namespace.retryTopic(group: configuration.group)
        subscriptions[retry] = Subscription(topic: retry, expression: "*")
        self.subscriptions = subscriptions
        self.pool = ConnectionPool(
            group: eventLoopGroup, connectTimeout: configuration.client.connectTimeout,
            credentials: configuration.client.credentials, logger: logger)
        self.nameServer = NameServerClient(configuration: configuration.client, pool: pool, logger: logger)
        self.broker = BrokerOperations(
            pool: pool, nameServer: nameServer, requestTimeout: configuration.client.requestTimeout, logger: logger)
        self.state = NIOLockedValueBox(State(rebalance: RebalanceState(clientID: configuration.client.clientID)))
    }

    // MARK: - Public API

    /// Joins the group: resolves routes (fails with `.topicNotFound` for an unknown topic),
    /// heartbeats, rebalances once and starts pulling. Returns once the first rebalance is done.
    public func start() async throws {
        try configuration.validate()
        try state.withLockedValue { state in
            guard state.phase == .created else { throw RocketMQError.invalidArgument("a consumer starts only once") }
            state.phase = .starting
        }
        do {
            try await nameServer.start()
            for subscription in configuration.subscriptions {
                _ = try await nameServer.route(for: namespace.wrap(subscription.topic))
            }
        } catch {
            state.withLockedValue { $0.phase = .stopped }
            messages.finish()
            pool.shutdown()
            throw error
        }
        pool.setInboundRequestHandler { [weak self] request, address in
            self?.handleBrokerRequest(request, from: address)
        }
        await sendHeartbeats()
        let proceed = state.withLockedValue { state -> Bool in
            guard state.phase == .starting else { return false }
            state.phase = .running
            return true
        }
        guard proceed else { return }
        await rebalance()
        startTimers()
    }

    /// Acknowledges one delivery. `success: false` sends the message back for a later redelivery
    /// (or the DLQ). Unknown or repeated handles are ignored (logged). Never blocks.
    public func ack(_ handle: DeliveryHandle, success: Bool) {
        enum Outcome {
            case none
            case sendBack(StoredMessage, MessageQueue, UInt64, delayLevel: Int)
            case redeliverAt(NIODeadline)
        }
        let outcome = state.withLockedValue { state -> Outcome in
            guard let delivery = state.deliveries.removeValue(forKey: handle.rawValue) else {
                logger.debug("ack for an unknown delivery ignored", metadata: ["handle": "\(handle)"])
                return .none
            }
            return state.updateQueue(delivery.queue) { queue -> Outcome in
            guard queue.generation == delivery.generation else {
                // The queue moved to another member; it will deliver the message again if need be.
                return .none
            }
            if success {
                _ = queue.process.complete(offset: delivery.offset)
                queue.messages[delivery.offset] = nil
                return .none
            }
            guard let message = queue.messages[delivery.offset] else { return .none }
            if configuration.orderly {
                let retryAt = NIODeadline.now() + configuration.localRedeliveryBackoff
                let local = queue.process.redeliver(offset: delivery.offset, notBefore: retryAt) ?? 0
                if local > configuration.maxReconsumeTimes {
                    // Held back until the broker took it into the DLQ (or the send-back failed).
                    _ = queue.process.redeliver(offset: delivery.offset, notBefore: .distantFuture)
                    return .sendBack(message, delivery.queue, delivery.generation, delayLevel: -1)
                }
                return .redeliverAt(retryAt)
            }
            return .sendBack(message, delivery.queue, delivery.generation, delayLevel: 0)
            } ?? .none
        }
        switch outcome {
        case .none:
            break
        case .redeliverAt(let deadline):
            schedulePump(at: deadline)
        case .sendBack(let message, let queue, let generation, let delayLevel):
            state.withLockedValue { $0.pendingRetries += 1 }
            Task {
                await self.sendBack(message, queue: queue, generation: generation, delayLevel: delayLevel)
                self.state.withLockedValue { $0.pendingRetries -= 1 }
            }
        }
        pump()
    }

    /// Leaves the group: stops pulling, persists offsets (never past an unacknowledged message),
    /// unlocks (orderly), unregisters, closes connections and finishes `messages`. Messages not
    /// acknowledged by now are delivered again later (to this group). Idempotent.
    public func stop() async {
        let (queues, timers) = state.withLockedValue { state -> ([MessageQueue: QueueState], [Task<Void, Never>]) in
            guard state.phase == .running || state.phase == .starting else { return ([:], []) }
            state.phase = .stopping
            let timers = state.timers
            state.timers = []
            state.rebalanceTrigger?.finish()
            for key in Array(state.queues.keys) {
                state.queues[key]?.pullTask?.cancel()
                _ = state.queues[key]?.process.drop()
            }
            return (state.queues, timers)
        }
        for timer in timers { timer.cancel() }
        // Failed messages being sent back finish first (bounded), so a message that went back to
        // the broker is committed past instead of coming again from its queue.
        let deadline = NIODeadline.now() + configuration.client.requestTimeout
        while state.withLockedValue({ $0.pendingRetries }) > 0, NIODeadline.now() < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        let offsets = state.withLockedValue { $0.queues.mapValues { $0.process.committableOffset } }
        await persistOffsets(offsets, force: true)
        if configuration.orderly { await unlock(Array(queues.keys)) }
        let addresses = await brokerAddresses()
        for address in addresses {
            do {
                try await broker.unregister(
                    clientID: configuration.client.clientID, consumerGroup: wireGroup, producerGroup: nil, address: address)
            } catch {
                logger.debug("unregister failed", metadata: ["address": "\(address)", "error": "\(error)"])
            }
        }
        state.withLockedValue { state in
            state.phase = .stopped
            state.queues = [:]
            state.deliveries = [:]
        }
        messages.finish()
        nameServer.shutdown()
        pool.shutdown()
    }

    /// Persists the committable offset of every owned queue now (also done every 5 s).
    public func persistOffsets() async {
        let offsets = state.withLockedValue { $0.queues.mapValues { $0.process.committableOffset } }
        await persistOffsets(offsets, force: false)
    }

    /// Queues this consumer owns now (for tests and diagnostics).
    public var ownedQueues: [MessageQueue] {
        state.withLockedValue { Array($0.queues.keys).sorted() }
    }

    /// Messages delivered and not yet acknowledged.
    public var inFlightCount: Int {
        state.withLockedValue { $0.deliveries.count }
    }

    /// Asks for a rebalance now (as NOTIFY_CONSUMER_IDS_CHANGED does).
    public func triggerRebalance() {
        _ = state.withLockedValue { $0.rebalanceTrigger?.yield(()) }
    }

    // MARK: - Delivery

    /// Hands out what may go out now, up to `maxInFlight`, round-robin over the queues.
    private func pump() {
        let ready = state.withLockedValue { state -> [ConsumedMessage] in
            guard state.phase == .running else { return [] }
            var capacity = configuration.maxInFlight - state.deliveries.count
            guard capacity > 0, !state.queues.isEmpty else { return [] }
            // Only queues with waiting messages are looked at (a pump follows every ack, and most
            // find nothing new to hand out).
            let keys = state.queues.compactMap { $0.value.process.hasWaiting ? $0.key : nil }.sorted()
            guard !keys.isEmpty else { return [] }
            let now = NIODeadline.now()
            state.cursor = (state.cursor + 1) % keys.count
            var out: [ConsumedMessage] = []
            for index in 0..<keys.count where capacity > 0 {
                let key = keys[(state.cursor + index) % keys.count]
                // Taken out while it changes, so its message cache is not copied (see updateQueue).
                guard var queue = state.queues.removeValue(forKey: key) else { continue }
                defer { state.queues[key] = queue }
                if configuration.orderly && !queue.lock.isLocked(now: now) { continue }
                let offsets = queue.process.takeDeliverable(now: now, orderly: configuration.orderly, limit: capacity)
                for offset in offsets {
                    guard let message = queue.messages[offset] else { continue }
                    state.nextHandle += 1
                    let handle = DeliveryHandle(rawValue: state.nextHandle)
                    state.deliveries[handle.rawValue] = Delivery(queue: key, generation: queue.generation, offset: offset)
                    out.append(ConsumedMessage(
                        handle: handle, message: message, brokerName: key.brokerName, namespace: namespace,
                        consumerGroup: configuration.group, subscriptionExpression: queue.subscription.expression))
                    capacity -= 1
                }
            }
            return out
        }
        messages.append(ready)
    }

    private func schedulePump(at deadline: NIODeadline) {
        let delay = deadline - .now()
        Task { [weak self] in
            if delay > .zero { try? await Task.sleep(nanoseconds: UInt64(delay.nanoseconds)) }
            self?.pump()
        }
    }

    private func sendBack(_ message: StoredMessage, queue: MessageQueue, generation: UInt64, delayLevel: Int) async {
        var sent = false
        do {
            try await broker.sendBack(
                group: wireGroup, message: message, queue: queue, delayLevel: delayLevel,
                maxReconsumeTimes: configuration.maxReconsumeTimes)
            sent = true
        } catch {
            logger.warning(
                "send-back failed; redelivering locally after a back-off",
                metadata: ["queue": "\(queue)", "offset": "\(message.queueOffset)", "error": "\(error)"])
        }
        let retryAt = NIODeadline.now() + configuration.localRedeliveryBackoff
        state.withLockedValue { state in
            state.updateQueue(queue) { entry in
                guard entry.generation == generation else { return }
                if sent {
                    _ = entry.process.complete(offset: message.queueOffset)
                    entry.messages[message.queueOffset] = nil
                } else {
                    _ = entry.process.redeliver(offset: message.queueOffset, notBefore: retryAt)
                }
            }
        }
        if sent { pump() } else { schedulePump(at: retryAt) }
    }

    // MARK: - Pulling

    private func pullLoop(queue: MessageQueue, generation: UInt64) async {
        while !Task.isCancelled {
            enum Step {
                case stop
                case wait(TimeAmount)
                case readOffsetWhenLocked
                case pull(Int64, Subscription)
            }
            let step = state.withLockedValue { state -> Step in
                guard state.phase == .running, let entry = state.queues[queue], entry.generation == generation else {
                    return .stop
                }
                if configuration.orderly {
                    if !entry.lock.isLocked(now: .now()) { return .wait(.milliseconds(100)) }
                    if !entry.offsetReadWhenLocked { return .readOffsetWhenLocked }
                }
                switch entry.process.pullDecision() {
                case .stop: return .stop
                case .throttle: return .wait(.milliseconds(50))
                case .pull(let offset): return .pull(offset, entry.subscription)
                }
            }
            switch step {
            case .stop:
                return
            case .wait(let delay):
                try? await Task.sleep(nanoseconds: UInt64(delay.nanoseconds))
            case .readOffsetWhenLocked:
                await readOffsetWhenLocked(queue: queue, generation: generation)
            case .pull(let offset, let subscription):
                do {
                    let result = try await broker.pull(
                        group: wireGroup, queue: queue, offset: offset, maxMessages: configuration.pullBatchSize,
                        subscription: subscription, suspend: configuration.pullSuspendTimeout)
                    handle(result, queue: queue, generation: generation, subscription: subscription)
                } catch {
                    guard !Task.isCancelled else { return }
                    logger.debug("pull failed", metadata: ["queue": "\(queue)", "error": "\(error)"])
                    try? await Task.sleep(nanoseconds: UInt64(configuration.pullErrorBackoff.nanoseconds))
                }
            }
        }
    }

    /// Orderly, as Java's first pull after a lock: the previous owner may have consumed and
    /// committed past the offset read when the queue was added, up to the moment it let the lock
    /// go, so the pull starts from the offset the broker has once the lock is ours. Nothing was
    /// pulled before (pulls wait for the lock). A failure is retried after the pull back-off.
    private func readOffsetWhenLocked(queue: MessageQueue, generation: UInt64) async {
        do {
            let offset = try await broker.startOffset(group: wireGroup, queue: queue, policy: configuration.consumeFromWhere)
            state.withLockedValue { state in
                state.updateQueue(queue) { entry in
                    guard entry.generation == generation else { return }
                    entry.process.moveNextPullOffset(to: offset)
                    entry.offsetReadWhenLocked = true
                }
            }
        } catch {
            guard !Task.isCancelled else { return }
            logger.warning("could not read the offset of a newly locked queue", metadata: ["queue": "\(queue)", "error": "\(error)"])
            try? await Task.sleep(nanoseconds: UInt64(configuration.pullErrorBackoff.nanoseconds))
        }
    }

    private func handle(_ result: BrokerOperations.PullResult, queue: MessageQueue, generation: UInt64, subscription: Subscription) {
        state.withLockedValue { state in
            state.updateQueue(queue) { entry in
            guard entry.generation == generation else { return }
            switch result {
            case .found(let messages, let next):
                // The broker filtered by tag hash only; filter by the exact tag
                // (docs/protocol-remoting.md §2.5).
                let kept = messages.filter { subscription.matches(tag: $0.tags) }
                entry.process.pulled(kept.map { (offset: $0.queueOffset, size: $0.body.count) }, nextBeginOffset: next)
                for message in kept where entry.messages[message.queueOffset] == nil {
                    entry.messages[message.queueOffset] = message
                }
            case .noNewMessages(let next):
                entry.process.moveNextPullOffset(to: next)
            case .offsetMoved(let next):
                logger.warning("offset moved", metadata: ["queue": "\(queue)", "next": "\(next)"])
                entry.process.moveNextPullOffset(to: next)
            }
            }
        }
        pump()
    }

    // MARK: - Rebalance

    private func rebalance() async {
        for (topic, subscription) in subscriptions.sorted(by: { $0.key < $1.key }) {
            let running = state.withLockedValue { $0.phase == .running }
            guard running else { return }
            do {
                let route = try await nameServer.route(for: topic)
                let queues = route.subscribeQueues(topic: topic)
                guard let address = route.masterAddresses.first else { continue }
                let members = try await broker.consumerList(group: wireGroup, address: address)
                let action = state.withLockedValue { $0.rebalance.rebalance(topic: topic, queues: queues, clientIDs: members) }
                switch action {
                case .none:
                    break
                case .change(let added, let removed):
                    logger.info("rebalanced", metadata: [
                        "topic": "\(topic)", "added": "\(added.map(\.queueId))", "removed": "\(removed.map(\.queueId))",
                        "members": "\(members.count)",
                    ])
                    await removeQueues(removed)
                    await addQueues(added, subscription: subscription)
                }
            } catch {
                logger.debug("rebalance of topic skipped", metadata: ["topic": "\(topic)", "error": "\(error)"])
            }
        }
    }

    private func removeQueues(_ queues: [MessageQueue]) async {
        guard !queues.isEmpty else { return }
        let (offsets, busy) = state.withLockedValue { state -> ([MessageQueue: Int64], Set<MessageQueue>) in
            var offsets: [MessageQueue: Int64] = [:]
            var busy: Set<MessageQueue> = []
            for queue in queues {
                guard var entry = state.queues.removeValue(forKey: queue) else { continue }
                entry.pullTask?.cancel()
                offsets[queue] = entry.process.drop()
                if state.deliveries.values.contains(where: { $0.queue == queue && $0.generation == entry.generation }) {
                    busy.insert(queue)
                }
            }
            return (offsets, busy)
        }
        await persistOffsets(offsets, force: true)
        // Orderly: a queue whose message the application still holds keeps its broker lock until
        // the lock expires, so the next owner cannot overtake that message.
        if configuration.orderly { await unlock(queues.filter { !busy.contains($0) }) }
    }

    private func addQueues(_ queues: [MessageQueue], subscription: Subscription) async {
        for queue in queues {
            do {
                let offset = try await broker.startOffset(group: wireGroup, queue: queue, policy: configuration.consumeFromWhere)
                state.withLockedValue { state in
                    guard state.phase == .running else { return }
                    state.nextGeneration += 1
                    let generation = state.nextGeneration
                    var entry = QueueState(
                        process: ProcessQueue(startOffset: offset, limits: configuration.queueLimits),
                        subscription: subscription, generation: generation, lastPersisted: offset)
                    entry.pullTask = Task { [weak self] in await self?.pullLoop(queue: queue, generation: generation) }
                    state.queues[queue] = entry
                }
            } catch {
                // Forget it so the next rebalance tries again.
                logger.warning("could not start queue", metadata: ["queue": "\(queue)", "error": "\(error)"])
                _ = state.withLockedValue { $0.rebalance.forget(topic: queue.topic, queue: queue) }
            }
        }
        if configuration.orderly { await lockOwnedQueues() }
    }

    // MARK: - Offsets, heartbeats, locks

    private func persistOffsets(_ offsets: [MessageQueue: Int64], force: Bool) async {
        for (queue, offset) in offsets.sorted(by: { $0.key < $1.key }) {
            let last = state.withLockedValue { $0.queues[queue]?.lastPersisted }
            if !force, last == offset { continue }
            do {
                try await broker.updateOffset(group: wireGroup, queue: queue, offset: offset)
                state.withLockedValue { $0.queues[queue]?.lastPersisted = offset }
            } catch {
                logger.warning("offset not persisted", metadata: ["queue": "\(queue)", "offset": "\(offset)", "error": "\(error)"])
            }
        }
    }

    private func heartbeatData() -> HeartbeatData {
        let version = WallClock.nowMillis()
        let subscriptionData = subscriptions.values.sorted { $0.topic < $1.topic }.map {
            SubscriptionData.tagExpression(topic: $0.topic, expression: $0.expression, subVersion: version)
        }
        let consumer = ConsumerData(
            groupName: wireGroup, consumeType: "CONSUME_PASSIVELY", messageModel: "CLUSTERING",
            consumeFromWhere: configuration.consumeFromWhere.wireName, subscriptionDataSet: subscriptionData)
        return HeartbeatData(clientID: configuration.client.clientID, consumerDataSet: [consumer])
    }

    private func brokerAddresses() async -> [String] {
        var addresses: Set<String> = []
        for topic in subscriptions.keys {
            if let route = try? await nameServer.route(for: topic) { addresses.formUnion(route.masterAddresses) }
        }
        return addresses.sorted()
    }

    private func sendHeartbeats() async {
        await broker.heartbeat(heartbeatData(), to: await brokerAddresses())
    }

    private func lockOwnedQueues() async {
        let now = NIODeadline.now()
        let wanted = state.withLockedValue { state in
            state.queues.filter { $0.value.lock.needsRenewal(now: now) }.map(\.key)
        }
        guard !wanted.isEmpty else { return }
        let byBroker = Dictionary(grouping: wanted, by: \.brokerName)
        for (_, queues) in byBroker {
            guard let first = queues.first, let address = try? await broker.masterAddress(for: first) else { continue }
            do {
                let granted = try await broker.lock(
                    group: wireGroup, clientID: configuration.client.clientID, queues: queues, address: address)
                let grantedAt = NIODeadline.now()
                state.withLockedValue { state in
                    for queue in queues {
                        if granted.contains(queue) {
                            state.queues[queue]?.lock.granted(at: grantedAt)
                        } else {
                            state.queues[queue]?.lock.lost()
                        }
                    }
                }
            } catch {
                logger.warning("lock failed", metadata: ["address": "\(address)", "error": "\(error)"])
            }
        }
        pump()
    }

    private func unlock(_ queues: [MessageQueue]) async {
        for (_, group) in Dictionary(grouping: queues, by: \.brokerName) {
            guard let first = group.first, let address = try? await broker.masterAddress(for: first) else { continue }
            try? await broker.unlock(group: wireGroup, clientID: configuration.client.clientID, queues: group, address: address)
        }
    }

    /// RESET_CONSUMER_CLIENT_OFFSET (docs/protocol-remoting.md §2.16), as Java applies it: drop the
    /// owned queues named in the table, store their new offsets, and let the next rebalance add them
    /// again from there.
    private func resetOffsets(_ table: [MessageQueue: Int64]) async {
        let affected = state.withLockedValue { state -> [MessageQueue] in
            var affected: [MessageQueue] = []
            for queue in table.keys.sorted() {
                guard var entry = state.queues.removeValue(forKey: queue) else { continue }
                entry.pullTask?.cancel()
                _ = entry.process.drop()
                _ = state.rebalance.forget(topic: queue.topic, queue: queue)
                affected.append(queue)
            }
            return affected
        }
        for queue in affected {
            guard let offset = table[queue] else { continue }
            do {
                try await broker.updateOffset(group: wireGroup, queue: queue, offset: offset)
                logger.info("offset reset by the broker", metadata: ["queue": "\(queue)", "offset": "\(offset)"])
            } catch {
                logger.warning("offset reset not stored", metadata: ["queue": "\(queue)", "error": "\(error)"])
            }
        }
        if !affected.isEmpty { triggerRebalance() }
    }

    /// Consume-timeout sweep: a delivery older than the consume timeout counts as a failure.
    private func expireStaleDeliveries() {
        let now = NIODeadline.now()
        let expired = state.withLockedValue { state -> [UInt64] in
            var handles: [UInt64] = []
            for (key, entry) in state.queues {
                let offsets = Set(entry.process.expired(now: now))
                guard !offsets.isEmpty else { continue }
                for (handle, delivery) in state.deliveries
                where delivery.queue == key && delivery.generation == entry.generation && offsets.contains(delivery.offset) {
                    handles.append(handle)
                }
            }
            return handles
        }
        for handle in expired {
            logger.warning("consume timeout; treating as a failure", metadata: ["handle": "\(handle)"])
            ack(DeliveryHandle(rawValue: handle), success: false)
        }
    }

    private func startTimers() {
        let (triggers, trigger) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        func every(_ interval: TimeAmount, _ body: @escaping @Sendable (PushConsumer) async -> Void) -> Task<Void, Never> {
            Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: UInt64(interval.nanoseconds))
                    guard !Task.isCancelled, let self else { return }
                    await body(self)
                }
            }
        }
        var timers: [Task<Void, Never>] = []
        timers.append(Task { [weak self] in
            for await _ in triggers {
                guard let self else { return }
                await self.rebalance()
            }
        })
        timers.append(every(configuration.rebalanceInterval) { $0.triggerRebalance() })
        timers.append(every(configuration.client.heartbeatInterval) { await $0.sendHeartbeats() })
        timers.append(every(configuration.offsetPersistInterval) { await $0.persistOffsets() })
        timers.append(every(.seconds(1)) { $0.expireStaleDeliveries() })
        if configuration.orderly {
            timers.append(every(.seconds(1)) { await $0.lockOwnedQueues() })
        }
        let cancelNow = state.withLockedValue { state -> Bool in
            guard state.phase == .running else { return true }
            state.timers = timers
            state.rebalanceTrigger = trigger
            return false
        }
        if cancelNow { timers.forEach { $0.cancel() } }
    }

    // MARK: - Requests from brokers (docs/protocol-remoting.md §5.8)

    func handleBrokerRequest(_ request: RemotingCommand, from address: String) -> RemotingCommand? {
        switch request.requestCode {
        case .notifyConsumerIdsChanged:
            logger.debug("group membership changed", metadata: ["broker": "\(address)"])
            triggerRebalance()
            return nil
        case .getConsumerRunningInfo:
            return .response(to: request, code: .success, body: runningInfo().encoded())
        case .getConsumerStatusFromClient:
            return .response(to: request, code: .success, body: Array(#"{"messageQueueTable":{}}"#.utf8))
        case .resetConsumerClientOffset:
            guard request.extFields["group"] == nil || request.extFields["group"] == wireGroup,
                let body = try? ResetOffsetBody(body: request.body)
            else {
                logger.warning("unusable offset reset ignored", metadata: ["broker": "\(address)"])
                return nil
            }
            Task { await self.resetOffsets(body.offsetTable) }
            return nil
        case .checkTransactionState:
            logger.warning("transaction check ignored: this client sends no transactional messages", metadata: ["broker": "\(address)"])
            return nil
        case .consumeMessageDirectly:
            return .response(to: request, code: .systemError, remark: "consume message directly is not supported")
        default:
            return nil
        }
    }

    private func runningInfo() -> ConsumerRunningInfo {
        let version = WallClock.nowMillis()
        let subscriptionData = subscriptions.values.sorted { $0.topic < $1.topic }.map {
            SubscriptionData.tagExpression(topic: $0.topic, expression: $0.expression, subVersion: version)
        }
        let properties = [
            "PROP_NAMESERVER_ADDR": nameServer.addresses.joined(separator: ";"),
            "PROP_CONSUME_TYPE": "CONSUME_PASSIVELY",
            "PROP_CONSUMEORDERLY": configuration.orderly ? "true" : "false",
            "PROP_THREADPOOL_CORE_SIZE": String(configuration.maxInFlight),
            "PROP_CLIENT_VERSION": "V4_9_8",
        ]
        return ConsumerRunningInfo(properties: properties, subscriptionSet: subscriptionData)
    }
}
