import CoreMetrics
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RocketMQWire

/// A push consumer (docs/protocol-remoting.md §5): heartbeats, rebalances its group's queues,
/// long-polls each owned queue, and delivers messages as an async sequence of `ConsumedMessage`;
/// the application answers each with `ack(_:success:)`, in any order, from any task.
///
/// At most `maxInFlight` messages are delivered and unacknowledged at a time. A queue's committed
/// offset never passes an unacknowledged message; offsets are persisted every 5 s and at `stop()`.
/// A failed message goes back to the broker (CONSUMER_SEND_MSG_BACK: retry topic, then DLQ after
/// `maxReconsumeTimes`); if that fails it is delivered again locally after a back-off. In orderly
/// mode each queue is locked on its broker and has one message in flight; failures are redelivered
/// in place.
///
/// Broadcasting (`ConsumerConfiguration.messageModel`, docs/protocol-remoting.md §5.9): every
/// queue is consumed by this member, its offsets are kept in its own file (`LocalOffsetStore`,
/// read at `start()`), and a failed message is delivered again here after the back-off (the DLQ
/// after `maxReconsumeTimes`): there is no retry topic.
///
/// The rules are `ConsumerStateMachine`'s; this class runs the tasks, timers and requests it asks
/// for. The read path stays cheap: an ack is applied and the next messages handed out in one
/// locked step on the caller's thread (no task per message), and messages go to `messages` in
/// batches. A task runs per owned queue (its pull loop), per timer, and per failed message being
/// sent back.
///
/// One start and one stop per instance; create a new consumer to consume again. Thread-safe.
public final class PushConsumer: Sendable {
    /// The machine, and the tasks carrying out its actions, under one lock: a queue's pull loop
    /// starts and ends in the same step as the machine takes the queue on or drops it.
    private struct State {
        var machine: ConsumerStateMachine
        var pullLoops: [MessageQueue: Task<Void, Never>] = [:]
        var timers: [Task<Void, Never>] = []
        var rebalanceTrigger: AsyncStream<Void>.Continuation?
        /// Where offsets are read and written: the broker's from the start (clustering), a
        /// broadcasting member's file once `start()` has read it.
        var offsetStore: ConsumerOffsetStore?

        mutating func takePullLoops(of queues: [MessageQueue]) -> [Task<Void, Never>] {
            queues.compactMap { pullLoops.removeValue(forKey: $0) }
        }
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
    private let lag: ConsumerLag
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
        self.lag = ConsumerLag(group: configuration.group, namespace: namespace)
        var subscriptions: [String: Subscription] = [:]
        for subscription in configuration.subscriptions {
            let wire = namespace.wrap(subscription.topic)
            subscriptions[wire] = Subscription(topic: wire, expression: subscription.expression, type: subscription.type)
        }
        switch configuration.messageModel {
        case .clustering:
            let retry = namespace.retryTopic(group: configuration.group)
            subscriptions[retry] = Subscription(topic: retry, expression: "*")
        case .broadcasting:
            break  // failures are delivered again here: nothing comes through %RETRY% (§5.9)
        }
        self.subscriptions = subscriptions
        self.pool = ConnectionPool(
            group: eventLoopGroup, connectTimeout: configuration.client.connectTimeout,
            credentials: configuration.client.credentials, logger: logger)
        self.nameServer = NameServerClient(configuration: configuration.client, pool: pool, logger: logger)
        self.broker = BrokerOperations(
            pool: pool, nameServer: nameServer, requestTimeout: configuration.client.requestTimeout, logger: logger)
        var state = State(machine: ConsumerStateMachine(configuration: configuration))
        switch configuration.messageModel {
        case .clustering: state.offsetStore = .broker(broker, group: wireGroup)
        case .broadcasting: break  // read at start, which may fail
        }
        self.state = NIOLockedValueBox(state)
    }

    // MARK: - Public API

    /// Joins the group: resolves routes (fails with `.topicNotFound` for an unknown topic),
    /// heartbeats, rebalances once and starts pulling. Returns once the first rebalance is done.
    /// Broadcasting, the member's offset file is read first (`.offsetFile` when it cannot be).
    public func start() async throws {
        try configuration.validate()
        switch configuration.messageModel {
        case .clustering:
            break
        case .broadcasting(let offsetFile):
            let store = try LocalOffsetStore(path: offsetFile)
            state.withLockedValue { $0.offsetStore = .local(store) }
        }
        switch state.withLockedValue({ $0.machine.startRequested() }) {
        case .refuse:
            throw RocketMQError.invalidArgument("a consumer starts only once")
        case .resolveRoutes:
            break
        }
        do {
            try await nameServer.start()
            for subscription in configuration.subscriptions {
                _ = try await nameServer.route(for: namespace.wrap(subscription.topic))
            }
            try await checkFilters()
        } catch {
            switch state.withLockedValue({ $0.machine.startFailed() }) {
            case .close:
                close()
            case .none:
                break
            }
            throw error
        }
        pool.setInboundRequestHandler { [weak self] request, address in
            self?.handleBrokerRequest(request, from: address)
        }
        await sendHeartbeats()
        switch state.withLockedValue({ $0.machine.joined() }) {
        case .none:
            return
        case .rebalanceAndStartTimers:
            await rebalance()
            startTimers()
        }
    }

    /// Asks a broker of each SQL92 subscription's topic whether it accepts the expression
    /// (CHECK_CLIENT_CONFIG), as `start` does first, without joining the group: for a caller that
    /// wants a refusal before it starts. Throws `.subscriptionRefused` with the broker's remark.
    /// Call it on a consumer that is not started; `stop` it afterwards.
    public func checkSubscriptions() async throws {
        try await nameServer.start()
        try await checkFilters()
    }

    /// `MQClientInstance.checkClientInBroker`, run by the Java push consumer's start: one broker
    /// per topic (the brokers of a cluster are assumed to be configured alike); tag subscriptions
    /// need no check.
    private func checkFilters() async throws {
        let clientID = configuration.client.clientID
        for subscription in subscriptions.values.sorted(by: { $0.topic < $1.topic }) where subscription.type != .tag {
            let route = try await nameServer.route(for: subscription.topic)
            guard let address = route.masterAddresses.first else {
                throw RocketMQError.unreachable(address: subscription.topic, reason: "no master broker serves the topic")
            }
            try await broker.checkClientConfig(
                group: wireGroup, clientID: clientID, subscription: subscription.subscriptionData(subVersion: WallClock.nowMillis()),
                address: address)
        }
    }

    /// Acknowledges one delivery. `success: false` sends the message back for a later redelivery
    /// (or the DLQ); broadcasting, it is delivered again here after the back-off. Unknown or
    /// repeated handles are ignored (logged). Never blocks.
    public func ack(_ handle: DeliveryHandle, success: Bool) {
        let now = NIODeadline.now()
        apply(state.withLockedValue { $0.machine.ack(handle, success: success, now: now) }, to: handle)
    }

    /// Moves a delivery the application can never take (too large for it) to the group's DLQ at
    /// once, instead of through every redelivery first. Never blocks.
    public func deadLetter(_ handle: DeliveryHandle) {
        let now = NIODeadline.now()
        apply(state.withLockedValue { $0.machine.deadLetter(handle, now: now) }, to: handle)
    }

    private func apply(_ ackAction: ConsumerStateMachine.AckAction, to handle: DeliveryHandle) {
        switch ackAction {
        case .unknownHandle:
            logger.debug("ack for an unknown delivery ignored", metadata: ["handle": "\(handle)"])
        case .staleGeneration(let ready):
            logger.debug("ack ignored: the message's queue was rebalanced away since", metadata: ["handle": "\(handle)"])
            messages.append(ready)
        case .applied(let action):
            perform(action)
        }
    }

    /// Leaves the group: stops pulling, persists offsets (never past an unacknowledged message),
    /// unlocks (orderly), unregisters, closes connections and finishes `messages`. Messages not
    /// acknowledged by now are delivered again later (to this group). Idempotent.
    public func stop() async {
        let (action, tasks) = state.withLockedValue { state -> (ConsumerStateMachine.StopAction, [Task<Void, Never>]) in
            let action = state.machine.stopRequested()
            switch action {
            case .stop:
                let tasks = state.timers + state.pullLoops.values
                state.timers = []
                state.pullLoops = [:]
                state.rebalanceTrigger?.finish()
                state.rebalanceTrigger = nil
                return (action, tasks)
            case .close, .waitForStop, .none:
                return (action, [])
            }
        }
        for task in tasks { task.cancel() }
        switch action {
        case .none:
            return
        case .close:
            close()
            return
        case .waitForStop:
            while state.withLockedValue({ $0.machine.phase }) != .stopped {
                try? await Task.sleep(for: .milliseconds(5))
            }
            return
        case .stop(let unlock):
            // Failed messages being sent back finish first (bounded), so a message that went back
            // to the broker is committed past instead of coming again from its queue.
            let deadline = NIODeadline.now() + configuration.client.requestTimeout
            while state.withLockedValue({ $0.machine.sendBacksInFlight }) > 0, NIODeadline.now() < deadline {
                try? await Task.sleep(for: .milliseconds(5))
            }
            await commit(state.withLockedValue { $0.machine.offsetsToCommit(unchangedToo: true) })
            await self.unlock(unlock)
            for address in await brokerAddresses() {
                do {
                    try await broker.unregister(
                        clientID: configuration.client.clientID, consumerGroup: wireGroup, producerGroup: nil, address: address)
                } catch {
                    logger.debug("unregister failed", metadata: ["address": "\(address)", "error": "\(error)"])
                }
            }
            state.withLockedValue { $0.machine.stopFinished() }
            close()
        }
    }

    /// Persists the committable offset of every owned queue now (also done every 5 s).
    public func persistOffsets() async {
        await commit(state.withLockedValue { $0.machine.offsetsToCommit(unchangedToo: false) })
    }

    /// Queues this consumer owns now (for tests and diagnostics).
    public var ownedQueues: [MessageQueue] {
        state.withLockedValue { $0.machine.ownedQueues }
    }

    /// Messages delivered and not yet acknowledged.
    public var inFlightCount: Int {
        state.withLockedValue { $0.machine.inFlightCount }
    }

    /// Asks for a rebalance now (as NOTIFY_CONSUMER_IDS_CHANGED does).
    public func triggerRebalance() {
        state.withLockedValue { state in
            switch state.machine.rebalanceRequested() {
            case .rebalance:
                // At most one waits: requests made while a rebalance runs become one more.
                state.rebalanceTrigger?.yield(())
            case .none:
                break
            }
        }
    }

    // MARK: - Carrying out the machine's actions

    private func perform(_ action: ConsumerStateMachine.DeliveryAction) {
        switch action {
        case .deliver(let ready):
            messages.append(ready)
        case .deliverAndSendBack(let ready, let sendBack):
            messages.append(ready)
            Task { await self.sendBack(sendBack) }
        case .deliverAndWakeUp(let ready, let deadline):
            messages.append(ready)
            wakeUp(at: deadline)
        }
    }

    /// Reports `backoffEnded` to the machine at `deadline`.
    private func wakeUp(at deadline: NIODeadline) {
        let delay = deadline - .now()
        Task { [weak self] in
            if delay > .zero { try? await Task.sleep(nanoseconds: UInt64(delay.nanoseconds)) }
            guard let self else { return }
            let now = NIODeadline.now()
            self.messages.append(self.state.withLockedValue { $0.machine.backoffEnded(now: now) })
        }
    }

    private func sendBack(_ sendBack: ConsumerStateMachine.SendBack) async {
        var succeeded = false
        do {
            try await broker.sendBack(
                group: wireGroup, message: sendBack.message, queue: sendBack.queue, delayLevel: sendBack.delayLevel,
                maxReconsumeTimes: configuration.maxReconsumeTimes)
            succeeded = true
            if sendBack.delayLevel < 0 { countDeadLettered(sendBack.message) }
        } catch {
            logger.warning(
                "send-back failed; redelivering locally after a back-off",
                metadata: ["queue": "\(sendBack.queue)", "offset": "\(sendBack.message.queueOffset)", "error": "\(error)"])
        }
        let now = NIODeadline.now()
        perform(state.withLockedValue { $0.machine.sendBackFinished(sendBack, succeeded: succeeded, now: now) })
    }

    /// `dapr_rocketmq_messages_dead_lettered_total{topic}` for a message this consumer moved to the
    /// DLQ itself (delay level -1: orderly or broadcasting past `maxReconsumeTimes`, or one the
    /// application can never take). A clustering failure the broker moves there after a retry
    /// is counted by the caller, which sees the reconsume count.
    private func countDeadLettered(_ message: StoredMessage) {
        let topic = namespace.unwrap(message.properties[MessagePropertyKey.retryTopic] ?? message.topic)
        Counter(label: "dapr_rocketmq_messages_dead_lettered_total", dimensions: [("topic", topic)]).increment()
    }

    /// Finishes `messages` and releases the connections and the name-server refresh.
    private func close() {
        messages.finish()
        nameServer.shutdown()
        pool.shutdown()
    }

    // MARK: - Pulling

    private func pullLoop(queue: MessageQueue, generation: UInt64) async {
        while !Task.isCancelled {
            let now = NIODeadline.now()
            switch state.withLockedValue({ $0.machine.nextPull(of: queue, generation: generation, now: now) }) {
            case .stop:
                return
            case .wait(let delay):
                try? await Task.sleep(nanoseconds: UInt64(delay.nanoseconds))
            case .readOffsetWhenLocked:
                await readOffsetWhenLocked(queue: queue, generation: generation)
            case .pull(let offset, let subscription):
                do {
                    let (result, maxOffset) = try await broker.pullWithMaxOffset(
                        group: wireGroup, queue: queue, offset: offset, maxMessages: configuration.pullBatchSize,
                        subscription: subscription, suspend: configuration.pullSuspendTimeout)
                    if let maxOffset { lag.pulled(queue, nextOffset: result.nextBeginOffset, maxOffset: maxOffset) }
                    if case .offsetMoved(let next) = result {
                        logger.warning("offset moved", metadata: ["queue": "\(queue)", "next": "\(next)"])
                    }
                    let now = NIODeadline.now()
                    messages.append(state.withLockedValue { $0.machine.pulled(result, from: queue, generation: generation, now: now) })
                } catch {
                    guard !Task.isCancelled else { return }
                    logger.debug("pull failed", metadata: ["queue": "\(queue)", "error": "\(error)"])
                    try? await Task.sleep(nanoseconds: UInt64(configuration.pullErrorBackoff.nanoseconds))
                }
            }
        }
    }

    /// Orderly: the offset is read again once the queue is locked (see
    /// `ConsumerStateMachine.lockedQueueOffsetRead`). A failure is retried after the pull back-off.
    private func readOffsetWhenLocked(queue: MessageQueue, generation: UInt64) async {
        do {
            let offset = try await startOffset(of: queue)
            state.withLockedValue { $0.machine.lockedQueueOffsetRead(queue, generation: generation, offset: offset) }
        } catch {
            guard !Task.isCancelled else { return }
            logger.warning("could not read the offset of a newly locked queue", metadata: ["queue": "\(queue)", "error": "\(error)"])
            try? await Task.sleep(nanoseconds: UInt64(configuration.pullErrorBackoff.nanoseconds))
        }
    }

    // MARK: - Rebalance

    private func rebalance() async {
        for (topic, subscription) in subscriptions.sorted(by: { $0.key < $1.key }) {
            guard state.withLockedValue({ $0.machine.phase }) == .running else { return }
            do {
                let route = try await nameServer.route(for: topic)
                let queues = route.subscribeQueues(topic: topic)
                guard let address = route.masterAddresses.first else { continue }
                let members = state.withLockedValue({ $0.machine.rebalanceNeedsMembers })
                    ? try await broker.consumerList(group: wireGroup, address: address) : []
                let (action, ended) = state.withLockedValue { state -> (ConsumerStateMachine.RebalanceAction, [Task<Void, Never>]) in
                    let action = state.machine.rebalance(topic: topic, queues: queues, members: members)
                    switch action {
                    case .none:
                        return (action, [])
                    case .change(_, let removed, _, _):
                        return (action, state.takePullLoops(of: removed))
                    }
                }
                for task in ended { task.cancel() }
                switch action {
                case .none:
                    break
                case .change(let added, let removed, let commits, let unlock):
                    logger.info("rebalanced", metadata: [
                        "topic": "\(topic)", "added": "\(added.map(\.queueId))", "removed": "\(removed.map(\.queueId))",
                        "members": "\(members.count)",
                    ])
                    lag.remove(removed)
                    await commit(commits)
                    await self.unlock(unlock)
                    await addQueues(added, subscription: subscription)
                }
            } catch {
                logger.debug("rebalance of topic skipped", metadata: ["topic": "\(topic)", "error": "\(error)"])
            }
        }
    }

    private func addQueues(_ queues: [MessageQueue], subscription: Subscription) async {
        for queue in queues {
            do {
                let offset = try await startOffset(of: queue)
                let replaced = state.withLockedValue { state -> Task<Void, Never>? in
                    switch state.machine.queueStarted(queue, subscription: subscription, offset: offset) {
                    case .none:
                        return nil
                    case .startPulling(let generation):
                        let loop: Task<Void, Never> = Task { [weak self] in await self?.pullLoop(queue: queue, generation: generation) }
                        return state.pullLoops.updateValue(loop, forKey: queue)
                    }
                }
                replaced?.cancel()
            } catch {
                logger.warning("could not start queue", metadata: ["queue": "\(queue)", "error": "\(error)"])
                state.withLockedValue { $0.machine.queueStartFailed(queue) }
            }
        }
        if configuration.orderly { await lockOwnedQueues() }
    }

    /// RESET_CONSUMER_CLIENT_OFFSET (docs/protocol-remoting.md §2.16): see
    /// `ConsumerStateMachine.offsetsReset`.
    private func resetOffsets(_ table: [MessageQueue: Int64]) async {
        let (dropped, ended) = state.withLockedValue { state -> ([MessageQueue], [Task<Void, Never>]) in
            let dropped = state.machine.offsetsReset(for: Array(table.keys))
            return (dropped, state.takePullLoops(of: dropped))
        }
        for task in ended { task.cancel() }
        for queue in dropped {
            guard let offset = table[queue], let store = offsetStore else { continue }
            let reset = ConsumerStateMachine.OffsetCommit(queue: queue, offset: offset)
            if await store.store([reset], logger: logger).isEmpty {
                logger.warning("offset reset not stored", metadata: ["queue": "\(queue)", "offset": "\(offset)"])
            } else {
                logger.info("offset reset by the broker", metadata: ["queue": "\(queue)", "offset": "\(offset)"])
            }
        }
        if !dropped.isEmpty { triggerRebalance() }
    }

    // MARK: - Offsets, heartbeats, locks, timeouts

    /// The offset store, once there is one (a broadcasting consumer's is read at start).
    private var offsetStore: ConsumerOffsetStore? {
        state.withLockedValue { $0.offsetStore }
    }

    /// Where consumption of an added queue starts: the stored offset (the broker's, or this
    /// broadcasting member's file), else the consume-from policy (docs/protocol-remoting.md §5.6).
    private func startOffset(of queue: MessageQueue) async throws -> Int64 {
        guard let store = offsetStore else { throw RocketMQError.notRunning }
        return try await broker.startOffset(
            stored: try await store.storedOffset(of: queue), queue: queue, policy: configuration.consumeFromWhere)
    }

    private func commit(_ commits: [ConsumerStateMachine.OffsetCommit]) async {
        guard !commits.isEmpty, let store = offsetStore else { return }
        for stored in await store.store(commits, logger: logger) {
            state.withLockedValue { $0.machine.offsetCommitted(stored) }
        }
    }

    private func heartbeatData() -> HeartbeatData {
        let version = WallClock.nowMillis()
        let subscriptionData = subscriptions.values.sorted { $0.topic < $1.topic }.map { $0.subscriptionData(subVersion: version) }
        let consumer = ConsumerData(
            groupName: wireGroup, consumeType: "CONSUME_PASSIVELY", messageModel: configuration.messageModel.wireName,
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
        let wanted = state.withLockedValue { $0.machine.queuesToLock(now: .now()) }
        guard !wanted.isEmpty else { return }
        for (_, queues) in Dictionary(grouping: wanted, by: \.brokerName).sorted(by: { $0.key < $1.key }) {
            guard let first = queues.first, let address = try? await broker.masterAddress(for: first) else { continue }
            do {
                let granted = try await broker.lock(
                    group: wireGroup, clientID: configuration.client.clientID, queues: queues, address: address)
                let now = NIODeadline.now()
                messages.append(state.withLockedValue { $0.machine.locksAnswered(for: queues, granted: granted, now: now) })
            } catch {
                logger.warning("lock failed", metadata: ["address": "\(address)", "error": "\(error)"])
            }
        }
    }

    private func unlock(_ queues: [MessageQueue]) async {
        for (_, group) in Dictionary(grouping: queues, by: \.brokerName) {
            guard let first = group.first, let address = try? await broker.masterAddress(for: first) else { continue }
            try? await broker.unlock(group: wireGroup, clientID: configuration.client.clientID, queues: group, address: address)
        }
    }

    /// The consume-timeout sweep: a delivery older than the consume timeout counts as a failure.
    private func expireStaleDeliveries() {
        for handle in state.withLockedValue({ $0.machine.expiredDeliveries(now: .now()) }) {
            logger.warning("consume timeout; treating as a failure", metadata: ["handle": "\(handle)"])
            ack(handle, success: false)
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
            guard state.machine.phase == .running else { return true }
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
        let subscriptionData = subscriptions.values.sorted { $0.topic < $1.topic }.map { $0.subscriptionData(subVersion: version) }
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
