import DaprComponents
import Foundation
import TestSupport
import XCTest

/// `--metrics-port`: the real executable's Prometheus endpoint, scraped before and after known
/// traffic; and no endpoint at all by default.
final class MetricsTests: XCTestCase {
    private var launcher: ComponentLauncher!

    override func setUp() async throws {
        launcher = try ComponentLauncher()
    }

    override func tearDown() async throws {
        launcher = nil
    }

    private func launch(_ arguments: [String]) throws -> ChildProcess {
        try launcher.launch(arguments + ["--log-level", "info"])
    }

    func testTheCountersMoveByExactlyTheCreatesAndDeliveriesMade() throws {
        let process = try launch(["--demo-broker", "--metrics-port=0"])
        XCTAssertTrue(process.waitForOutput(timeout: 30) { _ in process.standardError.contains("serving Prometheus metrics") })
        let port = try XCTUnwrap(process.standardError.firstMatch(of: #/0\.0\.0\.0:(\d+)/metrics/#).map { String($0.1) })
        let result = try runScenario(socket: launcher.socketPath, "metrics", [
            "instance": "metered", "url": "http://127.0.0.1:\(port)/metrics", "creates": 7, "deliveries": 7,
            "properties": ["topics": "metered", "consumerGroup": "metered-app", "consumeFromWhere": "first"],
        ])
        let before = try XCTUnwrap(result["before"] as? [String: Double])
        let after = try XCTUnwrap(result["after"] as? [String: Double])
        func moved(_ sample: String) -> Double { (after[sample] ?? 0) - (before[sample] ?? 0) }
        XCTAssertEqual((result["refused"] as? [String])?.first, "INVALID_ARGUMENT")
        XCTAssertEqual(moved(#"dapr_rocketmq_messages_sent_total{topic="metered",outcome="ok"}"#), 7, "\(after.keys.sorted())")
        XCTAssertEqual(moved(#"dapr_rocketmq_send_duration_seconds_count{topic="metered"}"#), 7)
        XCTAssertEqual(moved(#"dapr_rocketmq_messages_delivered_total{topic="metered"}"#), 7)
        XCTAssertEqual(moved(#"dapr_rocketmq_messages_acked_total{topic="metered"}"#), 6)
        XCTAssertEqual(moved(#"dapr_rocketmq_messages_error_acked_total{topic="metered"}"#), 1)
        XCTAssertEqual(after[#"dapr_rocketmq_messages_in_flight"#], 0, "every delivery was answered")
        XCTAssertEqual(moved(#"dapr_rocketmq_grpc_calls_total{method="/dapr.proto.components.v1.OutputBinding/Invoke",code="OK"}"#), 7)
        XCTAssertEqual(moved(#"dapr_rocketmq_grpc_calls_total{method="/dapr.proto.components.v1.OutputBinding/Invoke",code="INVALID_ARGUMENT"}"#), 1)
        XCTAssertEqual(after[#"dapr_rocketmq_consumer_lag{topic="metered",group="metered-app"}"#], 0,
                       "every message of the topic was pulled: \(after.keys.filter { $0.contains("lag") })")
        XCTAssertGreaterThanOrEqual(after[#"dapr_rocketmq_broker_connects_total{kind="connect"}"#] ?? 0, 2, "a name server and a broker")
        XCTAssertFalse(after.keys.contains { $0.contains("msgId") || $0.contains("message_id") }, "labels never carry message ids")
    }

    func testAMessageTheConsumerMovesToTheDLQItselfIsCountedOnce() throws {
        let process = try launch(["--demo-broker", "--metrics-port=0"])
        XCTAssertTrue(process.waitForOutput(timeout: 30) { _ in process.standardError.contains("serving Prometheus metrics") })
        let port = try XCTUnwrap(process.standardError.firstMatch(of: #/0\.0\.0\.0:(\d+)/metrics/#).map { String($0.1) })
        let deadLettered = #"dapr_rocketmq_messages_dead_lettered_total{topic="doomed"}"#
        // Broadcasting with maxReconsumeTimes 0: the error-acked message goes to the DLQ at once,
        // by a send-back the consumer makes itself (no retry topic).
        let result = try runScenario(socket: launcher.socketPath, "metrics", [
            "instance": "dlq-metered", "url": "http://127.0.0.1:\(port)/metrics", "creates": 3, "deliveries": 3, "wait_for": deadLettered,
            "properties": ["topics": "doomed", "consumerGroup": "doomed-app", "consumeFromWhere": "first",
                           "consumerModel": "broadcasting", "maxReconsumeTimes": "0"],
        ])
        let before = try XCTUnwrap(result["before"] as? [String: Double])
        let after = try XCTUnwrap(result["after"] as? [String: Double])
        XCTAssertEqual((after[deadLettered] ?? 0) - (before[deadLettered] ?? 0), 1, "\(after.keys.filter { $0.contains("dead") })")
        XCTAssertEqual((after[#"dapr_rocketmq_messages_error_acked_total{topic="doomed"}"#] ?? 0), 1)
    }

    func testNoEndpointListensByDefault() throws {
        let process = try launch([])
        XCTAssertFalse(process.standardError.contains("Prometheus"), process.standardError)
        XCTAssertEqual(try listeningTCPSockets(of: process.process.processIdentifier), 0, "no TCP port is open without --metrics-port")
    }

    /// TCP sockets in LISTEN state (st 0A) among the process's open files.
    private func listeningTCPSockets(of pid: Int32) throws -> Int {
        let fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")
        let inodes = Set(fds.compactMap { fd -> String? in
            let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")
            return target?.firstMatch(of: #/socket:\[(\d+)\]/#).map { String($0.1) }
        })
        var listening = 0
        for table in ["tcp", "tcp6"] {
            let text = try String(contentsOfFile: "/proc/\(pid)/net/\(table)", encoding: .utf8)
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                if fields.count > 9, fields[3] == "0A", inodes.contains(String(fields[9])) { listening += 1 }
            }
        }
        return listening
    }
}
