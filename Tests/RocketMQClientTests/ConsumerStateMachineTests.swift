import NIOCore
import RocketMQWire
import TestSupport
import XCTest
@testable import RocketMQClient

/// The push consumer's rules, on its state machine alone: events in, actions out, no sockets, the
/// time given.
final class ConsumerStateMachineTests: XCTestCase {
    private typealias Machine = ConsumerStateMachine

    private let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
    private let backoff: TimeAmount = .seconds(5)
    private let subscription = Subscription(topic: "T")

    // MARK: - Helpers

    private func queue(_ id: Int32) -> MessageQueue {
        MessageQueue(topic: "T", brokerName: "b", queueId: id)
    }

    private func configuration(
        maxInFlight: Int = 100, orderly: Bool = false, maxReconsumeTimes: Int = 16,
        queueLimits: ProcessQueue.Limits = ProcessQueue.Limits(), messageModel: MessageModel = .clustering
    ) -> ConsumerConfiguration {
        ConsumerConfiguration(
            client: ClientConfiguration(nameServers: ["127.0.0.1:9876"], clientID: "c1"), group: "G",
            subscriptions: [subscription], maxInFlight: maxInFlight, maxReconsumeTimes: maxReconsumeTimes,
            orderly: orderly, queueLimits: queueLimits, localRedeliveryBackoff: backoff, messageModel: messageModel)
    }

    private let broadcasting = MessageModel.broadcasting(offsetFile: "/unused/offsets.json")

    private func message(_ offset: Int64, of queue: MessageQueue, tag: String = "a") -> StoredMessage {
        StoredMessage(
            queueId: queue.queueId, queueOffset: offset, commitLogOffset: 1000 + offset, bornTimestamp: 1,
            bornHost: HostAddress(ip: [127, 0, 0, 1], port: 1), storeTimestamp: 2,
            storeHost: HostAddress(ip: [127, 0, 0, 1], port: 2), storedBody: Array("m\(offset)".utf8), topic: queue.topic,
            propertiesText: MessageProperties.encode([(key: "TAGS", value: tag)]))
    }

    /// A running machine that owns `queueIDs` of topic T from `startOffset`, alone in its group;
    /// in orderly mode the queues are locked and their offsets read again. Returns each queue's
    /// generation.
    private func running(
        _ configuration: ConsumerConfiguration, queueIDs: [Int32], startOffset: Int64 = 0
    ) -> (Machine, [MessageQueue: UInt64]) {
        var machine = Machine(configuration: configuration)
        XCTAssertEqual(machine.startRequested(), .resolveRoutes)
        XCTAssertEqual(machine.joined(), .rebalanceAndStartTimers)
        let queues = queueIDs.map(queue)
        var generations: [MessageQueue: UInt64] = [:]
        guard case .change(let added, [], [], []) = machine.rebalance(topic: "T", queues: queues, members: ["c1"]) else {
            XCTFail("the only member takes every queue")
            return (machine, generations)
        }
        XCTAssertEqual(added, queues)
        for queue in added {
            guard case .startPulling(let generation) = machine.queueStarted(queue, subscription: subscription, offset: startOffset) else {
                XCTFail("a running consumer starts pulling an added queue")
                continue
            }
            generations[queue] = generation
        }
        if configuration.orderly && configuration.messageModel == .clustering {
            XCTAssertEqual(machine.queuesToLock(now: t0), queues)
            XCTAssertTrue(machine.locksAnswered(for: queues, granted: Set(queues), now: t0).isEmpty)
            for queue in queues {
                XCTAssertEqual(machine.nextPull(of: queue, generation: generations[queue]!, now: t0), .readOffsetWhenLocked)
                machine.lockedQueueOffsetRead(queue, generation: generations[queue]!, offset: startOffset)
            }
        }
        return (machine, generations)
    }

    /// Answers a pull of `queue` with the messages at `offsets`; returns what went out.
    private func pull(
        _ machine: inout Machine, _ queue: MessageQueue, generation: UInt64, _ offsets: ClosedRange<Int64>,
        tags: (Int64) -> String = { _ in "a" }, now: NIODeadline? = nil
    ) -> [ConsumedMessage] {
        let messages = offsets.map { message($0, of: queue, tag: tags($0)) }
        return machine.pulled(
            .found(messages: messages, nextBeginOffset: offsets.upperBound + 1), from: queue, generation: generation, now: now ?? t0)
    }

    /// What each queue would commit now, by queue id.
    private func committable(_ machine: Machine) -> [Int32: Int64] {
        Dictionary(uniqueKeysWithValues: machine.offsetsToCommit(unchangedToo: true).map { ($0.queue.queueId, $0.offset) })
    }

    /// A delivery action, comparable: the offsets handed out and what follows.
    private enum Next: Equatable {
        case deliver([Int64])
        case sendBack(offset: Int64, delayLevel: Int, then: [Int64])
        case wakeUp(at: NIODeadline, then: [Int64])
    }

    private enum Ack: Equatable {
        case unknownHandle
        case stale([Int64])
        case applied(Next)
    }

    private func next(_ action: Machine.DeliveryAction) -> Next {
        switch action {
        case .deliver(let ready): return .deliver(ready.map(\.queueOffset))
        case .deliverAndSendBack(let ready, let sendBack):
            return .sendBack(offset: sendBack.message.queueOffset, delayLevel: sendBack.delayLevel, then: ready.map(\.queueOffset))
        case .deliverAndWakeUp(let ready, let deadline): return .wakeUp(at: deadline, then: ready.map(\.queueOffset))
        }
    }

    private func ack(_ machine: inout Machine, _ message: ConsumedMessage, success: Bool = true, now: NIODeadline? = nil) -> Ack {
        switch machine.ack(message.handle, success: success, now: now ?? t0) {
        case .unknownHandle: return .unknownHandle
        case .staleGeneration(let ready): return .stale(ready.map(\.queueOffset))
        case .applied(let action): return .applied(next(action))
        }
    }

    /// The send-back a failure ack asked for.
    private func failAndTakeSendBack(_ machine: inout Machine, _ message: ConsumedMessage) -> Machine.SendBack? {
        guard case .applied(.deliverAndSendBack(_, let sendBack)) = machine.ack(message.handle, success: false, now: t0) else {
            XCTFail("a failure is sent back")
            return nil
        }
        return sendBack
    }

    // MARK: - Commits and acknowledgements

    func testACommitNeverPassesAnUnacknowledgedMessageWhateverTheAckOrder() {
        var random = SeededGenerator(seed: 0x5EED)
        for round in 0..<20 {
            var (machine, generations) = running(configuration(maxInFlight: 64), queueIDs: [0, 1], startOffset: 10)
            var out: [ConsumedMessage] = []
            for (queue, generation) in generations.sorted(by: { $0.key < $1.key }) {
                out += pull(&machine, queue, generation: generation, 10...39)
            }
            XCTAssertEqual(out.count, 60)
            var unacked = Dictionary(grouping: out, by: \.queueId).mapValues { Set($0.map(\.queueOffset)) }
            for message in out.shuffled(using: &random) {
                XCTAssertEqual(ack(&machine, message), .applied(.deliver([])))
                unacked[message.queueId]?.remove(message.queueOffset)
                let expected = unacked.mapValues { $0.min() ?? 40 }
                XCTAssertEqual(committable(machine), expected, "round \(round)")
            }
            XCTAssertEqual(machine.inFlightCount, 0)
        }
    }

    func testRepeatedAndUnknownAcksChangeNothing() {
        var (machine, generations) = running(configuration(), queueIDs: [0])
        let out = pull(&machine, queue(0), generation: generations[queue(0)]!, 0...2)
        XCTAssertEqual(ack(&machine, out[0]), .applied(.deliver([])))
        XCTAssertEqual(ack(&machine, out[0]), .unknownHandle)
        XCTAssertEqual(ack(&machine, out[0], success: false), .unknownHandle, "a failure after the success changes nothing either")
        guard case .unknownHandle = machine.ack(DeliveryHandle(rawValue: 999), success: true, now: t0) else {
            return XCTFail("a handle never given out is unknown")
        }
        XCTAssertEqual(committable(machine), [0: 1])
        XCTAssertEqual(machine.inFlightCount, 2)
        XCTAssertEqual(machine.sendBacksInFlight, 0)
    }

    func testAtMostMaxInFlightMessagesAreOutAndEachAckLetsOneMoreGo() {
        var (machine, generations) = running(configuration(maxInFlight: 3), queueIDs: [0])
        let generation = generations[queue(0)]!
        let first = pull(&machine, queue(0), generation: generation, 0...9)
        XCTAssertEqual(first.map(\.queueOffset), [0, 1, 2])
        XCTAssertEqual(machine.inFlightCount, 3)
        XCTAssertTrue(pull(&machine, queue(0), generation: generation, 10...11).isEmpty, "no room for more")
        XCTAssertTrue(machine.backoffEnded(now: t0 + .seconds(60)).isEmpty)
        XCTAssertEqual(ack(&machine, first[1]), .applied(.deliver([3])))
        XCTAssertEqual(machine.inFlightCount, 3)
        XCTAssertEqual(ack(&machine, first[0], success: false), .applied(.sendBack(offset: 0, delayLevel: 0, then: [4])),
                       "a failure frees its place too")
        XCTAssertEqual(machine.inFlightCount, 3)
        XCTAssertEqual(committable(machine), [0: 0], "the failed message is held until the broker has it")
    }

    func testDeliveryTakesTurnsAcrossQueues() {
        var (machine, generations) = running(configuration(maxInFlight: 1), queueIDs: [0, 1])
        var out: [ConsumedMessage] = []
        for (queue, generation) in generations.sorted(by: { $0.key < $1.key }) {
            out += pull(&machine, queue, generation: generation, 0...9)
        }
        XCTAssertEqual(out.count, 1)
        var served: [Int32] = out.map(\.queueId)
        var current = out[0]
        for _ in 0..<5 {
            guard case .applied(let action) = machine.ack(current.handle, success: true, now: t0),
                case .deliver(let ready) = action, let next = ready.first
            else { return XCTFail("an ack lets the next message go") }
            served.append(next.queueId)
            current = next
        }
        XCTAssertEqual(Set(served), [0, 1], "neither queue waits for the other to drain")
    }

    func testAFailureGoesBackToTheBrokerAndIsCommittedPastOnceTaken() throws {
        var (machine, generations) = running(configuration(), queueIDs: [0])
        let out = pull(&machine, queue(0), generation: generations[queue(0)]!, 0...1)
        XCTAssertEqual(ack(&machine, out[1]), .applied(.deliver([])))
        let sendBack = try XCTUnwrap(failAndTakeSendBack(&machine, out[0]))
        XCTAssertEqual(sendBack.message.commitLogOffset, 1000)
        XCTAssertEqual(sendBack.queue, queue(0))
        XCTAssertEqual(sendBack.delayLevel, 0, "the broker chooses the delay by reconsume count")
        XCTAssertEqual(machine.sendBacksInFlight, 1)
        XCTAssertEqual(machine.inFlightCount, 0)
        XCTAssertEqual(committable(machine), [0: 0])
        XCTAssertEqual(next(machine.sendBackFinished(sendBack, succeeded: true, now: t0)), .deliver([]))
        XCTAssertEqual(machine.sendBacksInFlight, 0)
        XCTAssertEqual(committable(machine), [0: 2])
    }

    func testAFailedSendBackDeliversTheMessageAgainHereAfterTheBackoff() throws {
        var (machine, generations) = running(configuration(), queueIDs: [0])
        let out = pull(&machine, queue(0), generation: generations[queue(0)]!, 0...0)
        let sendBack = try XCTUnwrap(failAndTakeSendBack(&machine, out[0]))
        let t1 = t0 + .seconds(1)
        XCTAssertEqual(next(machine.sendBackFinished(sendBack, succeeded: false, now: t1)), .wakeUp(at: t1 + backoff, then: []))
        XCTAssertEqual(machine.sendBacksInFlight, 0)
        XCTAssertTrue(machine.backoffEnded(now: t1 + backoff - .milliseconds(1)).isEmpty)
        let again = machine.backoffEnded(now: t1 + backoff)
        XCTAssertEqual(again.map(\.queueOffset), [0])
        XCTAssertNotEqual(again.first?.handle, out[0].handle, "a redelivery has a handle of its own")
        XCTAssertEqual(committable(machine), [0: 0])
        XCTAssertEqual(ack(&machine, try XCTUnwrap(again.first)), .applied(.deliver([])))
        XCTAssertEqual(committable(machine), [0: 1])
    }

    func testADeliveryPastTheConsumeTimeoutIsReportedForAFailureAck() {
        var (machine, generations) = running(configuration(queueLimits: .init(consumeTimeout: .seconds(5))), queueIDs: [0])
        let generation = generations[queue(0)]!
        let early = pull(&machine, queue(0), generation: generation, 0...1)
        let late = pull(&machine, queue(0), generation: generation, 2...2, now: t0 + .seconds(3))
        XCTAssertEqual(machine.expiredDeliveries(now: t0 + .seconds(4)), [])
        XCTAssertEqual(machine.expiredDeliveries(now: t0 + .seconds(5)), early.map(\.handle))
        XCTAssertEqual(machine.expiredDeliveries(now: t0 + .seconds(8)), (early + late).map(\.handle))
    }

    func testMessagesOfOtherTagsAreNotDeliveredAndTheCommitPassesThem() {
        var config = configuration()
        config.subscriptions = [Subscription(topic: "T", expression: "a || c")]
        var machine = Machine(configuration: config)
        _ = machine.startRequested()
        _ = machine.joined()
        _ = machine.rebalance(topic: "T", queues: [queue(0)], members: ["c1"])
        guard case .startPulling(let generation) = machine.queueStarted(
            queue(0), subscription: Subscription(topic: "T", expression: "a || c"), offset: 0)
        else { return XCTFail("started") }
        let out = pull(&machine, queue(0), generation: generation, 0...3, tags: { ["a", "b", "c", "b"][Int($0)] })
        XCTAssertEqual(out.map(\.queueOffset), [0, 2])
        XCTAssertEqual(out.map(\.subscriptionExpression), ["a || c", "a || c"])
        for message in out { _ = ack(&machine, message) }
        XCTAssertEqual(committable(machine), [0: 4])
    }

    func testPullsPauseWhileAQueueHoldsTooMuch() {
        var (machine, generations) = running(configuration(queueLimits: .init(maxHeldMessages: 3)), queueIDs: [0])
        let generation = generations[queue(0)]!
        XCTAssertEqual(machine.nextPull(of: queue(0), generation: generation, now: t0), .pull(offset: 0, subscription: subscription))
        let out = pull(&machine, queue(0), generation: generation, 0...2)
        XCTAssertEqual(machine.nextPull(of: queue(0), generation: generation, now: t0), .wait(Machine.throttleWait))
        _ = ack(&machine, out[0])
        XCTAssertEqual(machine.nextPull(of: queue(0), generation: generation, now: t0), .pull(offset: 3, subscription: subscription))
        _ = machine.pulled(.noNewMessages(nextBeginOffset: 3), from: queue(0), generation: generation, now: t0)
        _ = machine.pulled(.offsetMoved(nextBeginOffset: 7), from: queue(0), generation: generation, now: t0)
        XCTAssertEqual(machine.nextPull(of: queue(0), generation: generation, now: t0), .pull(offset: 7, subscription: subscription))
    }

    func testOnlyChangedOffsetsAreCommittedOnTheTimer() throws {
        var (machine, generations) = running(configuration(), queueIDs: [0, 1], startOffset: 4)
        XCTAssertEqual(machine.offsetsToCommit(unchangedToo: false), [], "the broker has the start offsets")
        let out = pull(&machine, queue(1), generation: generations[queue(1)]!, 4...5)
        _ = ack(&machine, out[0])
        let due = machine.offsetsToCommit(unchangedToo: false)
        XCTAssertEqual(due, [Machine.OffsetCommit(queue: queue(1), offset: 5)])
        machine.offsetCommitted(try XCTUnwrap(due.first))
        XCTAssertEqual(machine.offsetsToCommit(unchangedToo: false), [])
        XCTAssertEqual(machine.offsetsToCommit(unchangedToo: true).map(\.offset), [4, 5])
    }

    // MARK: - Orderly

    func testOrderlyDeliversOneMessagePerQueueAndRetriesAFailureInPlace() throws {
        var (machine, generations) = running(configuration(orderly: true), queueIDs: [0, 1])
        let first = pull(&machine, queue(0), generation: generations[queue(0)]!, 0...2)
        XCTAssertEqual(first.map(\.queueOffset), [0], "one message per queue in flight")
        XCTAssertEqual(pull(&machine, queue(1), generation: generations[queue(1)]!, 0...2).map(\.queueId), [1],
                       "each queue has its own one")
        XCTAssertEqual(ack(&machine, first[0], success: false), .applied(.wakeUp(at: t0 + backoff, then: [])),
                       "no send-back: the same message comes again in place")
        XCTAssertEqual(machine.sendBacksInFlight, 0)
        XCTAssertTrue(pull(&machine, queue(0), generation: generations[queue(0)]!, 3...4).isEmpty)
        XCTAssertTrue(machine.backoffEnded(now: t0 + backoff - .milliseconds(1)).isEmpty, "nothing after it goes first")
        let again = machine.backoffEnded(now: t0 + backoff)
        XCTAssertEqual(again.map(\.queueOffset), [0])
        XCTAssertEqual(again.map(\.queueId), [0])
        XCTAssertEqual(ack(&machine, try XCTUnwrap(again.first), now: t0 + backoff), .applied(.deliver([1])))
        XCTAssertEqual(committable(machine)[0], 1)
    }

    func testOrderlyAMessageFailingTooOftenGoesToTheDLQAndHoldsItsQueueUntilThere() throws {
        var (machine, generations) = running(configuration(orderly: true, maxReconsumeTimes: 1), queueIDs: [0])
        let first = pull(&machine, queue(0), generation: generations[queue(0)]!, 0...1)
        XCTAssertEqual(ack(&machine, first[0], success: false), .applied(.wakeUp(at: t0 + backoff, then: [])))
        let again = machine.backoffEnded(now: t0 + backoff)
        XCTAssertEqual(again.map(\.queueOffset), [0])
        guard case .applied(.deliverAndSendBack(let ready, let sendBack)) = machine.ack(try XCTUnwrap(again.first).handle, success: false, now: t0 + backoff)
        else { return XCTFail("past maxReconsumeTimes the message goes to the DLQ") }
        XCTAssertTrue(ready.isEmpty)
        XCTAssertEqual(sendBack.delayLevel, -1)
        XCTAssertEqual(sendBack.message.queueOffset, 0)
        let later = t0 + .seconds(25)
        XCTAssertTrue(machine.locksAnswered(for: [queue(0)], granted: [queue(0)], now: later).isEmpty, "the queue waits for the broker")
        XCTAssertTrue(machine.backoffEnded(now: later).isEmpty)
        XCTAssertEqual(next(machine.sendBackFinished(sendBack, succeeded: true, now: later)), .deliver([1]))
        XCTAssertEqual(committable(machine), [0: 1])
    }

    func testOrderlyPullsWaitForTheLockAndStartFromTheOffsetTheBrokerHasOnceLocked() {
        var machine = Machine(configuration: configuration(orderly: true))
        _ = machine.startRequested()
        _ = machine.joined()
        _ = machine.rebalance(topic: "T", queues: [queue(0)], members: ["c1"])
        guard case .startPulling(let generation) = machine.queueStarted(queue(0), subscription: subscription, offset: 2) else {
            return XCTFail("started")
        }
        XCTAssertEqual(machine.nextPull(of: queue(0), generation: generation, now: t0), .wait(Machine.lockWait))
        XCTAssertEqual(machine.queuesToLock(now: t0), [queue(0)])
        _ = machine.locksAnswered(for: [queue(0)], granted: [], now: t0)
        XCTAssertEqual(machine.nextPull(of: queue(0), generation: generation, now: t0), .wait(Machine.lockWait), "refused")
        _ = machine.locksAnswered(for: [queue(0)], granted: [queue(0)], now: t0)
        XCTAssertEqual(machine.nextPull(of: queue(0), generation: generation, now: t0), .readOffsetWhenLocked)
        machine.lockedQueueOffsetRead(queue(0), generation: generation, offset: 5)
        XCTAssertEqual(machine.nextPull(of: queue(0), generation: generation, now: t0), .pull(offset: 5, subscription: subscription))
        XCTAssertEqual(committable(machine), [0: 5])

        XCTAssertEqual(machine.queuesToLock(now: t0 + .seconds(19)), [])
        XCTAssertEqual(machine.queuesToLock(now: t0 + .seconds(20)), [queue(0)], "renewed every 20 s")
        XCTAssertTrue(pull(&machine, queue(0), generation: generation, 5...6, now: t0 + .seconds(30)).isEmpty,
                      "a lock not renewed for 30 s is no longer trusted")
        XCTAssertEqual(machine.locksAnswered(for: [queue(0)], granted: [queue(0)], now: t0 + .seconds(30)).map(\.queueOffset), [5])
    }

    // MARK: - Rebalance and generations

    func testAQueueGivenUpCommitsItsSafeOffsetAndItsLateAcksChangeNothing() throws {
        var (machine, generations) = running(configuration(), queueIDs: [0, 1])
        let old = generations[queue(1)]!
        let out = pull(&machine, queue(1), generation: old, 0...3)
        _ = ack(&machine, out[0])
        _ = ack(&machine, out[2])
        // A second member joins: c1 keeps queue 0, c2 takes queue 1.
        XCTAssertEqual(
            machine.rebalance(topic: "T", queues: [queue(0), queue(1)], members: ["c2", "c1"]),
            .change(added: [], removed: [queue(1)], commit: [Machine.OffsetCommit(queue: queue(1), offset: 1)], unlock: []))
        XCTAssertEqual(machine.ownedQueues, [queue(0)])
        XCTAssertEqual(machine.nextPull(of: queue(1), generation: old, now: t0), .stop)
        XCTAssertTrue(pull(&machine, queue(1), generation: old, 4...5).isEmpty, "a late pull answer is dropped")
        XCTAssertEqual(ack(&machine, out[1]), .stale([]))
        XCTAssertEqual(machine.inFlightCount, 1, "message 3 is still out")
        XCTAssertEqual(machine.offsetsToCommit(unchangedToo: true).map(\.queue), [queue(0)])

        // c2 leaves: queue 1 comes back, from the offset committed meanwhile.
        guard case .change([queue(1)], [], [], []) = machine.rebalance(topic: "T", queues: [queue(0), queue(1)], members: ["c1"]),
            case .startPulling(let new) = machine.queueStarted(queue(1), subscription: subscription, offset: 3)
        else { return XCTFail("queue 1 is taken on again") }
        XCTAssertNotEqual(new, old)
        XCTAssertEqual(machine.nextPull(of: queue(1), generation: new, now: t0), .pull(offset: 3, subscription: subscription))
        XCTAssertEqual(machine.nextPull(of: queue(1), generation: old, now: t0), .stop, "the old pull loop ends")
        let again = pull(&machine, queue(1), generation: new, 3...4)
        XCTAssertEqual(again.map(\.queueOffset), [3, 4])
        XCTAssertEqual(ack(&machine, out[3]), .stale([]), "the old delivery of message 3 does not complete the new one")
        XCTAssertEqual(committable(machine)[1], 3)
        _ = ack(&machine, try XCTUnwrap(again.first))
        XCTAssertEqual(committable(machine)[1], 4)
    }

    func testAnAckOfAnOldGenerationIsIgnoredAfterABrokerOffsetReset() {
        var (machine, generations) = running(configuration(), queueIDs: [0])
        let old = pull(&machine, queue(0), generation: generations[queue(0)]!, 0...1)
        XCTAssertEqual(machine.offsetsReset(for: [queue(0), queue(7)]), [queue(0)], "only owned queues are reset")
        XCTAssertEqual(machine.ownedQueues, [])
        guard case .change([queue(0)], [], [], []) = machine.rebalance(topic: "T", queues: [queue(0)], members: ["c1"]),
            case .startPulling(let generation) = machine.queueStarted(queue(0), subscription: subscription, offset: 0)
        else { return XCTFail("the next rebalance takes the queue on again") }
        let new = pull(&machine, queue(0), generation: generation, 0...1)
        XCTAssertEqual(new.map(\.queueOffset), [0, 1])
        XCTAssertEqual(ack(&machine, old[0]), .stale([]))
        XCTAssertEqual(ack(&machine, old[1], success: false), .stale([]), "no send-back for an old generation either")
        XCTAssertEqual(machine.sendBacksInFlight, 0)
        XCTAssertEqual(committable(machine), [0: 0])
        _ = ack(&machine, new[0])
        XCTAssertEqual(committable(machine), [0: 1])
    }

    func testASendBackFinishingAfterItsQueueWasGivenUpChangesNothingThere() throws {
        var (machine, generations) = running(configuration(), queueIDs: [0, 1])
        let out = pull(&machine, queue(1), generation: generations[queue(1)]!, 0...0)
        let sendBack = try XCTUnwrap(failAndTakeSendBack(&machine, out[0]))
        _ = machine.rebalance(topic: "T", queues: [queue(0), queue(1)], members: ["c1", "c2"])
        XCTAssertEqual(next(machine.sendBackFinished(sendBack, succeeded: false, now: t0)), .deliver([]),
                       "no local redelivery: the queue's new owner has the message")
        XCTAssertEqual(machine.sendBacksInFlight, 0)
    }

    func testOrderlyAQueueGivenUpKeepsItsLockWhileItsMessageIsOut() {
        var (machine, generations) = running(configuration(orderly: true), queueIDs: [0, 1, 2, 3])
        let busy = pull(&machine, queue(2), generation: generations[queue(2)]!, 0...0)
        XCTAssertEqual(busy.count, 1)
        // With c2 in the group, c1 keeps queues 0 and 1 and gives up 2 (busy) and 3 (idle).
        guard case .change([], let removed, _, let unlock) = machine.rebalance(
            topic: "T", queues: (0...3).map(queue), members: ["c1", "c2"])
        else { return XCTFail("two queues are given up") }
        XCTAssertEqual(removed, [queue(2), queue(3)])
        XCTAssertEqual(unlock, [queue(3)], "the next owner of queue 2 cannot overtake the message still out")
    }

    func testAQueueWhoseStartOffsetCouldNotBeReadIsTakenOnAgainByTheNextRebalance() {
        var machine = Machine(configuration: configuration())
        _ = machine.startRequested()
        _ = machine.joined()
        XCTAssertEqual(
            machine.rebalance(topic: "T", queues: [queue(0)], members: ["c1"]),
            .change(added: [queue(0)], removed: [], commit: [], unlock: []))
        machine.queueStartFailed(queue(0))
        XCTAssertEqual(machine.ownedQueues, [])
        XCTAssertEqual(
            machine.rebalance(topic: "T", queues: [queue(0)], members: ["c1"]),
            .change(added: [queue(0)], removed: [], commit: [], unlock: []))
        XCTAssertEqual(machine.rebalance(topic: "T", queues: [queue(0)], members: ["c1", "c0"]),
                       .change(added: [], removed: [queue(0)], commit: [], unlock: []),
                       "c0 sorts first and takes the only queue; nothing was started, so nothing to commit")
    }

    // MARK: - Life cycle

    func testStopCommitsOnlyWhatWasAcknowledged() {
        var (machine, generations) = running(configuration(), queueIDs: [0])
        let generation = generations[queue(0)]!
        let out = pull(&machine, queue(0), generation: generation, 0...4)
        _ = ack(&machine, out[1])
        _ = ack(&machine, out[3])
        XCTAssertEqual(machine.stopRequested(), .stop(unlock: []))
        XCTAssertEqual(machine.nextPull(of: queue(0), generation: generation, now: t0), .stop)
        XCTAssertTrue(pull(&machine, queue(0), generation: generation, 5...6).isEmpty)
        XCTAssertEqual(ack(&machine, out[0]), .applied(.deliver([])), "an ack while stopping still counts")
        XCTAssertEqual(machine.stopRequested(), .waitForStop)
        XCTAssertEqual(machine.offsetsToCommit(unchangedToo: true), [Machine.OffsetCommit(queue: queue(0), offset: 2)])
        machine.stopFinished()
        XCTAssertEqual(machine.phase, .stopped)
        XCTAssertEqual(ack(&machine, out[2]), .unknownHandle)
        XCTAssertEqual(machine.ownedQueues, [])
        XCTAssertEqual(machine.inFlightCount, 0)
        XCTAssertEqual(machine.stopRequested(), .none)
    }

    func testOrderlyStopUnlocksEveryOwnedQueue() {
        var (machine, _) = running(configuration(orderly: true), queueIDs: [0, 1])
        XCTAssertEqual(machine.stopRequested(), .stop(unlock: [queue(0), queue(1)]))
        XCTAssertEqual(machine.queuesToLock(now: t0 + .minutes(1)), [], "no lock is renewed while stopping")
    }

    func testPhases() {
        var machine = Machine(configuration: configuration())
        XCTAssertEqual(machine.rebalanceRequested(), .none)
        XCTAssertEqual(machine.startRequested(), .resolveRoutes)
        XCTAssertEqual(machine.startRequested(), .refuse, "one start per consumer")
        XCTAssertEqual(machine.rebalance(topic: "T", queues: [queue(0)], members: ["c1"]), .none, "not running yet")
        XCTAssertEqual(machine.joined(), .rebalanceAndStartTimers)
        XCTAssertEqual(machine.rebalanceRequested(), .rebalance)
        XCTAssertEqual(machine.stopRequested(), .stop(unlock: []))
        XCTAssertEqual(machine.rebalanceRequested(), .none)
        XCTAssertEqual(machine.queueStarted(queue(0), subscription: subscription, offset: 0), .none, "stopping")

        var neverStarted = Machine(configuration: configuration())
        XCTAssertEqual(neverStarted.stopRequested(), .close)
        XCTAssertEqual(neverStarted.startRequested(), .refuse)

        var failed = Machine(configuration: configuration())
        _ = failed.startRequested()
        XCTAssertEqual(failed.startFailed(), .close)
        XCTAssertEqual(failed.stopRequested(), .none)

        var stoppedWhileStarting = Machine(configuration: configuration())
        _ = stoppedWhileStarting.startRequested()
        XCTAssertEqual(stoppedWhileStarting.stopRequested(), .stop(unlock: []))
        XCTAssertEqual(stoppedWhileStarting.joined(), .none, "the stop wins")
        XCTAssertEqual(stoppedWhileStarting.startFailed(), .none, "the stop under way closes")
    }
    // MARK: - Broadcasting (docs/protocol-remoting.md §5.9)

    func testBroadcastingTakesEveryQueueWhateverTheGroupsMembersAndNeverAsksForThem() {
        var machine = Machine(configuration: configuration(messageModel: broadcasting))
        XCTAssertFalse(machine.rebalanceNeedsMembers, "a broadcasting member never asks for the consumer list")
        XCTAssertTrue(Machine(configuration: configuration()).rebalanceNeedsMembers)
        _ = machine.startRequested()
        _ = machine.joined()
        let queues = (0..<4).map { queue(Int32($0)) }
        XCTAssertEqual(machine.rebalance(topic: "T", queues: queues, members: ["c0", "c1", "c2"]),
                       .change(added: queues, removed: [], commit: [], unlock: []),
                       "every queue, where clustering would give c1 one or two of them")
        XCTAssertEqual(machine.rebalance(topic: "T", queues: queues, members: ["c1", "c2", "c3", "c4", "c5"]), .none,
                       "members coming and going change nothing")
        for added in queues { _ = machine.queueStarted(added, subscription: subscription, offset: 7) }
        XCTAssertEqual(machine.rebalance(topic: "T", queues: Array(queues.prefix(3)), members: []),
                       .change(added: [], removed: [queue(3)], commit: [.init(queue: queue(3), offset: 7)], unlock: []),
                       "a queue leaving the route is given up, its offset kept")
    }

    func testBroadcastingDeliversAFailureAgainHereAfterTheBackoffWhileTheOthersGoOn() throws {
        var (machine, generations) = running(configuration(messageModel: broadcasting), queueIDs: [0])
        let out = pull(&machine, queue(0), generation: generations[queue(0)]!, 0...2)
        XCTAssertEqual(out.map(\.queueOffset), [0, 1, 2])
        XCTAssertEqual(ack(&machine, out[0], success: false), .applied(.wakeUp(at: t0 + backoff, then: [])),
                       "no send-back: broadcasting has no retry topic")
        XCTAssertEqual(machine.sendBacksInFlight, 0)
        XCTAssertEqual(ack(&machine, out[1]), .applied(.deliver([])), "the messages after it go on meanwhile")
        XCTAssertEqual(ack(&machine, out[2]), .applied(.deliver([])))
        XCTAssertEqual(committable(machine), [0: 0], "the commit waits for the failed message")
        XCTAssertTrue(machine.backoffEnded(now: t0 + backoff - .milliseconds(1)).isEmpty)
        let again = machine.backoffEnded(now: t0 + backoff)
        XCTAssertEqual(again.map(\.queueOffset), [0])
        XCTAssertNotEqual(again.first?.handle, out[0].handle, "a redelivery has a handle of its own")
        XCTAssertEqual(ack(&machine, try XCTUnwrap(again.first), now: t0 + backoff), .applied(.deliver([])))
        XCTAssertEqual(committable(machine), [0: 3])
    }

    func testBroadcastingAConsumeTimeoutIsAFailureDeliveredAgainHere() throws {
        var (machine, generations) = running(
            configuration(queueLimits: .init(consumeTimeout: .seconds(5)), messageModel: broadcasting), queueIDs: [0])
        let out = pull(&machine, queue(0), generation: generations[queue(0)]!, 0...0)
        let late = t0 + .seconds(5)
        let expired = machine.expiredDeliveries(now: late)
        XCTAssertEqual(expired, out.map(\.handle))
        guard case .applied(.deliverAndWakeUp(let ready, let deadline)) = machine.ack(try XCTUnwrap(expired.first), success: false, now: late)
        else { return XCTFail("a timed-out delivery comes again here") }
        XCTAssertTrue(ready.isEmpty)
        XCTAssertEqual(deadline, late + backoff)
        XCTAssertEqual(machine.backoffEnded(now: deadline).map(\.queueOffset), [0])
    }

    func testBroadcastingAMessageFailingTooOftenGoesToTheDLQAndIsCommittedPastOnceThere() throws {
        var (machine, generations) = running(configuration(maxReconsumeTimes: 1, messageModel: broadcasting), queueIDs: [0])
        let out = pull(&machine, queue(0), generation: generations[queue(0)]!, 0...1)
        XCTAssertEqual(ack(&machine, out[0], success: false), .applied(.wakeUp(at: t0 + backoff, then: [])))
        let again = try XCTUnwrap(machine.backoffEnded(now: t0 + backoff).first)
        guard case .applied(.deliverAndSendBack(let ready, let sendBack)) = machine.ack(again.handle, success: false, now: t0 + backoff)
        else { return XCTFail("past maxReconsumeTimes the message goes to the DLQ") }
        XCTAssertTrue(ready.isEmpty)
        XCTAssertEqual(sendBack.delayLevel, -1, "straight to the DLQ, never the retry topic")
        XCTAssertEqual(ack(&machine, out[1]), .applied(.deliver([])))
        XCTAssertEqual(committable(machine), [0: 0])
        XCTAssertTrue(machine.backoffEnded(now: t0 + .minutes(1)).isEmpty, "held until the broker has it")
        XCTAssertEqual(next(machine.sendBackFinished(sendBack, succeeded: true, now: t0 + .minutes(1))), .deliver([]))
        XCTAssertEqual(committable(machine), [0: 2])
    }

    func testAnUndeliverableMessageGoesStraightToTheDLQInEveryModeAndIsCommittedPastOnceThere() throws {
        for configuration in [configuration(), configuration(orderly: true), configuration(messageModel: broadcasting)] {
            var (machine, generations) = running(configuration, queueIDs: [0])
            let out = pull(&machine, queue(0), generation: generations[queue(0)]!, 0...0)
            let first = try XCTUnwrap(out.first, "\(configuration.messageModel) orderly \(configuration.orderly)")
            guard case .applied(.deliverAndSendBack(_, let sendBack)) = machine.deadLetter(first.handle, now: t0)
            else { return XCTFail("to the DLQ at once: \(configuration.messageModel) orderly \(configuration.orderly)") }
            XCTAssertEqual(sendBack.delayLevel, -1, "the DLQ, never the retry topic or a local retry")
            XCTAssertEqual(committable(machine), [0: 0], "held until the broker has it")
            XCTAssertEqual(next(machine.sendBackFinished(sendBack, succeeded: true, now: t0)), .deliver([]))
            XCTAssertEqual(committable(machine), [0: 1])
        }
    }

    func testOrderlyBroadcastingTakesNoLocksButKeepsOneMessagePerQueueInFlight() {
        var (machine, generations) = running(configuration(orderly: true, messageModel: broadcasting), queueIDs: [0, 1])
        XCTAssertEqual(machine.queuesToLock(now: t0), [], "no other member competes for the queues")
        XCTAssertEqual(machine.nextPull(of: queue(0), generation: generations[queue(0)]!, now: t0), .pull(offset: 0, subscription: subscription))
        XCTAssertEqual(pull(&machine, queue(0), generation: generations[queue(0)]!, 0...2).map(\.queueOffset), [0])
        XCTAssertEqual(machine.stopRequested(), .stop(unlock: []))
    }
}
