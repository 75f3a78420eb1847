import DaprComponents
import Foundation
import RocketMQBinding
import RocketMQClient
import RocketMQWire
import XCTest

/// `consumerModel: broadcasting` through the socket, driven as daprd drives the component
/// (docs/component-spec.md §4): every instance of a group gets every message, keeps its own
/// offsets in a file under the state folder and resumes there after a restart of the component;
/// an error ack comes again to the same instance, never through the broker's retry topic.
extension BindingThroughSocketTests {
    private static let members = ["member-a", "member-b"]

    /// The component server stopped and a new one started on the same socket, as a restart of the
    /// component process; `whileDown` runs in between. The state folder is the socket's default.
    private func restartComponent(whileDown: () async throws -> Void) async throws {
        await server.stop()
        try await whileDown()
        try startServer()
    }

    /// One instance's part of a `broadcast` scenario's result.
    private func deliveries(_ result: [String: Any], _ instance: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let part = try XCTUnwrap(result[instance] as? [String: Any], "no result for \(instance): \(result)", file: file, line: line)
        XCTAssertTrue(part["error"] is NSNull, "\(instance): \(part["error"] ?? "")", file: file, line: line)
        return try XCTUnwrap(part["deliveries"] as? [String], file: file, line: line)
    }

    private func offsetFile(_ instance: String) -> String {
        "\(socket.defaultStateFolder)/broadcasting/\(instance)/orders-app.offsets.json"
    }

    func testTwoBroadcastingInstancesEachGetEveryMessageAndResumeWhereTheyStoppedAfterARestart() async throws {
        try await start()
        let broadcasting = properties(["consumerModel": "broadcasting"])
        let before = (0..<12).map { "m-\($0)" }
        let first = try scenario("broadcast", [
            "publisher": "orders-out", "count": before.count, "prefix": "m", "instances": Self.members,
            "properties": broadcasting, "expected": before, "fail": ["member-b": "m-3"],
        ])
        let a = try deliveries(first, "member-a"), b = try deliveries(first, "member-b")
        XCTAssertEqual(a.sorted(), before.sorted(), "member-a got every message, each once")
        XCTAssertEqual(b.filter { $0 != "m-3" }.sorted(), before.filter { $0 != "m-3" }.sorted(), "member-b got every message")
        XCTAssertEqual(b.filter { $0 == "m-3" }.count, 2, "the error ack delivered m-3 again to member-b alone")
        let sentBack = try await broker.requestCount(.consumerSendMsgBack)
        let retried = try await broker.messages(topic: "%RETRY%orders-app").count
        let membersAsked = try await broker.requestCount(.getConsumerListByGroup)
        let offsetsOnTheBroker = try await broker.requestCount(.updateConsumerOffset)
        XCTAssertEqual(sentBack, 0, "nothing went back to the broker")
        XCTAssertEqual(retried, 0, "nothing came through a retry topic")
        XCTAssertEqual(membersAsked, 0, "a broadcasting member takes every queue without asking")
        XCTAssertEqual(offsetsOnTheBroker, 0, "offsets stay with each member")
        for member in Self.members {
            let offsets = try LocalOffsetStore(path: offsetFile(member)).offsets
            XCTAssertEqual(offsets.values.reduce(0, +), Int64(before.count), "\(member) stored every queue past what it acked: \(offsets)")
            XCTAssertEqual(Set(offsets.keys.map(\.topic)), ["orders"], "no retry topic in \(member)'s file")
        }

        let after = (0..<8).map { "n-\($0)" }
        try await restartComponent {
            for (index, body) in after.enumerated() {
                try await broker.publish(topic: "orders", queueId: Int32(index % 4), body: Array(body.utf8))
            }
        }
        let second = try scenario("broadcast", ["instances": Self.members, "properties": broadcasting, "expected": after])
        for member in Self.members {
            XCTAssertEqual(try deliveries(second, member).sorted(), after.sorted(),
                           "\(member) resumed after its last ack: what came while it was down, nothing acked before")
            let offsets = try LocalOffsetStore(path: offsetFile(member)).offsets
            XCTAssertEqual(offsets.values.reduce(0, +), Int64(before.count + after.count), "\(member): \(offsets)")
        }
    }

    func testABroadcastingComponentRefusesTheReadOperationAndADamagedOffsetFileFailsInit() async throws {
        try await start()
        let broadcasting = properties(["consumerModel": "broadcasting"])
        let damaged = offsetFile("damaged")
        try FileManager.default.createDirectory(atPath: (damaged as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data("{\"offsetTable\":".utf8).write(to: URL(fileURLWithPath: damaged))
        let calls: [[Any]] = [["output", broadcasting], ["read", [:]], ["input", broadcasting]]
        let result = try scenario("statuses", ["instance": "damaged", "calls": calls])
        let statuses = try XCTUnwrap(result["statuses"] as? [[String]])
        XCTAssertEqual(statuses.map { $0[0] }, ["OK", "FAILED_PRECONDITION", "FAILED_PRECONDITION"])
        XCTAssertTrue(statuses[1][1].contains("broadcasting") && statuses[1][1].contains("one per consumer group"), statuses[1][1])
        XCTAssertTrue(statuses[2][1].contains(damaged) && statuses[2][1].contains("is not an offset table"), statuses[2][1])
        XCTAssertEqual(try String(contentsOfFile: damaged, encoding: .utf8), "{\"offsetTable\":", "a damaged file is left for a human")
    }
}
