import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import RocketMQHTTP

/// The protocol logic of ``MQHTTPTestServer``: checks, routing, the three operations, held long
/// polls and fault switches. Connection handlers call ``handle(_:on:)`` on their event loop; the
/// public facade calls the inspection methods from any thread. State sits behind one lock, which
/// is never held while a promise is completed or a continuation resumed.
final class MQHTTPServerCore: Sendable {
    /// A canned answer queued by the fault switches, used by the next request whatever it is.
    enum Fault: Sendable {
        case refuse(MQHTTPRefusal)
        case malformedBody(String)
    }

    /// A consume held for long polling until messages, its wait's end, shutdown or its connection closing.
    struct HeldPoll {
        var channelID: ObjectIdentifier
        var group: MQHTTPGroupKey
        var filter: MQHTTPTagFilter
        var count: Int
        var requestID: String
        var promise: EventLoopPromise<MQHTTPAnswer>
        var timeout: Scheduled<Void>?
        /// When the earliest invisible or scheduled message of the poll may become visible.
        var recheck: Scheduled<Void>?

        func cancelTimers() {
            timeout?.cancel()
            recheck?.cancel()
        }
    }

    struct State {
        var store = MQHTTPMessageStore()
        var requests: [MQHTTPRecordedRequest] = []
        var faults: [Fault] = []
        var heldPolls: [Int: HeldPoll] = [:]
        var nextPollID = 0
        /// Callers of ``waitForHeldPolls(_:)``: resumed when the held-poll count satisfies them.
        var heldPollWaiters: [(isSatisfied: @Sendable (Int) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []

        /// Removes and returns the waiters the current held-poll count satisfies.
        mutating func satisfiedWaiters() -> [CheckedContinuation<Void, Never>] {
            let count = heldPolls.count
            let ready = heldPollWaiters.filter { $0.isSatisfied(count) }.map(\.continuation)
            heldPollWaiters.removeAll { $0.isSatisfied(count) }
            return ready
        }
        var connections: [ObjectIdentifier: Channel] = [:]
        var shuttingDown = false
        var requestSequence: UInt64 = 0
    }

    /// Work collected under the lock and done after it is released.
    struct Completions {
        var answers: [(EventLoopPromise<MQHTTPAnswer>, MQHTTPAnswer)] = []
        var failures: [EventLoopPromise<MQHTTPAnswer>] = []
        var waiters: [CheckedContinuation<Void, Never>] = []

        func run() {
            for (promise, answer) in answers { promise.succeed(answer) }
            for promise in failures { promise.fail(ChannelError.ioOnClosedChannel) }
            for waiter in waiters { waiter.resume() }
        }
    }

    let verifier: MQHTTPRequestVerifier
    /// How long a handed-out, unacked message stays invisible, in ms.
    let invisibleForMillis: Int64
    let maxRequestBodyBytes: Int
    let logger: Logger
    private let requestIDPrefix = UInt32.random(in: .min ... .max)
    private let state = NIOLockedValueBox(State())
    /// The server's URL, for `<HostId>`; set once bound. Its own lock: answers are built while
    /// `state` is held.
    private let hostID = NIOLockedValueBox("")

    init(credentials: [String: String], invisibleFor: Duration, maxRequestBodyBytes: Int, logger: Logger) {
        verifier = MQHTTPRequestVerifier(credentials: credentials)
        let (seconds, attoseconds) = invisibleFor.components
        invisibleForMillis = max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.logger = logger
    }

    static func nowMillis() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    // MARK: Requests

    /// Answers one complete request. The future is of `channel`'s event loop; it is already
    /// completed unless the request is a long poll that has to wait.
    func handle(_ request: MQHTTPRecordedRequest, on channel: Channel) -> EventLoopFuture<MQHTTPAnswer> {
        let loop = channel.eventLoop
        let (requestID, fault, shuttingDown) = state.withLockedValue { state in
            state.requests.append(request)
            return (makeRequestID(&state), state.faults.isEmpty ? nil : state.faults.removeFirst(), state.shuttingDown)
        }
        if shuttingDown {
            return loop.makeSucceededFuture(errorAnswer(
                MQHTTPRefusal(.serviceUnavailable, "InternalError", "The test server is shutting down."), requestID, close: true))
        }
        switch fault {
        case .refuse(let refusal):
            return loop.makeSucceededFuture(errorAnswer(refusal, requestID))
        case .malformedBody(let body):
            return loop.makeSucceededFuture(MQHTTPAnswer(status: .ok, body: Array(body.utf8), requestID: requestID))
        case nil:
            break
        }
        if let refusal = verifier.verify(request, now: Date()) {
            return loop.makeSucceededFuture(errorAnswer(refusal, requestID))
        }
        let route: MQHTTPRoute
        switch MQHTTPRoute.parse(request) {
        case .success(let parsed): route = parsed
        case .failure(let refusal): return loop.makeSucceededFuture(errorAnswer(refusal, requestID))
        }
        switch route.operation {
        case .publish: return loop.makeSucceededFuture(publish(request, route, requestID))
        case .consume: return consume(route, requestID, on: channel)
        case .ack: return loop.makeSucceededFuture(ack(request, route, requestID))
        }
    }

    /// The answer to a request whose body passed ``maxRequestBodyBytes``: recorded, then refused.
    func refuseTooLarge(_ request: MQHTTPRecordedRequest) -> MQHTTPAnswer {
        let requestID = state.withLockedValue { state in
            state.requests.append(request)
            return makeRequestID(&state)
        }
        return errorAnswer(MQHTTPRefusal(.payloadTooLarge, "InvalidArgument",
                                         "The request body is larger than \(maxRequestBodyBytes) bytes."), requestID, close: true)
    }

    private func publish(_ request: MQHTTPRecordedRequest, _ route: MQHTTPRoute, _ requestID: String) -> MQHTTPAnswer {
        guard let message = try? MQHTTPXML.decode(MQHTTPPublishRequest.self, from: request.body) else {
            return errorAnswer(MQHTTPRefusal(.badRequest, "MalformedXML", "The request body is not a <Message> XML document."), requestID)
        }
        let properties = MQHTTPProperties.decode(message.properties ?? "")
        var startDeliverTime: Int64?
        if let text = properties[MQHTTPProperties.startDeliverTimeKey] {
            guard let time = Int64(text) else {
                return errorAnswer(.invalidArgument("\(MQHTTPProperties.startDeliverTimeKey) must be epoch milliseconds."), requestID)
            }
            startDeliverTime = time
        }
        if properties[MQHTTPProperties.transactionCheckKey] != nil {
            return errorAnswer(.invalidArgument("Transactional messages (\(MQHTTPProperties.transactionCheckKey)) are not implemented by this test double."), requestID)
        }
        let now = Self.nowMillis()
        let tag = message.tag?.isEmpty == false ? message.tag : nil
        let outcome: Result<MQHTTPStoredMessage, MQHTTPRefusal>
        var completions = Completions()
        outcome = state.withLockedValue { state in
            guard state.store.topicExists(route.topic) else { return .failure(Self.topicNotExist(route.topic)) }
            let stored = state.store.publish(route.topic, body: message.body, tag: tag, properties: properties,
                                             startDeliverTime: startDeliverTime, now: now)
            for id in state.heldPolls.keys.sorted() where state.heldPolls[id]?.group.topic == route.topic {
                serveHeldPoll(id, &state, now: now, final: false, into: &completions)
            }
            return .success(stored)
        }
        completions.run()
        switch outcome {
        case .failure(let refusal):
            return errorAnswer(refusal, requestID)
        case .success(let stored):
            logger.debug("published", metadata: ["topic": "\(route.topic.topic)", "messageID": "\(stored.id)"])
            return xmlAnswer(.created, MQHTTPPublishReceipt(messageID: stored.id, bodyMD5: stored.bodyMD5),
                             root: MQHTTPXML.messageRoot, requestID)
        }
    }

    private func consume(_ route: MQHTTPRoute, _ requestID: String, on channel: Channel) -> EventLoopFuture<MQHTTPAnswer> {
        let loop = channel.eventLoop
        guard let group = route.parameters["consumer"], !group.isEmpty else {
            return loop.makeSucceededFuture(errorAnswer(.invalidArgument("The consumer parameter is required."), requestID))
        }
        guard let count = route.parameters["numOfMessages"].flatMap({ Int($0) }), (1...16).contains(count) else {
            return loop.makeSucceededFuture(errorAnswer(.invalidArgument("numOfMessages must be an integer in 1...16."), requestID))
        }
        var wait = 0
        if let text = route.parameters["waitseconds"] {
            guard let seconds = Int(text), (0...30).contains(seconds) else {
                return loop.makeSucceededFuture(errorAnswer(.invalidArgument("waitseconds must be an integer in 0...30."), requestID))
            }
            wait = seconds
        }
        let key = MQHTTPGroupKey(topic: route.topic, group: group)
        let filter = MQHTTPTagFilter(route.parameters["tag"])
        let now = Self.nowMillis()
        var completions = Completions()
        let future: EventLoopFuture<MQHTTPAnswer> = state.withLockedValue { state in
            guard state.store.topicExists(route.topic) else {
                return loop.makeSucceededFuture(errorAnswer(Self.topicNotExist(route.topic), requestID))
            }
            let taken = state.store.take(key, filter: filter, count: count, now: now, invisibleFor: invisibleForMillis)
            if !taken.isEmpty {
                return loop.makeSucceededFuture(messagesAnswer(taken, requestID))
            }
            if wait == 0 || state.shuttingDown {
                return loop.makeSucceededFuture(errorAnswer(Self.messageNotExist, requestID))
            }
            let id = state.nextPollID
            state.nextPollID += 1
            let promise = loop.makePromise(of: MQHTTPAnswer.self)
            var poll = HeldPoll(channelID: ObjectIdentifier(channel), group: key, filter: filter, count: count,
                                requestID: requestID, promise: promise)
            poll.timeout = loop.scheduleTask(in: .seconds(Int64(wait))) { [weak self] in self?.heldPollTimedOut(id) }
            poll.recheck = scheduleRecheck(id, poll, state.store, now: now)
            state.heldPolls[id] = poll
            completions.waiters = state.satisfiedWaiters()
            return promise.futureResult
        }
        completions.run()
        return future
    }

    private func ack(_ request: MQHTTPRecordedRequest, _ route: MQHTTPRoute, _ requestID: String) -> MQHTTPAnswer {
        guard let group = route.parameters["consumer"], !group.isEmpty else {
            return errorAnswer(.invalidArgument("The consumer parameter is required."), requestID)
        }
        guard let handles = try? MQHTTPXML.decode(MQHTTPReceiptHandles.self, from: request.body).handles else {
            return errorAnswer(MQHTTPRefusal(.badRequest, "MalformedXML", "The request body is not a <ReceiptHandles> XML document."), requestID)
        }
        guard !handles.isEmpty else {
            return errorAnswer(MQHTTPRefusal(.badRequest, "MissingReceiptHandle", "The request has no <ReceiptHandle>."), requestID)
        }
        let key = MQHTTPGroupKey(topic: route.topic, group: group)
        let now = Self.nowMillis()
        let outcome: Result<[MQHTTPAckFailure], MQHTTPRefusal> = state.withLockedValue { state in
            guard state.store.topicExists(route.topic) else { return .failure(Self.topicNotExist(route.topic)) }
            var failures: [MQHTTPAckFailure] = []
            for handle in handles {
                switch state.store.ack(handle, group: key, now: now) {
                case .acked:
                    break
                case .invalidHandle:
                    failures.append(MQHTTPAckFailure(code: "ReceiptHandleError", message: "The receipt handle you provide is not valid.",
                                                     receiptHandle: handle))
                case .expired:
                    failures.append(MQHTTPAckFailure(code: Self.messageNotExist.code, message: Self.messageNotExist.message,
                                                     receiptHandle: handle))
                }
            }
            return .success(failures)
        }
        switch outcome {
        case .failure(let refusal):
            return errorAnswer(refusal, requestID)
        case .success(let failures) where failures.isEmpty:
            return MQHTTPAnswer(status: .noContent, body: [], requestID: requestID)
        case .success(let failures):
            return xmlAnswer(.notFound, MQHTTPAckFailures(failures: failures), root: MQHTTPXML.errorsRoot, requestID)
        }
    }

    // MARK: Held polls

    /// Tries a held poll again: answered with messages if any are visible now; with
    /// `MessageNotExist` if `final` (its wait is over); otherwise kept, with its re-check moved.
    private func serveHeldPoll(_ id: Int, _ state: inout State, now: Int64, final: Bool, into completions: inout Completions) {
        guard var poll = state.heldPolls[id] else { return }
        let taken = state.store.take(poll.group, filter: poll.filter, count: poll.count, now: now, invisibleFor: invisibleForMillis)
        if !taken.isEmpty || final {
            state.heldPolls[id] = nil
            completions.waiters += state.satisfiedWaiters()
            poll.cancelTimers()
            completions.answers.append((poll.promise, taken.isEmpty ? errorAnswer(Self.messageNotExist, poll.requestID)
                                                                    : messagesAnswer(taken, poll.requestID)))
            return
        }
        poll.recheck?.cancel()
        poll.recheck = scheduleRecheck(id, poll, state.store, now: now)
        state.heldPolls[id] = poll
    }

    private func scheduleRecheck(_ id: Int, _ poll: HeldPoll, _ store: MQHTTPMessageStore, now: Int64) -> Scheduled<Void>? {
        guard let visibleAt = store.nextVisibleTime(poll.group, filter: poll.filter, now: now) else { return nil }
        // +1 ms: the event loop's clock is not the wall clock; an early wake-up just re-schedules.
        return poll.promise.futureResult.eventLoop.scheduleTask(in: .milliseconds(visibleAt - now + 1)) { [weak self] in
            self?.recheckHeldPoll(id)
        }
    }

    private func recheckHeldPoll(_ id: Int) {
        var completions = Completions()
        state.withLockedValue { state in serveHeldPoll(id, &state, now: Self.nowMillis(), final: false, into: &completions) }
        completions.run()
    }

    private func heldPollTimedOut(_ id: Int) {
        var completions = Completions()
        state.withLockedValue { state in serveHeldPoll(id, &state, now: Self.nowMillis(), final: true, into: &completions) }
        completions.run()
    }

    // MARK: Connections and shutdown

    func connectionOpened(_ channel: Channel) -> Bool {
        state.withLockedValue { state in
            guard !state.shuttingDown else { return false }
            state.connections[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    /// Drops the connection and fails its held poll, if any (nobody is left to answer).
    func connectionClosed(_ channel: Channel) {
        let id = ObjectIdentifier(channel)
        var completions = Completions()
        state.withLockedValue { state in
            state.connections[id] = nil
            for (pollID, poll) in state.heldPolls where poll.channelID == id {
                state.heldPolls[pollID] = nil
                poll.cancelTimers()
                completions.failures.append(poll.promise)
            }
            completions.waiters = state.satisfiedWaiters()
        }
        completions.run()
    }

    /// Refuses new work, answers every held poll `MessageNotExist` (closing its connection after),
    /// and returns the open connections for the caller to close.
    func beginShutdown() -> [Channel] {
        var completions = Completions()
        let connections: [Channel] = state.withLockedValue { state in
            state.shuttingDown = true
            for id in state.heldPolls.keys.sorted() {
                guard let poll = state.heldPolls.removeValue(forKey: id) else { continue }
                poll.cancelTimers()
                var answer = errorAnswer(Self.messageNotExist, poll.requestID)
                answer.close = true
                completions.answers.append((poll.promise, answer))
            }
            completions.waiters = state.heldPollWaiters.map(\.continuation)
            state.heldPollWaiters = []
            return Array(state.connections.values)
        }
        completions.run()
        return connections
    }

    // MARK: Inspection and switches (any thread)

    func setHostID(_ hostID: String) {
        self.hostID.withLockedValue { $0 = hostID }
    }

    func createTopic(_ key: MQHTTPTopicKey) {
        state.withLockedValue { $0.store.createTopic(key) }
    }

    func messages(_ key: MQHTTPTopicKey) -> [MQHTTPStoredMessage] {
        state.withLockedValue { $0.store.messages[key] ?? [] }
    }

    func delivery(messageID: String, group: String) -> MQHTTPDelivery? {
        state.withLockedValue { $0.store.delivery(messageID: messageID, group: group) }
    }

    var requests: [MQHTTPRecordedRequest] {
        state.withLockedValue { $0.requests }
    }

    var heldPollCount: Int {
        state.withLockedValue { $0.heldPolls.count }
    }

    func addFaults(_ fault: Fault, count: Int) {
        guard count > 0 else { return }
        state.withLockedValue { $0.faults += Array(repeating: fault, count: count) }
    }

    /// Returns once the number of held polls satisfies `isSatisfied` (or the server shuts down).
    func waitForHeldPolls(_ isSatisfied: @escaping @Sendable (Int) -> Bool) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLockedValue { state in
                if isSatisfied(state.heldPolls.count) || state.shuttingDown { return true }
                state.heldPollWaiters.append((isSatisfied, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    // MARK: Answers

    static let messageNotExist = MQHTTPRefusal(.notFound, "MessageNotExist", "Message not exist.")

    static func topicNotExist(_ key: MQHTTPTopicKey) -> MQHTTPRefusal {
        MQHTTPRefusal(.notFound, "TopicNotExist", "The topic you provided does not exist: \(key.topic)"
                      + (key.instance.isEmpty ? "" : " (instance \(key.instance))") + ".")
    }

    private func makeRequestID(_ state: inout State) -> String {
        state.requestSequence += 1
        return Self.hex(UInt64(requestIDPrefix), width: 8) + Self.hex(state.requestSequence, width: 16)
    }

    private static func hex(_ value: UInt64, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    func errorAnswer(_ refusal: MQHTTPRefusal, _ requestID: String, close: Bool = false) -> MQHTTPAnswer {
        let hostID = self.hostID.withLockedValue { $0 }
        var answer = xmlAnswer(refusal.status, MQHTTPErrorBody(code: refusal.code, message: refusal.message, requestID: requestID, hostID: hostID),
                               root: MQHTTPXML.errorRoot, requestID)
        answer.close = close
        return answer
    }

    private func messagesAnswer(_ messages: [MQHTTPReceivedMessage], _ requestID: String) -> MQHTTPAnswer {
        xmlAnswer(.ok, MQHTTPReceivedMessages(messages: messages), root: MQHTTPXML.messagesRoot, requestID)
    }

    private func xmlAnswer<Body: MQHTTPXMLBody>(_ status: HTTPResponseStatus, _ body: Body, root: String, _ requestID: String) -> MQHTTPAnswer {
        MQHTTPAnswer(status: status, body: MQHTTPXML.encode(body, root: root, namespace: MQHTTPXML.namespace), requestID: requestID)
    }
}
