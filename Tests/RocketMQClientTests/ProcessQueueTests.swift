import NIOCore
import TestSupport
import XCTest
@testable import RocketMQClient

final class ProcessQueueTests: XCTestCase {
    private let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)

    private func messages(_ offsets: ClosedRange<Int64>, size: Int = 10) -> [(offset: Int64, size: Int)] {
        offsets.map { (offset: $0, size: size) }
    }

    func testCommittableOffsetNeverPassesAnUnacknowledgedMessage() {
        var queue = ProcessQueue(startOffset: 100)
        XCTAssertEqual(queue.committableOffset, 100)
        queue.pulled(messages(100...104), nextBeginOffset: 105)
        XCTAssertEqual(queue.takeDeliverable(now: t0, orderly: false, limit: 10), [100, 101, 102, 103, 104])
        XCTAssertEqual(queue.complete(offset: 102), .completed(committableOffset: 100))
        XCTAssertEqual(queue.complete(offset: 104), .completed(committableOffset: 100))
        XCTAssertEqual(queue.complete(offset: 100), .completed(committableOffset: 101))
        XCTAssertEqual(queue.complete(offset: 101), .completed(committableOffset: 103))
        XCTAssertEqual(queue.complete(offset: 103), .completed(committableOffset: 105))
        XCTAssertEqual(queue.complete(offset: 103), .unknown)
        XCTAssertTrue(queue.isIdle)
    }

    /// Long runs of pulls, deliveries, acks (mostly in order, so the front is removed often) and
    /// redeliveries, against a plain model: the same handed-out offsets, commits and counts.
    func testLongMixedRunsAgreeWithAPlainModel() {
        var random = SeededGenerator(seed: 0xAC45)
        var queue = ProcessQueue(startOffset: 0, limits: .init(maxHeldMessages: 5000, maxSpan: 100_000))
        var held: [Int64: Bool] = [:]  // offset → waiting
        var backedOff: [Int64: NIODeadline] = [:]
        var delivered: [Int64] = []
        var next: Int64 = 0
        var now = t0
        for step in 0..<5_000 {
            now = now + .milliseconds(1)
            switch random.next() % 10 {
            case 0, 1:  // a pull of up to 40, some filtered out
                let count = Int64(random.next() % 40)
                let kept = (next..<next + count).filter { _ in random.next() % 8 != 0 }
                queue.pulled(kept.map { (offset: $0, size: 1) }, nextBeginOffset: next + count)
                for offset in kept { held[offset] = true }
                next += count
            case 2, 3:  // hand out
                let limit = Int(random.next() % 50)
                let expected = held.filter { $0.value && (backedOff[$0.key].map { $0 <= now } ?? true) }
                    .keys.sorted().prefix(limit)
                let got = queue.takeDeliverable(now: now, orderly: false, limit: limit)
                XCTAssertEqual(got, Array(expected), "step \(step)")
                for offset in got {
                    held[offset] = false
                    backedOff[offset] = nil
                    delivered.append(offset)
                }
            case 4 where !delivered.isEmpty:  // redeliver one later
                let offset = delivered.remove(at: Int(random.next() % UInt64(delivered.count)))
                XCTAssertNotNil(queue.redeliver(offset: offset, notBefore: now + .milliseconds(5)))
                held[offset] = true
                backedOff[offset] = now + .milliseconds(5)
            default:  // ack, the oldest delivered nine times in ten
                guard !delivered.isEmpty else { continue }
                let index = random.next() % 10 == 0 ? Int(random.next() % UInt64(delivered.count)) : 0
                let offset = delivered.remove(at: index)
                held[offset] = nil
                let committable = held.keys.min() ?? next
                XCTAssertEqual(queue.complete(offset: offset), .completed(committableOffset: committable), "step \(step)")
            }
            XCTAssertEqual(queue.heldCount, held.count, "step \(step)")
            XCTAssertEqual(queue.committableOffset, held.keys.min() ?? next, "step \(step)")
        }
        XCTAssertGreaterThan(next, 1000)
    }

    func testAcksInOrderFreeTheFrontAndKeepTheRestInOrder() {
        var queue = ProcessQueue(startOffset: 0)
        queue.pulled(messages(0...199), nextBeginOffset: 200)
        XCTAssertEqual(queue.takeDeliverable(now: t0, orderly: false, limit: 150), Array(0...149))
        for offset in Int64(0)...149 {
            XCTAssertEqual(queue.complete(offset: offset), .completed(committableOffset: offset + 1))
        }
        queue.pulled(messages(200...209), nextBeginOffset: 210)
        XCTAssertEqual(queue.heldCount, 60)
        XCTAssertEqual(queue.takeDeliverable(now: t0, orderly: false, limit: 100), Array(150...209))
        XCTAssertEqual(queue.complete(offset: 209), .completed(committableOffset: 150))
        for offset in Int64(150)...208 { _ = queue.complete(offset: offset) }
        XCTAssertEqual(queue.committableOffset, 210)
        XCTAssertTrue(queue.isIdle)
    }

    func testFilteredOutMessagesDoNotHoldTheCommitBack() {
        var queue = ProcessQueue(startOffset: 0)
        queue.pulled([(offset: 1, size: 1), (offset: 3, size: 1)], nextBeginOffset: 5)
        _ = queue.takeDeliverable(now: t0, orderly: false, limit: 10)
        XCTAssertEqual(queue.committableOffset, 1)
        _ = queue.complete(offset: 1)
        _ = queue.complete(offset: 3)
        XCTAssertEqual(queue.committableOffset, 5)
    }

    func testDeliveryRespectsTheLimitAndKeepsOffsetOrder() {
        var queue = ProcessQueue(startOffset: 0)
        queue.pulled(messages(0...9), nextBeginOffset: 10)
        XCTAssertEqual(queue.takeDeliverable(now: t0, orderly: false, limit: 3), [0, 1, 2])
        XCTAssertEqual(queue.takeDeliverable(now: t0, orderly: false, limit: 3), [3, 4, 5])
        XCTAssertEqual(queue.takeDeliverable(now: t0, orderly: false, limit: 0), [])
    }

    func testFlowControlByCountBytesAndSpan() {
        var byCount = ProcessQueue(startOffset: 0, limits: .init(maxHeldMessages: 3))
        byCount.pulled(messages(0...2), nextBeginOffset: 3)
        XCTAssertEqual(byCount.pullDecision(), .throttle(.tooManyMessages))
        _ = byCount.takeDeliverable(now: t0, orderly: false, limit: 1)
        _ = byCount.complete(offset: 0)
        XCTAssertEqual(byCount.pullDecision(), .pull(offset: 3))

        var byBytes = ProcessQueue(startOffset: 0, limits: .init(maxHeldBytes: 100))
        byBytes.pulled(messages(0...1, size: 60), nextBeginOffset: 2)
        XCTAssertEqual(byBytes.pullDecision(), .throttle(.tooManyBytes))

        var bySpan = ProcessQueue(startOffset: 0, limits: .init(maxSpan: 10))
        bySpan.pulled([(offset: 0, size: 1), (offset: 50, size: 1)], nextBeginOffset: 51)
        XCTAssertEqual(bySpan.pullDecision(), .throttle(.spanTooLarge))
    }

    func testConsumeTimeoutExpiresOnlyDeliveredMessages() {
        var queue = ProcessQueue(startOffset: 0, limits: .init(consumeTimeout: .seconds(5)))
        queue.pulled(messages(0...3), nextBeginOffset: 4)
        XCTAssertEqual(queue.takeDeliverable(now: t0, orderly: false, limit: 2), [0, 1])
        XCTAssertEqual(queue.expired(now: t0 + .seconds(4)), [])
        XCTAssertEqual(queue.expired(now: t0 + .seconds(5)), [0, 1])
    }

    func testLocalRedeliveryWaitsForItsBackoff() {
        var queue = ProcessQueue(startOffset: 0)
        queue.pulled(messages(0...1), nextBeginOffset: 2)
        _ = queue.takeDeliverable(now: t0, orderly: false, limit: 10)
        XCTAssertEqual(queue.redeliver(offset: 0, notBefore: t0 + .seconds(1)), 1)
        XCTAssertEqual(queue.nextRedeliveryDeadline, t0 + .seconds(1))
        XCTAssertEqual(queue.takeDeliverable(now: t0, orderly: false, limit: 10), [])
        XCTAssertEqual(queue.takeDeliverable(now: t0 + .seconds(1), orderly: false, limit: 10), [0])
        XCTAssertEqual(queue.redeliver(offset: 0, notBefore: t0), 2)
        XCTAssertNil(queue.redeliver(offset: 42, notBefore: t0))
    }

    func testOrderlyModeHandsOutOneAtATimeAndRetriesInPlace() {
        var queue = ProcessQueue(startOffset: 0)
        queue.pulled(messages(0...2), nextBeginOffset: 3)
        XCTAssertEqual(queue.takeDeliverable(now: t0, orderly: true, limit: 10), [0])
        XCTAssertEqual(queue.takeDeliverable(now: t0, orderly: true, limit: 10), [])
        _ = queue.redeliver(offset: 0, notBefore: t0 + .seconds(1))
        XCTAssertEqual(queue.takeDeliverable(now: t0, orderly: true, limit: 10), [], "message 1 must not overtake 0")
        XCTAssertEqual(queue.takeDeliverable(now: t0 + .seconds(1), orderly: true, limit: 10), [0])
        _ = queue.complete(offset: 0)
        XCTAssertEqual(queue.takeDeliverable(now: t0 + .seconds(1), orderly: true, limit: 10), [1])
    }

    func testDroppedQueueStopsAndReportsTheSafeOffset() {
        var queue = ProcessQueue(startOffset: 7)
        queue.pulled(messages(7...9), nextBeginOffset: 10)
        _ = queue.takeDeliverable(now: t0, orderly: false, limit: 10)
        _ = queue.complete(offset: 7)
        XCTAssertEqual(queue.drop(), 8)
        XCTAssertEqual(queue.pullDecision(), .stop)
        XCTAssertEqual(queue.takeDeliverable(now: t0, orderly: false, limit: 10), [])
    }
}

final class QueueLockTests: XCTestCase {
    func testALockIsTrustedThirtySecondsAndRenewedAfterTwenty() {
        let t0 = NIODeadline.uptimeNanoseconds(5_000_000_000)
        var lock = QueueLock()
        XCTAssertFalse(lock.isLocked(now: t0))
        XCTAssertTrue(lock.needsRenewal(now: t0))
        lock.granted(at: t0)
        XCTAssertTrue(lock.isLocked(now: t0 + .seconds(29)))
        XCTAssertFalse(lock.needsRenewal(now: t0 + .seconds(19)))
        XCTAssertTrue(lock.needsRenewal(now: t0 + .seconds(20)))
        XCTAssertFalse(lock.isLocked(now: t0 + .seconds(30)))
        lock.granted(at: t0 + .seconds(20))
        XCTAssertTrue(lock.isLocked(now: t0 + .seconds(30)))
        lock.lost()
        XCTAssertFalse(lock.isLocked(now: t0 + .seconds(30)))
    }
}
