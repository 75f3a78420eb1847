import NIOCore
import NIOPosix
import RocketMQBinding
import XCTest

final class EventLoopTaskExecutorTests: XCTestCase {
    func testATaskPreferringTheExecutorResumesOnItsEventLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let executor = EventLoopTaskExecutor(loop)
        let onLoop = await Task(executorPreference: executor) {
            // A reply completed by another thread, as a broker's answer is.
            await withCheckedContinuation { continuation in DispatchQueue.global().async { continuation.resume() } }
            return loop.inEventLoop
        }.value
        XCTAssertTrue(onLoop)
        try await group.shutdownGracefully()
    }
}
