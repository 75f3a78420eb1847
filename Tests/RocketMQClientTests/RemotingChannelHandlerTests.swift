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

    func testResponsesAreMatchedByOpaqueInAnyOrder() throws {
        let (channel, handler) = try makeChannel()
        let first = channel.eventLoop.makePromise(of: RemotingCommand.self)
        let second = channel.eventLoop.makePromise(of: RemotingCommand.self)
        channel.write(OutboundRequest(command: .request(code: .heartBeat), response: first, timeout: .seconds(5)), promise: nil)
        channel.write(OutboundRequest(command: .request(code: .pullMessage), response: second, timeout: .seconds(5)), promise: nil)
        let sent1 = try XCTUnwrap(channel.readOutbound(as: RemotingCommand.self))
        let sent2 = try XCTUnwrap(channel.readOutbound(as: RemotingCommand.self))
        XCTAssertNotEqual(sent1.opaque, sent2.opaque)
        XCTAssertEqual(handler.pendingCount, 2)

        try channel.writeInbound(RemotingCommand.response(to: sent2, code: .pullNotFound))
        try channel.writeInbound(RemotingCommand.response(to: sent1, code: .success))
        XCTAssertEqual(try first.futureResult.wait().responseCode, .success)
        XCTAssertEqual(try second.futureResult.wait().responseCode, .pullNotFound)
        XCTAssertEqual(handler.pendingCount, 0)
        XCTAssertNoThrow(try channel.finish())
    }

    func testATimedOutRequestLeavesTheTableAndItsLateResponseIsIgnored() throws {
        let (channel, handler) = try makeChannel()
        let promise = channel.eventLoop.makePromise(of: RemotingCommand.self)
        channel.write(OutboundRequest(command: .request(code: .heartBeat), response: promise, timeout: .seconds(3)), promise: nil)
        let sent = try XCTUnwrap(channel.readOutbound(as: RemotingCommand.self))
        channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        XCTAssertThrowsError(try promise.futureResult.wait()) { error in
            guard case RocketMQError.timeout = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(handler.pendingCount, 0)
        try channel.writeInbound(RemotingCommand.response(to: sent, code: .success))
        XCTAssertEqual(handler.pendingCount, 0)
        XCTAssertNoThrow(try channel.finish())
    }

    func testClosingTheChannelFailsEveryPendingRequest() throws {
        let (channel, handler) = try makeChannel()
        let promises = (0..<3).map { _ in channel.eventLoop.makePromise(of: RemotingCommand.self) }
        for promise in promises {
            channel.write(OutboundRequest(command: .request(code: .heartBeat), response: promise, timeout: .seconds(30)), promise: nil)
        }
        XCTAssertEqual(handler.pendingCount, 3)
        _ = try channel.finish()
        for promise in promises {
            XCTAssertThrowsError(try promise.futureResult.wait()) { error in
                guard case RocketMQError.connectionClosed = error else { return XCTFail("\(error)") }
            }
        }
        XCTAssertEqual(handler.pendingCount, 0)
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
        channel.write(OutboundRequest(command: .request(code: .updateConsumerOffset), response: nil, timeout: .zero), promise: nil)
        let sent = try XCTUnwrap(channel.readOutbound(as: RemotingCommand.self))
        XCTAssertTrue(sent.isOneway)
        XCTAssertEqual(handler.pendingCount, 0)
        XCTAssertNoThrow(try channel.finish())
    }
}
