import NIOConcurrencyHelpers
import XCTest
@testable import RocketMQBinding

/// `AsyncMutex`: one critical section at a time, even across suspensions; waiters in arrival
/// order; the lock is released when a section throws.
final class AsyncMutexTests: XCTestCase {
    func testSectionsThatSuspendNeverOverlap() async throws {
        let mutex = AsyncMutex()
        let inside = NIOLockedValueBox((now: 0, most: 0, entered: 0))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    try await mutex.withLock {
                        inside.withLockedValue { $0.now += 1; $0.most = max($0.most, $0.now); $0.entered += 1 }
                        // Suspend inside the section: another task would get in here if the lock did not hold.
                        await Task.yield()
                        try await Task.sleep(for: .microseconds(200))
                        inside.withLockedValue { $0.now -= 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
        let figures = inside.withLockedValue { $0 }
        XCTAssertEqual(figures.entered, 50)
        XCTAssertEqual(figures.most, 1, "two sections ran at once")
    }

    func testWaitersEnterInArrivalOrder() async throws {
        let mutex = AsyncMutex()
        let order = NIOLockedValueBox<[Int]>([])
        let (holding, held) = AsyncStream.makeStream(of: Void.self)
        let (releasing, release) = AsyncStream.makeStream(of: Void.self)
        let holder = Task {
            try await mutex.withLock {
                held.yield()
                for await _ in releasing { break }  // hold the lock until told
            }
        }
        for await _ in holding { break }
        var waiters: [Task<Void, Error>] = []
        for index in 1...5 {
            waiters.append(Task { try await mutex.withLock { order.withLockedValue { $0.append(index) } } })
            try await Task.sleep(for: .milliseconds(30))  // each waiter queues before the next starts
        }
        XCTAssertEqual(order.withLockedValue { $0 }, [], "a waiter entered while the lock was held")
        release.yield()
        try await holder.value
        for waiter in waiters { try await waiter.value }
        XCTAssertEqual(order.withLockedValue { $0 }, [1, 2, 3, 4, 5])
    }

    func testASectionThatThrowsReleasesTheLockAndItsValueIsReturned() async throws {
        struct Refused: Error {}
        let mutex = AsyncMutex()
        do {
            try await mutex.withLock { () async throws -> Void in throw Refused() }
            XCTFail("the section's error was not rethrown")
        } catch is Refused {}
        // Polled, not awaited: a lock never released would hang an await instead of failing.
        let entered = NIOLockedValueBox(false)
        Task { try await mutex.withLock { entered.withLockedValue { $0 = true } } }
        let deadline = ContinuousClock.now + .seconds(5)
        while !entered.withLockedValue({ $0 }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        guard entered.withLockedValue({ $0 }) else { return XCTFail("the lock stayed held after a section threw") }
        let value = try await mutex.withLock { 42 }
        XCTAssertEqual(value, 42)
    }
}
