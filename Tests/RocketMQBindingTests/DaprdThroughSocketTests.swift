import Foundation
import NIOCore
import RocketMQTestBroker
import RocketMQWire
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The binding driven through its socket the way the real daprd drives it (docs/daprd.md §F):
/// forwarded headers in every request, a 4 MiB receive limit, closing nacks when it stops, and an
/// Init budget, against name servers that answer late or never.
extension BindingThroughSocketTests {
    func testDaprdsForwardedHeadersAreNotStoredAndDoNotBreakEitherAPIShape() async throws {
        try await start()
        let result = try scenario("overrides", ["instance": "fwd", "properties": properties(), "read_topics": ["orders"],
                                                "creates": [["color": "red", "__data__": "from-grpc-api"]]])
        let read = try XCTUnwrap((result["read"] as? [[String: Any]])?.first)
        XCTAssertEqual(read["properties"] as? [String: String], ["color": "red"], "only the application's key travelled")

        let http = try scenario("overrides", ["instance": "fwd-http", "api": "http", "properties": properties(["consumerGroup": "fwd-http"]),
                                              "read_topics": ["orders"], "creates": [["color": "blue", "__data__": "from-http-api"]]])
        let httpRead = try XCTUnwrap((http["read"] as? [[String: Any]])?.first { $0["bodyText"] as? String == "from-http-api" })
        XCTAssertEqual(httpRead["properties"] as? [String: String],
                       ["color": "blue", "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"],
                       "the trace context travels, its empty tracestate does not")
    }

    func testDaprdsClosingNacksLeaveMessagesForTheNextStreamWithoutASendBack() async throws {
        try await start()
        let result = try scenario("closing-nacks", ["instance": "closing", "properties": properties(), "count": 12, "acked": 5])
        let nacked = try XCTUnwrap(result["nacked"] as? [String])
        XCTAssertEqual(nacked.count, 7)
        XCTAssertEqual(result["again"] as? [String], nacked, "exactly the nacked messages came again")
        XCTAssertEqual(result["again_reconsume_times"] as? [String], ["0"], "a closing nack counts no reconsume")
        let sentBack = try await broker.requestCount(.consumerSendMsgBack)
        XCTAssertEqual(sentBack, 0, "nothing was sent back toward the DLQ")
        let retried = try await broker.messages(topic: "%RETRY%orders-app")
        XCTAssertEqual(retried.count, 0)
    }

    func testInitAnswersWithinDaprdsBudgetWhenTheNameServerNeverAnswers() async throws {
        try await start()
        let hole = try BlackHoleListener()
        let result = try scenario("init-budget", ["instance": "hole", "properties": properties(["nameServer": hole.address])])
        let timings = try XCTUnwrap(result["timings"] as? [String: Double])
        let statuses = try XCTUnwrap(result["statuses"] as? [String: [String]])
        XCTAssertEqual(statuses["output"]?.first, "OK", "waiting can fix an unreachable name server: Init succeeds")
        XCTAssertEqual(statuses["input"]?.first, "OK")
        XCTAssertLessThan(timings["output"] ?? 99, 2, "each Init answers within 2 s")
        XCTAssertLessThan((timings["output"] ?? 99) + (timings["input"] ?? 99), 5, "both directions fit daprd's 5 s initTimeout")
        XCTAssertEqual(statuses["create"]?.first, "UNAVAILABLE")
        XCTAssertTrue(statuses["create"]?.last?.contains(hole.address) == true, "\(statuses)")
        XCTAssertLessThan(timings["create"] ?? 99, 1, "create does not wait for the network while it is not connected")

        let failedFirst = try scenario("init-budget", ["instance": "first-dead",
                                                       "properties": properties(["nameServer": "\(hole.address);\(broker.nameServerAddress)"])])
        XCTAssertEqual(failedFirst["statuses"] as? [String: [String]], ["output": ["OK", ""], "input": ["OK", ""], "create": ["OK", ""]])
        let fast = try XCTUnwrap(failedFirst["timings"] as? [String: Double])
        XCTAssertLessThan(fast["create"] ?? 99, 1, "a dead first name server does not slow requests once a live one answered")

        let invalid = try scenario("init-budget", ["instance": "bad", "properties": properties(["nameServer": hole.address, "retries": "-1"])])
        XCTAssertEqual((invalid["statuses"] as? [String: [String]])?["output"]?.first, "INVALID_ARGUMENT", "waiting cannot fix bad metadata")
    }

    func testAComponentThatCouldNotConnectAtInitConnectsInTheBackgroundAndDelivers() async throws {
        try await start()
        try await broker.setResponseDelay(.seconds(60))  // accepts, answers nothing in time
        let client = try startScenario(socket: socket.path, "init-budget", [
            "instance": "late", "properties": properties(["consumerGroup": "late-app"]), "wait_for_input": true])
        defer { client.kill() }
        XCTAssertTrue(client.waitForOutput(timeout: 60) { $0.contains("timings") }, client.standardError)
        let first = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(client.standardOutput.split(separator: "\n")[0].utf8)) as? [String: Any])
        XCTAssertEqual((first["statuses"] as? [String: [String]])?["output"]?.first, "OK")
        XCTAssertEqual((first["statuses"] as? [String: [String]])?["input"]?.first, "OK")
        XCTAssertEqual((first["statuses"] as? [String: [String]])?["create"]?.first, "UNAVAILABLE")
        try await broker.setResponseDelay(nil)
        client.closeInput()
        XCTAssertTrue(client.waitForExit(timeout: 120), client.standardError)
        let last = try XCTUnwrap(JSONSerialization.jsonObject(with: Data((client.standardOutput.split(separator: "\n").last ?? "").utf8)) as? [String: Any])
        XCTAssertEqual(last["after"] as? [String], ["OK", ""], "create works once the background connection succeeded")
        XCTAssertEqual(last["delivered"] as? String, "after", "Read delivers once connected")
    }

    func testReadOnTheGroupOfAnOpenReadStreamIsRefusedNamingTheGroup() async throws {
        try await start()
        let result = try scenario("read-beside-stream", ["instance": "both", "properties": properties()])
        let same = try XCTUnwrap(result["same"] as? [String])
        XCTAssertEqual(same.first, "FAILED_PRECONDITION")
        XCTAssertTrue(same.last?.contains("orders-app") == true && same.last?.contains("consumerGroup") == true, "\(same)")
        XCTAssertEqual((result["other"] as? [String])?.first, "OK")
        XCTAssertEqual((result["after"] as? [String])?.first, "OK", "once the stream ended, read works on the group again")
    }

    func testReadsOfTwoAndFourMegabyteMessagesFitDaprdsLimitAndLoseNothing() async throws {
        try await start()
        let result = try scenario("large-reads", ["instance": "large", "properties": properties(["consumerGroup": "large-reader"]),
                                                  "sizes": [2_000_000, 4_000_000, 10], "max_messages": 5])
        let reads = try XCTUnwrap(result["reads"] as? [[String: Any]])
        let returned = reads.flatMap { ($0["messages"] as? [[String: Any]]) ?? [] }
            .sorted { ($0["first"] as? String ?? "") < ($1["first"] as? String ?? "") }
        XCTAssertEqual(returned.map { $0["first"] as? String }, ["a", "c"], "the 2 MB and the small message, once each")
        XCTAssertEqual(returned.first?["size"] as? Int, 2_000_000)
        XCTAssertEqual(returned.first?["has_text"] as? Bool, false, "bodyText is left out where it would not fit")
        XCTAssertEqual(returned.last?["has_text"] as? Bool, true)
        for read in reads { XCTAssertLessThanOrEqual(read["encoded"] as? Int ?? .max, 4 * 1024 * 1024) }
        let reported = reads.compactMap { ($0["metadata"] as? [String: String])?["deadLetteredMsgIds"] }
        let dead = try await broker.messages(topic: "%DLQ%large-reader")
        XCTAssertEqual(dead.count, 1, "the message no answer can carry went to the group's DLQ")
        XCTAssertEqual(reported, [dead.first?.properties[MessagePropertyKey.uniqueClientMessageIdKey] ?? "?"], "and the answer said so")
        XCTAssertEqual(try dead.first.map { try Compression.inflate($0.body, limit: 8 * 1024 * 1024).count }, 4_000_000,
                       "stored as sent (zlib-compressed on the wire)")
        XCTAssertEqual(reads.last.flatMap { $0["messages"] as? [Any] }?.count, 0, "nothing is left, nothing comes twice")
    }
}

/// A loopback TCP listener that accepts connections (the kernel completes the handshake) and never
/// answers: a name server that is up but black-holes every request.
final class BlackHoleListener {
    private let descriptor: Int32
    let address: String

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress -> Bool in
                bind(descriptor, socketAddress, length) == 0 && listen(descriptor, 64) == 0
                    && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard descriptor >= 0, bound else { throw POSIXError(.EADDRNOTAVAIL) }
        self.address = "127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
    }

    deinit {
        close(descriptor)
    }
}
