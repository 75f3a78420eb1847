import DaprComponents
import Foundation
import Logging
import RocketMQBinding
import RocketMQHTTP
import MQHTTPTestServer
import TestSupport
import XCTest

/// `accessProto: http` served on a real socket (in process) against the in-memory HTTP access
/// protocol server, driven by Python grpcio as daprd would drive it.
final class HTTPAccessThroughSocketTests: XCTestCase {
    private let accessKey = "LTAI5tExampleAK"
    private let secretKey = "ExampleSecret123"
    private var folder: TemporaryFolder!
    private var service: MQHTTPTestServer!
    private var server: ComponentServer!
    private var socket: ComponentSocket!

    private func start(invisibleFor: Duration = .milliseconds(400)) async throws {
        folder = try TemporaryFolder()
        var quiet = Logger(label: "http-access-test")
        quiet.logLevel = .warning
        service = MQHTTPTestServer(credentials: [accessKey: secretKey], invisibleFor: invisibleFor, logger: quiet)
        try await service.start()
        for topic in ["orders", "audit"] { service.createTopic(topic, instance: "MQ_INST_1") }
        socket = ComponentSocket(name: "rocketmq", environment: ["DAPR_COMPONENTS_SOCKETS_FOLDER": folder.path])
        var configuration = ComponentServer.Configuration(socket: socket)
        configuration.shutdownGracePeriod = .seconds(2)
        server = RocketMQBindingFactory(logger: quiet).makeServer(configuration, logger: quiet)
        try server.start()
    }

    override func tearDown() async throws {
        await server?.stop()
        await service?.shutdown()
        folder = nil
    }

    private func properties(_ extra: [String: String] = [:]) -> [String: String] {
        ["accessProto": "http", "endpoint": service.endpoint, "accessKey": accessKey, "secretKey": secretKey,
         "instanceId": "MQ_INST_1", "topics": "orders", "consumerGroup": "GID_orders", "retries": "0"].merging(extra) { $1 }
    }

    private func scenario(_ name: String, _ arguments: [String: Any], timeout: TimeInterval = 300,
                          file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        try runScenario(socket: socket.path, name, arguments, timeout: timeout, file: file, line: line)
    }

    private func statuses(_ calls: [[Any]], instance: String = "s") throws -> [(code: String, detail: String)] {
        let result = try scenario("statuses", ["instance": instance, "calls": calls])
        return (result["statuses"] as? [[String]] ?? []).map { ($0[0], $0[1]) }
    }

    func testPublishReadAckAndAnErrorAckComesAgainAfterTheInvisibilityTime() async throws {
        try await start()
        let body = "  hello <&> \"quoted\" 'single'\r\nline two  "
        let result = try scenario("http-roundtrip", ["instance": "orders", "properties": properties(), "body": body])

        XCTAssertEqual(result["same_bytes"] as? Bool, true, "the body arrives byte for byte, spaces, CR and markup included")
        let created = try XCTUnwrap(result["create_metadata"] as? [String: String])
        let stored = service.messages(topic: "orders", instance: "MQ_INST_1")
        XCTAssertEqual(stored.count, 3)
        XCTAssertEqual(created["msgId"], stored.first?.id)
        XCTAssertEqual(created["topic"], "orders")
        XCTAssertEqual(created["bodyMD5"]?.lowercased(), MQHTTPSigner.bodyMD5(of: Array(body.utf8)))
        XCTAssertEqual((result["create_data"] as? [[String: String]])?.first, created)
        XCTAssertEqual(stored.first?.tag, "tagA")
        XCTAssertEqual(stored.first?.properties["KEYS"], "k1")
        XCTAssertEqual(stored.first?.properties["__SHARDINGKEY"], "user-1")

        let metadata = try XCTUnwrap(result["metadata"] as? [String: String])
        XCTAssertEqual(metadata["topic"], "orders")
        XCTAssertEqual(metadata["msgId"], created["msgId"])
        XCTAssertEqual(metadata["tags"], "tagA")
        XCTAssertEqual(metadata["keys"], "k1")
        XCTAssertEqual(metadata["shardingKey"], "user-1")
        XCTAssertEqual(metadata["traceparent"], "00-trace-01", "user properties reach daprd, so traces continue")
        XCTAssertEqual(metadata["color"], "red")
        XCTAssertEqual(metadata["reconsumeTimes"], "0")
        XCTAssertEqual(metadata["consumerGroup"], "GID_orders")
        XCTAssertEqual(metadata["rocketmq-consumerGroup"], "GID_orders")
        XCTAssertEqual(metadata["rocketmq-sub-expression"], "*")
        XCTAssertNil(metadata["KEYS"], "the protocol's reserved properties are not user properties")
        XCTAssertNotNil(metadata["bornTimestamp"].flatMap(Int64.init))

        XCTAssertEqual(result["failed"] as? String, "fail-once")
        XCTAssertEqual(result["again"] as? String, "fail-once", "the error-acked message came again")
        XCTAssertEqual((result["again_metadata"] as? [String: String])?["reconsumeTimes"], "1")
        XCTAssertEqual((result["again_metadata"] as? [String: String])?["msgId"], (result["failed_metadata"] as? [String: String])?["msgId"])
        XCTAssertEqual(result["last"] as? String, "last")

        for message in stored {
            XCTAssertTrue(service.isAcked(messageID: message.id, group: "GID_orders"), "\(message.body) was acked after daprd's success")
        }
        XCTAssertEqual(service.deliveryCount(messageID: stored[1].id, group: "GID_orders"), 2, "handed out, failed, handed out again")
        XCTAssertEqual(service.deliveryCount(messageID: stored[0].id, group: "GID_orders"), 1)
    }

    func testManyMessagesWithErrorAcksAreAllFinallyHandled() async throws {
        try await start(invisibleFor: .milliseconds(300))
        let result = try scenario("consume", ["instance": "bulk", "properties": properties(), "count": 300, "error_rate": 0.1, "seed": 5, "finish": true])
        XCTAssertEqual(result["distinct_succeeded"] as? Int, 300)
        XCTAssertEqual(result["missing"] as? [String], [])
        let errorAcks = try XCTUnwrap(result["error_acks"] as? Int)
        XCTAssertGreaterThan(errorAcks, 10)
        XCTAssertGreaterThanOrEqual(result["retried_deliveries"] as? Int ?? 0, errorAcks, "every failed message came again")
        let stored = service.messages(topic: "orders", instance: "MQ_INST_1")
        XCTAssertEqual(stored.count, 300)
        XCTAssertEqual(stored.filter { service.isAcked(messageID: $0.id, group: "GID_orders") }.count, 300)
    }

    func testTheReadOperationPollsAcksAndReturnsEachMessageOnce() async throws {
        try await start()
        let result = try scenario("read-operation", ["instance": "reader", "properties": properties()])
        let first = try XCTUnwrap(result["first"] as? [[String: Any]])
        let second = try XCTUnwrap(result["second"] as? [[String: Any]])
        XCTAssertEqual(first.count, 5)
        XCTAssertEqual(second.count, 2)
        XCTAssertEqual((result["third"] as? [Any])?.count, 0)
        let bodies = (first + second).compactMap { $0["bodyText"] as? String }
        XCTAssertEqual(Set(bodies), Set((0..<7).map { "r-\($0)" }))
        XCTAssertEqual(first.first?["body"] as? String, Data((first.first?["bodyText"] as? String ?? "").utf8).base64EncodedString())
        let stored = service.messages(topic: "orders", instance: "MQ_INST_1")
        XCTAssertEqual(stored.filter { service.isAcked(messageID: $0.id, group: "GID_orders") }.count, 7)
    }

    func testWrongSecretIsPermissionDeniedAndBadRequestsAreInvalidArguments() async throws {
        try await start()
        let wrong = properties(["secretKey": "wrongSecret"])
        let results = try statuses([
            ["output", wrong],
            ["input", wrong],
            ["output", properties(["accessKey": "unknownKey"])],
            ["output", properties(["endpoint": "not a url"])],
            ["output", properties()],
            ["create", ["__data__": "ok"]],
            ["create", ["color": "red|blue"]],
            ["create", ["__STARTDELIVERTIME": "1"]],
            ["create", ["rocketmq-topic": "nosuchtopic"]],
            ["create", ["startDeliverTime": "soon"]],
            ["read", ["waitMs": "40000"]],
        ])
        XCTAssertEqual(results.map(\.code), ["PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED", "INVALID_ARGUMENT", "OK", "OK",
                                             "INVALID_ARGUMENT", "INVALID_ARGUMENT", "NOT_FOUND", "INVALID_ARGUMENT", "INVALID_ARGUMENT"])
        XCTAssertTrue(results[10].detail.contains("waitMs") && results[10].detail.contains("0 to 30000"), "a poll waits 30 s at most: \(results[10].detail)")
        XCTAssertTrue(results[0].detail.contains("SignatureDoesNotMatch"), results[0].detail)
        XCTAssertFalse(results.map(\.detail).joined().contains("wrongSecret"), "secrets never appear in errors")
        XCTAssertTrue(results[3].detail.contains("endpoint"), results[3].detail)
        XCTAssertTrue(results[6].detail.contains("color") && results[6].detail.contains("|"), results[6].detail)
        XCTAssertTrue(results[7].detail.contains("__STARTDELIVERTIME"), results[7].detail)
        XCTAssertTrue(results[8].detail.contains("TopicNotExist"), results[8].detail)
        XCTAssertTrue(results[9].detail.contains("startDeliverTime"), results[9].detail)
        XCTAssertEqual(service.messages(topic: "orders", instance: "MQ_INST_1").count, 1, "only the valid create published")
    }

    func testDataXMLCannotCarryIsRefusedBeforeAnythingIsSent() async throws {
        try await start()
        let results = try statuses([["output", properties()], ["create", ["__data__": "nul\u{0}byte"]]])
        XCTAssertEqual(results.map(\.code), ["OK", "INVALID_ARGUMENT"])
        XCTAssertTrue(results[1].detail.contains("XML text"), results[1].detail)
        XCTAssertEqual(service.messages(topic: "orders", instance: "MQ_INST_1").count, 0)
        XCTAssertFalse(service.requests.contains { $0.method == "POST" }, "nothing was sent")
    }

    func testDelayedDeliveryTravelsAsTheStartDeliverTimeProperty() async throws {
        try await start()
        let deliverAt = Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000
        let results = try statuses([
            ["output", properties()],
            ["create", ["__data__": "at", "startDeliverTime": "\(deliverAt)"]],
            ["create", ["__data__": "level", "delayLevel": "3"]],
            ["create", ["__data__": "both", "delayLevel": "3", "startDeliverTime": "\(deliverAt)"]],
        ])
        XCTAssertEqual(results.map(\.code), ["OK", "OK", "OK", "INVALID_ARGUMENT"])
        let stored = service.messages(topic: "orders", instance: "MQ_INST_1")
        XCTAssertEqual(stored.map(\.body), ["at", "level"])
        XCTAssertEqual(stored[0].startDeliverTime, deliverAt)
        let levelDelay = try XCTUnwrap(stored[1].startDeliverTime) - stored[1].publishTime
        XCTAssertTrue((8_000...12_000).contains(levelDelay), "delay level 3 is 10 s, measured \(levelDelay) ms")
    }

    func testMalformedAndErrorAnswersOfTheServiceAreCleanErrors() async throws {
        try await start()
        XCTAssertEqual(try statuses([["output", properties()]]).map(\.code), ["OK"])
        service.answerNextWithMalformedBody(1, body: "<Message><MessageId>")
        service.failNext(1, status: 503, code: "InternalError", message: "try later")
        service.failNext(1, status: 403, code: "AccessDenied", message: "no right to this topic")
        service.failNext(1, status: 400, code: "QpsLimitExceeded", message: "slow down")
        let results = try statuses([["create", [:]], ["create", [:]], ["create", [:]], ["create", [:]], ["create", [:]]])
        XCTAssertEqual(results.map(\.code), ["UNAVAILABLE", "UNAVAILABLE", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "OK"])
        XCTAssertTrue(results[0].detail.contains("malformed"), results[0].detail)
        XCTAssertTrue(results[1].detail.contains("InternalError") && results[1].detail.contains("try later"), results[1].detail)
        XCTAssertTrue(results[2].detail.contains("AccessDenied"), results[2].detail)
    }

    func testRetriesCarryAPublishOverATransientServiceError() async throws {
        try await start()
        XCTAssertEqual(try statuses([["output", properties(["retries": "2"])]]).map(\.code), ["OK"])
        service.failNext(2, status: 500, code: "InternalServerError", message: "hiccup")
        XCTAssertEqual(try statuses([["create", ["__data__": "persistent"]]]).map(\.code), ["OK"])
        XCTAssertEqual(service.messages(topic: "orders", instance: "MQ_INST_1").map(\.body), ["persistent"])
    }
}
