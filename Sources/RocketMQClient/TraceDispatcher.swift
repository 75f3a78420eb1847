import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RocketMQWire

/// Writes message-trace records (``TraceRecord``) to the trace topic in the background, as the
/// Java client's `AsyncTraceDispatcher` does (docs/protocol-remoting.md §11.3): records are
/// buffered, cut into batches by ``TraceBatchPolicy`` and sent by a producer of their own, in the
/// group `_INNER_TRACE_PRODUCER-<group>-<PRODUCE|CONSUME>-<n>`, without namespace.
///
/// The message path never waits for it and never sees its failures: ``append(_:)`` takes a lock
/// for an array append and returns; when the buffer is full the record is dropped and counted;
/// a failed trace send is counted and logged at most once per ``reportInterval``.
///
/// Thread-safe: `append` may be called from any thread or task, concurrently.
public final class TraceDispatcher: Sendable {
    /// Whose records these are; part of the trace producer's group name, as in Java.
    public enum Role: String, Sendable {
        case produce = "PRODUCE"
        case consume = "CONSUME"
    }

    /// What happened to the records appended so far.
    public struct Counts: Sendable, Equatable {
        /// Records stored on the trace topic.
        public var written = 0
        /// Records refused because the buffer was full (or the dispatcher stopping).
        public var dropped = 0
        /// Records lost because their trace message could not be sent.
        public var failed = 0
    }

    private struct State {
        var pending: [TraceRecord] = []
        var oldestPendingSince: ContinuousClock.Instant?
        var counts = Counts()
        var stopping = false
        var worker: Task<Void, Never>?
        /// Drops and failures not logged yet, and when they were last logged.
        var unreportedDrops = 0
        var unreportedFailures = 0
        var lastReport: ContinuousClock.Instant?
    }

    /// The trace topic written to.
    public let traceTopic: String
    /// The trace producer's group.
    public let producerGroup: String
    private let capacity: Int
    private let policy: TraceBatchPolicy
    private let producer: Producer
    private let logger: Logger
    private let ids = MessageIDGenerator()
    private let state = NIOLockedValueBox(State())
    /// Wakes the worker when the buffer stops being empty; one pending wake-up is enough.
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    /// Trace producers of one process are numbered, as Java numbers its dispatchers.
    private static let instances = NIOLockedValueBox(0)
    /// How often a worker with records not yet due looks again (to catch a full batch early).
    static let pollInterval: Duration = .milliseconds(10)
    /// Drops and send failures are logged at most this often.
    public static let reportInterval: Duration = .seconds(30)
    /// Trace messages in flight at once (Java sends from a pool of up to 4 threads).
    static let maxConcurrentSends = 4

    /// - Parameters:
    ///   - client: the traced client's settings: the same name servers and credentials; the
    ///     namespace is left out (the Java 4.x trace producer has none, so the topic is found
    ///     under its plain name) and the client id is a fresh one.
    ///   - group: the traced producer's or consumer's group, without namespace.
    ///   - capacity: records buffered at most (Java: 2048); more are dropped and counted.
    public init(
        client: ClientConfiguration, group: String, role: Role, traceTopic: String = TraceRecord.defaultTopic,
        capacity: Int = 10_000, policy: TraceBatchPolicy = TraceBatchPolicy(),
        eventLoopGroup: EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger = Logger(label: "rocketmq.trace")
    ) {
        let number = Self.instances.withLockedValue { count -> Int in
            count += 1
            return count
        }
        var traceClient = client
        traceClient.namespace = nil
        traceClient.clientID = ClientIdentity.defaultClientID()
        self.traceTopic = traceTopic
        self.producerGroup = "_INNER_TRACE_PRODUCER-\(group)-\(role.rawValue)-\(number)"
        self.capacity = max(1, capacity)
        self.policy = policy
        var logger = logger
        logger[metadataKey: "traceTopic"] = "\(traceTopic)"
        self.logger = logger
        // Java's trace producer: 5 s per send; a trace batch may reach 128 000 bytes and more.
        producer = Producer(configuration: ProducerConfiguration(client: traceClient, group: producerGroup, sendTimeout: .seconds(5)),
                            eventLoopGroup: eventLoopGroup, logger: logger)
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Starts the background writer. The trace producer itself starts with the first batch (and
    /// again with a later one if it could not), so an unreachable name server delays nothing here.
    public func start() {
        state.withLockedValue { state in
            guard state.worker == nil, !state.stopping else { return }
            state.worker = Task { await self.run() }
        }
    }

    /// Buffers `record` for the trace topic. Never blocks and never throws: false when the buffer
    /// is full (the record is dropped and counted) or the dispatcher is stopping.
    @discardableResult
    public func append(_ record: TraceRecord) -> Bool {
        let now = ContinuousClock.now
        let (accepted, wakeWorker, dropsToReport) = state.withLockedValue { state -> (Bool, Bool, Int?) in
            guard !state.stopping, state.pending.count < capacity else {
                state.counts.dropped += 1
                state.unreportedDrops += 1
                return (false, false, Self.takeReport(&state, now: now, \.unreportedDrops))
            }
            state.pending.append(record)
            if state.oldestPendingSince == nil { state.oldestPendingSince = now }
            return (true, state.pending.count == 1, nil)
        }
        if wakeWorker { wake.yield() }
        if let dropsToReport {
            logger.warning("message trace buffer full: records dropped (the messages themselves are unaffected)",
                           metadata: ["dropped": "\(dropsToReport)", "capacity": "\(capacity)"])
        }
        return accepted
    }

    /// A fresh unique id, pairing a SubBefore record with its SubAfter (Java uses a message id).
    public func makeRequestID() -> String { ids.next() }

    public var counts: Counts { state.withLockedValue { $0.counts } }

    /// Sends what is buffered, waiting at most `timeout` for it, then shuts the trace producer
    /// down. Records appended from now on are refused. Idempotent.
    public func stop(timeout: Duration = .seconds(3)) async {
        let worker = state.withLockedValue { state -> Task<Void, Never>? in
            state.stopping = true
            defer { state.worker = nil }
            return state.worker
        }
        wake.finish()
        if let worker {
            let finished = (try? await FirstAnswer.of([
                { await worker.value; return true },
                { try await Task.sleep(for: timeout); return false },
            ])) ?? false
            if !finished {
                worker.cancel()
                logger.warning("message trace records still unsent at stop were dropped", metadata: ["waited": "\(timeout)"])
            }
        }
        await producer.shutdown()
    }

    // MARK: - The worker

    private func run() async {
        var producerStarted = false
        for await _ in wakeups {
            await drain(&producerStarted)
        }
        // Stopping: what is still buffered goes out now, due or not.
        await drain(&producerStarted)
    }

    /// Sends due batches until the buffer is empty, looking again every `pollInterval` while
    /// records wait to become due.
    private func drain(_ producerStarted: inout Bool) async {
        while !Task.isCancelled {
            let now = ContinuousClock.now
            let (records, notDueFor) = state.withLockedValue { state -> ([TraceRecord], Duration?) in
                guard let oldest = state.oldestPendingSince else { return ([], nil) }
                let waited = now - oldest
                guard state.stopping || policy.isDue(pending: state.pending.count, oldestWaited: waited) else {
                    return ([], policy.maxDelay - waited)
                }
                var taken: [TraceRecord] = []
                swap(&taken, &state.pending)
                state.oldestPendingSince = nil
                return (taken, nil)
            }
            if !records.isEmpty {
                await send(records, &producerStarted)
                continue
            }
            guard let notDueFor else { return }
            try? await Task.sleep(for: min(notDueFor, Self.pollInterval))
        }
    }

    private func send(_ records: [TraceRecord], _ producerStarted: inout Bool) async {
        if !producerStarted {
            do {
                try await producer.start()
                producerStarted = true
            } catch {
                noteFailure(records: records.count, error)
                return
            }
        }
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for batch in policy.batches(records) {
                if inFlight == Self.maxConcurrentSends {
                    await group.next()
                    inFlight -= 1
                }
                group.addTask { await self.write(batch) }
                inFlight += 1
            }
        }
    }

    private func write(_ batch: TraceBatch) async {
        do {
            _ = try await producer.send(OutgoingMessage(topic: traceTopic, body: Array(batch.body.utf8), keys: batch.keys))
            state.withLockedValue { $0.counts.written += batch.recordCount }
        } catch {
            noteFailure(records: batch.recordCount, error)
        }
    }

    private func noteFailure(records: Int, _ error: Error) {
        let now = ContinuousClock.now
        let report = state.withLockedValue { state -> Int? in
            state.counts.failed += records
            state.unreportedFailures += records
            return Self.takeReport(&state, now: now, \.unreportedFailures)
        }
        if let report {
            logger.warning("message trace records not written (the messages themselves are unaffected)",
                           metadata: ["records": "\(report)", "error": "\(error)"])
        }
    }

    /// The count at `counter` to log now, reset, when the last report is `reportInterval` old.
    private static func takeReport(_ state: inout State, now: ContinuousClock.Instant, _ counter: WritableKeyPath<State, Int>) -> Int? {
        if let last = state.lastReport, now - last < reportInterval { return nil }
        state.lastReport = now
        defer { state[keyPath: counter] = 0 }
        return state[keyPath: counter]
    }
}
