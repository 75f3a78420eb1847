import Logging
import NIOCore
import NIOEmbedded
import RocketMQWire
import XCTest
@testable import RocketMQClient

final class RemotingChannelHandlerTests: XCTestCase {
    private func makeChannel(
        answering: @escaping InboundRequestHandler = { _, _ in nil }
    ) throws -> (EmbeddedChannel, RemotingChannelHandler) {
        let handler = RemotingChannelHandler(address: "test:1", logger: Logger(label: "test"), inboundRequests: answering)
        let channel = EmbeddedChannel(handler: handler)
        return (channel, handler)
    }

    /// Sends a request through the handler; the promise gets what its response callback gets.
    private func request(
        _ code: RequestCode, on channel: EmbeddedChannel, _ handler: RemotingChannelHandler, timeout: TimeAmount = .seconds(5)
    ) -> EventLoopFuture<RemotingCommand> {
        let promise = channel.eventLoop.makePromise(of: RemotingCommand.self)
        handler.send(OutboundRequest(command: .request(code: code), completion: .response(timeout: timeout) {
            promise.completeWith($0.mapError { $0 })
        }))
        return promise.futureResult
    }

    /// The result of a future that must already be complete: an embedded loop never completes it
    /// later, so waiting would hang the suite instead of failing the test.
    private struct StillWaiting: Error {}

    private func completed<Value>(_ future: EventLoopFuture<Value>) throws -> Value {
        var outcome: Result<Value, Error>?
        future.assumeIsolated().whenComplete { outcome = $0 }
        guard let outcome else { throw StillWaiting() }
        return try outcome.get()
    }

    private func assertFails(_ future: EventLoopFuture<RemotingCommand>, with expected: String, line: UInt = #line) {
        XCTAssertThrowsError(try completed(future), line: line) { error in
            switch (error, expected) {
            case (RocketMQError.timeout, "timeout"), (RocketMQError.connectionClosed, "connectionClosed"): break
            default: XCTFail("\(error), expected \(expected)", line: line)
            }
        }
    }

    func testResponsesAreMatchedByOpaqueInAnyOrder() throws {
        let (channel, handler) = try makeChannel()
        let first = request(.heartBeat, on: channel, handler)
        let second = request(.pullMessage, on: channel, handler)
        let sent1 = try XCTUnwrap(channel.readOutbound(as: RemotingCommand.self))
        let sent2 = try XCTUnwrap(channel.readOutbound(as: RemotingCommand.self))
        XCTAssertNotEqual(sent1.opaque, sent2.opaque)
        XCTAssertEqual(handler.pendingCount, 2)

        try channel.writeInbound(RemotingCommand.response(to: sent2, code: .pullNotFound))
        try channel.writeInbound(RemotingCommand.response(to: sent1, code: .success))
        XCTAssertEqual(try completed(first).responseCode, .success)
        XCTAssertEqual(try completed(second).responseCode, .pullNotFound)
        XCTAssertEqual(handler.pendingCount, 0)
        XCTAssertNoThrow(try channel.finish())
    }

    func testATimedOutRequestLeavesTheTableAndItsLateResponseIsIgnored() throws {
        let (channel, handler) = try makeChannel()
        let response = request(.heartBeat, on: channel, handler, timeout: .seconds(3))
        let sent = try XCTUnwrap(channel.readOutbound(as: RemotingCommand.self))
        channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        assertFails(response, with: "timeout")
        XCTAssertEqual(handler.pendingCount, 0)
        try channel.writeInbound(RemotingCommand.response(to: sent, code: .success))
        XCTAssertEqual(handler.pendingCount, 0)
        XCTAssertNoThrow(try channel.finish())
    }

    func testClosingTheChannelFailsEveryPendingRequest() throws {
        let (channel, handler) = try makeChannel()
        let responses = (0..<3).map { _ in request(.heartBeat, on: channel, handler, timeout: .seconds(30)) }
        XCTAssertEqual(handler.pendingCount, 3)
        _ = try channel.finish()
        for response in responses { assertFails(response, with: "connectionClosed") }
        XCTAssertEqual(handler.pendingCount, 0)
    }

    func testRequestsSentAfterTheCloseFailAtOnce() throws {
        let (channel, handler) = try makeChannel()
        _ = try channel.finish()
        assertFails(request(.heartBeat, on: channel, handler), with: "connectionClosed")
        let written = channel.eventLoop.makePromise(of: Void.self)
        handler.send(OutboundRequest(command: .request(code: .updateConsumerOffset), completion: .oneway(written: written)))
        XCTAssertThrowsError(try completed(written.futureResult)) { error in
            guard case RocketMQError.connectionClosed = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(handler.pendingCount, 0)
    }

    func testEachRequestTimesOutAtItsOwnDeadlineWhateverTheOrderTheyWereSent() throws {
        let (channel, handler) = try makeChannel()
        let long = request(.pullMessage, on: channel, handler, timeout: .seconds(30))
        let short = request(.heartBeat, on: channel, handler, timeout: .seconds(3))
        let answered = request(.sendMessageV2, on: channel, handler, timeout: .seconds(2))
        let middle = request(.heartBeat, on: channel, handler, timeout: .seconds(10))
        let sent = try (0..<4).map { _ in try XCTUnwrap(channel.readOutbound(as: RemotingCommand.self)) }
        try channel.writeInbound(RemotingCommand.response(to: sent[2], code: .success))
        XCTAssertEqual(try completed(answered).responseCode, .success)

        channel.embeddedEventLoop.advanceTime(by: .seconds(3) - .nanoseconds(1))
        XCTAssertEqual(handler.pendingCount, 3, "nothing is due before its deadline")
        channel.embeddedEventLoop.advanceTime(by: .nanoseconds(1))
        assertFails(short, with: "timeout")
        XCTAssertEqual(handler.pendingCount, 2)
        channel.embeddedEventLoop.advanceTime(by: .seconds(7))
        assertFails(middle, with: "timeout")
        XCTAssertEqual(handler.pendingCount, 1)
        channel.embeddedEventLoop.advanceTime(by: .seconds(20))
        assertFails(long, with: "timeout")
        XCTAssertEqual(handler.pendingCount, 0)
        XCTAssertNoThrow(try channel.finish())
    }

    func testBrokerRequestsAreAnsweredAndUnknownOnesRefused() throws {
        let (channel, _) = try makeChannel { request, _ in
            request.requestCode == .getConsumerRunningInfo
                ? RemotingCommand.response(to: request, code: .success, body: Array("{}".utf8)) : nil
        }
        var running = RemotingCommand.request(code: .getConsumerRunningInfo)
        running.opaque = 77
        try channel.writeInbound(running)
        let answer = try XCTUnwrap(channel.readOutbound(as: RemotingCommand.self))
        XCTAssertEqual(answer.opaque, 77)
        XCTAssertTrue(answer.isResponse)
        XCTAssertEqual(answer.responseCode, .success)

        var unknown = RemotingCommand.request(code: RequestCode(9999))
        unknown.opaque = 78
        try channel.writeInbound(unknown)
        let refusal = try XCTUnwrap(channel.readOutbound(as: RemotingCommand.self))
        XCTAssertEqual(refusal.opaque, 78)
        XCTAssertEqual(refusal.responseCode, .requestCodeNotSupported)

        let notify = RemotingCommand.request(code: .notifyConsumerIdsChanged, oneway: true)
        try channel.writeInbound(notify)
        XCTAssertNil(try channel.readOutbound(as: RemotingCommand.self), "oneway pushes get no answer")
        XCTAssertNoThrow(try channel.finish())
    }

    func testOnewayRequestsCarryTheOnewayBitAndWaitForNothing() throws {
        let (channel, handler) = try makeChannel()
        let written = channel.eventLoop.makePromise(of: Void.self)
        handler.send(OutboundRequest(command: .request(code: .updateConsumerOffset), completion: .oneway(written: written)))
        XCTAssertNoThrow(try completed(written.futureResult))
        let sent = try XCTUnwrap(channel.readOutbound(as: RemotingCommand.self))
        XCTAssertTrue(sent.isOneway)
        XCTAssertEqual(handler.pendingCount, 0)
        XCTAssertNoThrow(try channel.finish())
    }
}
