import Foundation
import RocketMQWire
import XCTest

/// `startDeliverTime` over tcp: a RocketMQ 5 timer message, refused by a 4.x broker.
extension BindingThroughSocketTests {
    func testATimerMessageArrivesAtItsTimeOnRocketMQ5AndIsRefusedOnRocketMQ4() async throws {
        try await start(brokerVersion: 479)  // 5.3.3
        let five = try scenario("timer", ["instance": "timer5", "properties": properties(["topics": "timed"]), "delay_ms": 1500])
        XCTAssertEqual(five["status"] as? [String], ["OK", ""])
        XCTAssertEqual(five["data"] as? String, "timed")
        XCTAssertGreaterThanOrEqual(five["received_at"] as? Int ?? 0, five["deliver_at"] as? Int ?? .max, "delivered at its time, not before")
        let parked = try await broker.messages(topic: "rmq_sys_wheel_timer")
        XCTAssertEqual(parked.first?.properties[MessagePropertyKey.timerDeliverMillis], "\(five["deliver_at"] as? Int ?? 0)",
                       "sent as the 5.x Java client's setDeliverTimeMs sends it")
        await server.stop()
        try await broker.shutdown()

        try await start(brokerVersion: 409)  // 4.9.8
        let four = try scenario("timer", ["instance": "timer4", "properties": properties(["topics": "timed"]), "delay_ms": 1500])
        let status = try XCTUnwrap(four["status"] as? [String])
        XCTAssertEqual(status.first, "FAILED_PRECONDITION")
        XCTAssertTrue(status.last?.contains("RocketMQ 5") == true && status.last?.contains("delayLevel") == true, "\(status)")
        let sent = try await broker.messages(topic: "timed")
        XCTAssertEqual(sent.count, 0, "nothing was sent to a 4.x broker")
    }
}
