import NIOCore
import NIOEmbedded
import XCTest
@testable import RocketMQClient

final class FlushCoalescingHandlerTests: XCTestCase {
    private func makeChannel() throws -> (EmbeddedChannel, FlushCounter) {
        let counter = FlushCounter()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers(counter, FlushCoalescingHandler())
        return (channel, counter)
    }

    private func frames(_ channel: EmbeddedChannel) throws -> [String] {
        var read: [String] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { read.append(String(buffer: buffer)) }
        return read
    }

    func testWritesFlushedInOneLoopTurnLeaveInOneFlush() throws {
        let (channel, counter) = try makeChannel()
        for text in ["a", "b", "c"] {
            channel.writeAndFlush(ByteBuffer(string: text), promise: nil)
        }
        XCTAssertEqual(counter.flushes, 0, "the flush waits for the tasks queued on the loop")
        XCTAssertEqual(try frames(channel), [])

        channel.embeddedEventLoop.run()
        XCTAssertEqual(counter.flushes, 1)
        XCTAssertEqual(try frames(channel), ["a", "b", "c"])

        channel.writeAndFlush(ByteBuffer(string: "d"), promise: nil)
        channel.embeddedEventLoop.run()
        XCTAssertEqual(counter.flushes, 2, "a later turn flushes again")
        XCTAssertEqual(try frames(channel), ["d"])
        XCTAssertNoThrow(try channel.finish())
    }

    func testAWriteCompletesOnlyOnceFlushed() throws {
        let (channel, _) = try makeChannel()
        let written = channel.writeAndFlush(ByteBuffer(string: "a"))
        var done = false
        written.assumeIsolated().whenSuccess { done = true }
        XCTAssertFalse(done)
        channel.embeddedEventLoop.run()
        XCTAssertTrue(done)
        XCTAssertNoThrow(try channel.finish())
    }

    func testACloseFlushesWhatWasWrittenBeforeIt() throws {
        let (channel, counter) = try makeChannel()
        channel.writeAndFlush(ByteBuffer(string: "last words"), promise: nil)
        channel.close(promise: nil)
        XCTAssertEqual(counter.flushes, 1)
        XCTAssertEqual(try frames(channel), ["last words"])
        channel.embeddedEventLoop.run()
        XCTAssertEqual(counter.flushes, 1, "the queued flush found nothing left to do")
    }
}

/// Counts the flushes that pass towards the socket.
private final class FlushCounter: ChannelOutboundHandler {
    typealias OutboundIn = Any
    private(set) var flushes = 0

    func flush(context: ChannelHandlerContext) {
        flushes += 1
        context.flush()
    }
}
