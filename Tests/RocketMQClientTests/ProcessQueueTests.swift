import NIOCore
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
