import NIOCore
import XCTest
@testable import RocketMQClient

final class ConnectionStateMachineTests: XCTestCase {
    private let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)

    func testConnectThenShareThenReconnectAfterClose() {
        var machine = ConnectionStateMachine()
        XCTAssertEqual(machine.requestConnection(now: t0), .connect(after: .zero))
        XCTAssertEqual(machine.requestConnection(now: t0), .wait)
        XCTAssertEqual(machine.connectSucceeded(), .succeedWaiters)
        XCTAssertEqual(machine.requestConnection(now: t0), .useActive)
        XCTAssertEqual(machine.channelClosed(), .forgetConnection)
        XCTAssertEqual(machine.requestConnection(now: t0), .connect(after: .zero))
    }

    func testFailedAttemptsBackOffExponentiallyUpToTheCap() {
        var machine = ConnectionStateMachine(initialBackoff: .milliseconds(100), maximumBackoff: .milliseconds(350))
        _ = machine.requestConnection(now: t0)
        XCTAssertEqual(machine.connectFailed(now: t0), .failWaiters)
        XCTAssertEqual(machine.requestConnection(now: t0), .connect(after: .milliseconds(100)))
        _ = machine.connectFailed(now: t0)
        XCTAssertEqual(machine.requestConnection(now: t0 + .milliseconds(50)), .connect(after: .milliseconds(150)))
        _ = machine.connectFailed(now: t0)
        XCTAssertEqual(machine.requestConnection(now: t0), .connect(after: .milliseconds(350)))
        XCTAssertEqual(machine.connectSucceeded(), .succeedWaiters)
        XCTAssertEqual(machine.state, .active)
    }

    func testShutdownRefusesRequestsAndClosesLateChannels() {
        var machine = ConnectionStateMachine()
        _ = machine.requestConnection(now: t0)
        XCTAssertEqual(machine.shutDown(), .none)
        XCTAssertEqual(machine.connectSucceeded(), .closeChannelAndFailWaiters)
        XCTAssertEqual(machine.requestConnection(now: t0), .failShutDown)

        var active = ConnectionStateMachine()
        _ = active.requestConnection(now: t0)
        _ = active.connectSucceeded()
        XCTAssertEqual(active.shutDown(), .closeChannel)
    }
}

final class CorrelationTableTests: XCTestCase {
    func testEntriesLeaveOnResponseAndOnDrainAndTheTableThenRefuses() {
        var table = CorrelationTable<String>()
        guard case .registered = table.register(opaque: 1, "one") else { return XCTFail() }
        guard case .registered = table.register(opaque: 2, "two") else { return XCTFail() }
        guard case .duplicate("again") = table.register(opaque: 2, "again") else { return XCTFail() }
        XCTAssertEqual(table.resolve(opaque: 1), "one")
        XCTAssertNil(table.resolve(opaque: 1), "a late response finds nothing")
        XCTAssertEqual(table.drain(), ["two"])
        XCTAssertEqual(table.count, 0)
        guard case .closed("three") = table.register(opaque: 3, "three") else { return XCTFail() }
        XCTAssertEqual(table.count, 0)
    }

    func testRemoveAllWhereTakesOutExactlyTheMatchingEntries() {
        var table = CorrelationTable<Int>()
        for opaque in 1...5 { _ = table.register(opaque: Int32(opaque), opaque * 10) }
        XCTAssertEqual(table.removeAll(where: { $0 <= 20 }).sorted(), [10, 20])
        XCTAssertEqual(table.entries.sorted(), [30, 40, 50])
        XCTAssertNil(table.resolve(opaque: 1))
        XCTAssertEqual(table.resolve(opaque: 3), 30)
    }
}
