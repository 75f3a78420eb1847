import DaprComponents
import Foundation
import Logging
import NIOCore
import RocketMQBinding
import RocketMQTestBroker
import RocketMQWire
import TestSupport
import XCTest

/// The RocketMQ binding served on a real socket (in process) against the in-memory test broker,
/// driven by Python grpcio as daprd would drive it.
final class BindingThroughSocketTests: XCTestCase {
    var folder: TemporaryFolder!
    var broker: RocketMQTestBroker!
    var server: ComponentServer!
    var socket: ComponentSocket!

    func start(acl: RocketMQTestBrokerConfiguration.Credentials? = nil, brokerVersion: Int32 = 409,
               propertyFilter: Bool = false) async throws {
        folder = try TemporaryFolder()
        var configuration = RocketMQTestBrokerConfiguration()
        configuration.version = brokerVersion
        configuration.delayTimeScale = 0.005   // retry delays of seconds become milliseconds
        configuration.acl = acl
        configuration.enablePropertyFilter = propertyFilter
        configuration.logger.logLevel = .warning
        broker = try await RocketMQTestBroker.start(configuration)
        socket = ComponentSocket(name: "rocketmq", environment: ["DAPR_COMPONENTS_SOCKETS_FOLDER": folder.path])
        try startServer()
    }

    /// A component server on `socket`, as the executable starts one.
    func startServer() throws {
        var logger = Logger(label: "binding-test")
        logger.logLevel = .warning
        var serverConfiguration = ComponentServer.Configuration(socket: socket)
        serverConfiguration.shutdownGracePeriod = .seconds(2)
        server = RocketMQBindingFactory(logger: logger).makeServer(serverConfiguration, logger: logger)
        try server.start()
    }

    override func tearDown() async throws {
        await server?.stop()
        try? await broker?.shutdown()
        folder = nil
    }

    func properties(_ extra: [String: String] = [:]) -> [String: String] {
        ["topics": "orders", "nameServer": broker.nameServerAddress, "consumerGroup": "orders-app",
         "consumeFromWhere": "first"].merging(extra) { $1 }
    }

    func scenario(_ name: String, _ arguments: [String: Any], timeout: TimeInterval = 300,
                          file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        try runScenario(socket: socket.path, name, arguments, timeout: timeout, file: file, line: line)
    }

    func testCreateThenReadDeliversTheSameBytesAndTheDocumentedMetadata() async throws {
        try await start()
        let result = try scenario("roundtrip", ["instance": "orders", "properties": properties()])
        XCTAssertEqual(result["data_hex"] as? String, "0068656c6c6fff")
        let metadata = try XCTUnwrap(result["metadata"] as? [String: String])
        let created = try XCTUnwrap(result["create_metadata"] as? [String: String])
        XCTAssertEqual(metadata["topic"], "orders")
        XCTAssertEqual(metadata["tags"], "tagA")
        XCTAssertEqual(metadata["keys"], "k1 k2")
        XCTAssertEqual(metadata["msgId"], created["msgId"])
        XCTAssertEqual(metadata["queueId"], created["queueId"])
        XCTAssertEqual(metadata["queueOffset"], created["queueOffset"])
        XCTAssertEqual(metadata["brokerName"], broker.brokerName)
        XCTAssertEqual(metadata["reconsumeTimes"], "0")
        XCTAssertEqual(metadata["consumerGroup"], "orders-app")
        XCTAssertEqual(metadata["rocketmq-consumerGroup"], "orders-app")
        XCTAssertEqual(metadata["rocketmq-broker-name"], broker.brokerName)
        XCTAssertEqual(metadata["rocketmq-sub-expression"], "*")
        XCTAssertEqual(metadata["traceparent"], "00-trace-01", "user properties reach daprd, so traces continue")
        XCTAssertEqual(metadata["color"], "red")
        for forwarded in ["dapr-authority", "user-agent", "content-type", "authorization", "dapr-api-token", "grpc-accept-encoding", "x-forwarded-for"] {
            XCTAssertNil(metadata[forwarded], "daprd's forwarded \(forwarded) header was not stored in the message")
        }
        XCTAssertNotNil(metadata["bornTimestamp"].flatMap(Int64.init))
        XCTAssertNotNil(metadata["storeTimestamp"].flatMap(Int64.init))
        XCTAssertEqual(created["topic"], "orders")
        XCTAssertEqual(created["offsetMsgId"]?.count, 32)
        XCTAssertEqual((result["create_data"] as? [[String: String]])?.first, created)
        XCTAssertEqual(result["create_content_type"] as? String, "application/json")
    }

    func testFiveThousandMessagesWithTenPercentErrorAcksAreAllFinallyHandled() async throws {
        try await start()
        let result = try scenario("consume", ["instance": "orders", "properties": properties(["consumerThreadNums": "64"]),
                                              "count": 5000, "error_rate": 0.1, "seed": 11], timeout: 900)
        XCTAssertEqual(result["distinct_succeeded"] as? Int, 5000)
        XCTAssertEqual(result["missing"] as? [String], [])
        XCTAssertEqual(result["duplicates_after_success"] as? Int, 0, "an acked message never comes again")
        XCTAssertEqual(result["stored_twice"] as? Int, 0, "with the broker up, every send is stored once")
        let errorAcks = try XCTUnwrap(result["error_acks"] as? Int)
        XCTAssertGreaterThan(errorAcks, 300, "about 10% of the deliveries were failed")
        XCTAssertGreaterThanOrEqual(result["retried_deliveries"] as? Int ?? 0, errorAcks, "every failed message came back through the retry topic")
        let retried = try await broker.messages(topic: "%RETRY%orders-app")
        XCTAssertEqual(retried.count, errorAcks, "each error ack sent the message back once")
    }

    func testUnackedMessagesOfACancelledStreamComeAgainOnTheNextStream() async throws {
        try await start()
        let result = try scenario("cancel-inflight", ["instance": "orders", "properties": properties(), "count": 20, "unacked": 5])
        let held = try XCTUnwrap(result["held"] as? [String])
        XCTAssertEqual(held.count, 5)
        XCTAssertEqual(Set(result["redelivered"] as? [String] ?? []), Set(held))
    }

    func testTwoInstancesOnOneSocketAreIsolated() async throws {
        try await start()
        let result = try scenario("isolation", [
            "a": properties(["topics": "topic-a", "consumerGroup": "group-a"]),
            "b": properties(["topics": "topic-b", "consumerGroup": "group-b"]),
        ])
        XCTAssertEqual(result["a"] as? [String], (0..<5).map { "a-\($0)" })
        XCTAssertEqual(result["b"] as? [String], (0..<5).map { "b-\($0)" })
    }

    func testReadOperationReturnsMessagesAndCommitsPastThem() async throws {
        try await start()
        let result = try scenario("read-operation", ["instance": "orders", "properties": properties()])
        let first = try XCTUnwrap(result["first"] as? [[String: Any]])
        let second = try XCTUnwrap(result["second"] as? [[String: Any]])
        XCTAssertEqual(first.count, 5)
        XCTAssertEqual(second.count, 2)
        XCTAssertEqual((result["third"] as? [Any])?.count, 0)
        let bodies = (first + second).compactMap { $0["bodyText"] as? String }
        XCTAssertEqual(Set(bodies), Set((0..<7).map { "r-\($0)" }), "each message returned once")
        XCTAssertEqual(first.first?["body"] as? String, Data((first.first?["bodyText"] as? String ?? "").utf8).base64EncodedString())
        XCTAssertEqual(result["content_type"] as? String, "application/json")
        var committed: Int64 = 0
        for queue in 0..<4 { committed += try await broker.consumerOffset(group: "orders-app", topic: "orders", queueId: Int32(queue)) ?? 0 }
        XCTAssertEqual(committed, 7, "the offsets were committed on the broker")
    }

    func testStatusesOfBadMetadataRequestsAndBrokerRefusals() async throws {
        try await start(acl: .init(accessKey: "rmqUser", secretKey: "rmqUserSecret1"))
        let good = properties(["accessKey": "rmqUser", "secretKey": "rmqUserSecret1"])
        let wrongSecret = properties(["accessKey": "rmqUser", "secretKey": "wrongSecret"])
        let result = try scenario("statuses", ["instance": "s", "calls": [
            ["output", ["nameServer": broker.nameServerAddress]],                    // topics missing
            ["output", properties(["consumerBatchSize": "0"])],
            ["output", properties(["accessProto": "http", "endpoint": "http://x"])],   // no keys
            ["create", ["__data__": "too early"]],                                  // before a successful Init
            ["output", wrongSecret],                                                 // refused by ACL: Init fails
            ["create", [:]],
            ["output", good],
            ["create", ["rocketmq-delay-level": "99"]],
            ["create", [:]],
            ["nosuchop", [:]],
            ["create", ["__size__": 4 * 1024 * 1024 + 1]],
        ]])
        let codes = (result["statuses"] as? [[String]])?.map { $0[0] }
        XCTAssertEqual(codes, ["INVALID_ARGUMENT", "INVALID_ARGUMENT", "INVALID_ARGUMENT", "FAILED_PRECONDITION", "PERMISSION_DENIED",
                               "FAILED_PRECONDITION", "OK", "INVALID_ARGUMENT", "OK", "INVALID_ARGUMENT", "INVALID_ARGUMENT"])
        let details = (result["statuses"] as? [[String]])?.map { $0[1] } ?? []
        XCTAssertTrue(details[0].contains("topics"), details[0])
        XCTAssertTrue(details[1].contains("consumerBatchSize"), details[1])
        XCTAssertTrue(details[2].contains("accessKey and secretKey"), details[2])
        XCTAssertTrue(details[4].contains("AclException") || details[4].contains("ermission"), details[4])
        XCTAssertFalse(details.joined().contains("wrongSecret"), "secrets never appear in errors")
        XCTAssertTrue(details[9].contains("create, read"), details[9])
        XCTAssertTrue(details[10].contains("4194304") || details[10].contains("size"), details[10])
    }

    func testEveryMetadataValidationErrorThroughTheSocket() async throws {
        try await start()
        let invalid: [(field: String, properties: [String: String])] = [
            ("topics", ["nameServer": broker.nameServerAddress]),
            ("topics", properties(["topics": " , "])),
            ("topics", properties(["topics": "bad topic!"])),
            ("nameServer", ["topics": "t"]),
            ("nameServer", properties(["nameServer": "hostonly"])),
            ("accessProto", properties(["accessProto": "udp"])),
            ("consumerBatchSize", properties(["consumerBatchSize": "2000"])),
            ("consumerThreadNums", properties(["consumerThreadNums": "0"])),
            ("retries", properties(["retries": "many"])),
            ("maxReconsumeTimes", properties(["maxReconsumeTimes": "-2"])),
            ("sendTimeoutMs", properties(["sendTimeoutMs": "0"])),
            ("consumeOrderly", properties(["consumeOrderly": "sometimes"])),
            ("consumeFromWhere", properties(["consumeFromWhere": "middle"])),
            ("consumeTimestamp", properties(["consumeFromWhere": "timestamp", "consumeTimestamp": "noon"])),
            ("consumerGroup", properties(["consumerGroup": "a b"])),
            ("producerGroup", properties(["producerGroup": "a/b"])),
            ("instanceId", properties(["instanceId": "x%y"])),
            ("secretKey", properties(["accessKey": "ak"])),
            ("securityToken", properties(["securityToken": "t"])),
        ]
        for direction in ["output", "input"] {
            let result = try scenario("statuses", ["instance": "v", "calls": invalid.map { [direction, $0.properties] }])
            let statuses = try XCTUnwrap(result["statuses"] as? [[String]])
            for (index, expected) in invalid.enumerated() {
                XCTAssertEqual(statuses[index][0], "INVALID_ARGUMENT", "\(direction) \(expected.field): \(statuses[index])")
                XCTAssertTrue(statuses[index][1].contains(expected.field), "\(direction): \(statuses[index][1]) names \(expected.field)")
            }
        }
    }

    func testPerRequestOverridesThroughTheSocket() async throws {
        try await start()
        let result = try scenario("overrides", [
            "instance": "o", "properties": properties(), "wait_ms": 3000,
            "creates": [
                ["rocketmq-topic": "other", "tags": "T", "keys": "a,b", "color": "red", "__data__": "routed"],
                ["rocketmq-shardingkey": "user-1", "__data__": "s1"],
                ["rocketmq-shardingkey": "user-1", "__data__": "s2"],
                ["topics": "t1,t2", "__data__": "multi"],
                ["rocketmq-topic": "later", "delayLevel": "1", "__data__": "delayed"],
            ],
            "read_topics": ["other", "t1", "t2", "later"],
        ])
        let created = try XCTUnwrap(result["created"] as? [[[String: String]]])
        XCTAssertEqual(created[0].first?["topic"], "other")
        XCTAssertEqual(created[1].first?["queueId"], created[2].first?["queueId"], "one sharding key, one queue")
        XCTAssertEqual(created[3].map { $0["topic"] }, ["t1", "t2"], "one result per topic")
        let read = try XCTUnwrap(result["read"] as? [[String: Any]])
        let routed = try XCTUnwrap(read.first { $0["bodyText"] as? String == "routed" })
        XCTAssertEqual(routed["topic"] as? String, "other")
        XCTAssertEqual(routed["tags"] as? String, "T")
        XCTAssertEqual(routed["keys"] as? String, "a b")
        XCTAssertEqual((routed["properties"] as? [String: String])?["color"], "red")
        XCTAssertEqual(read.filter { $0["bodyText"] as? String == "multi" }.count, 2)
        let delayed = try XCTUnwrap(read.first { $0["bodyText"] as? String == "delayed" }, "the delayed message arrived in its topic")
        XCTAssertEqual(delayed["topic"] as? String, "later")
    }

    func testErrorAcksEndInTheDeadLetterQueueAfterMaxReconsumeTimes() async throws {
        try await start()
        let client = try startScenario(socket: socket.path, "fail-always", [
            "instance": "dlq", "properties": properties(["maxReconsumeTimes": "2"]), "deliveries": 3])
        defer { client.kill() }
        XCTAssertTrue(client.waitForOutput(timeout: 120) { $0.contains("reconsume_times") }, client.standardError)
        XCTAssertTrue(client.standardOutput.contains("[0, 1, 2]"), client.standardOutput)
        let deadline = Date().addingTimeInterval(20)
        var dead: [String] = []
        while dead.isEmpty, Date() < deadline {  // the last failure ack travels, then the send-back
            dead = try await broker.messages(topic: "%DLQ%orders-app").map { String(decoding: $0.body, as: UTF8.self) }
            if dead.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        }
        client.closeInput()
        XCTAssertTrue(client.waitForExit(timeout: 30))
        XCTAssertEqual(dead, ["doomed"], "after maxReconsumeTimes the broker moved it to the DLQ")
    }

    func testBrokerDownIsUnavailableWithinTheRetriesAndRecoversWhenItIsBack() async throws {
        try await start()
        _ = try scenario("statuses", ["instance": "down", "calls": [["output", properties(["retries": "1", "sendTimeoutMs": "500"])]]])
        try await broker.stop()
        let down = try scenario("statuses", ["instance": "down", "calls": [["create", [:]]]])
        XCTAssertEqual((down["statuses"] as? [[String]])?.first?.first, "UNAVAILABLE")
        try await broker.restart()
        let back = try scenario("statuses", ["instance": "down", "calls": [["create", [:]]]])
        XCTAssertEqual((back["statuses"] as? [[String]])?.first?.first, "OK", "\(back)")
    }

    func testAMessageTooLargeForDaprdGoesToTheDeadLetterQueueNotDeliveredAndTheStreamLives() async throws {
        try await start()
        // Within RocketMQ's 4 MiB body limit, but with its metadata over daprd's 4 MiB gRPC limit.
        let client = try startScenario(socket: socket.path, "oversize-delivery", [
            "instance": "big", "properties": properties(), "size": 4 * 1024 * 1024 - 64])
        defer { client.kill() }
        XCTAssertTrue(client.waitForOutput(timeout: 120) { $0.contains("first") }, client.standardError)
        XCTAssertTrue(client.standardOutput.contains(#""first": "small""#), client.standardOutput)
        let deadline = Date().addingTimeInterval(20)
        var deadLettered: [StoredMessage] = []
        while deadLettered.isEmpty, Date() < deadline {  // the stream stays open meanwhile
            deadLettered = try await broker.messages(topic: "%DLQ%orders-app")
            if deadLettered.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        }
        client.closeInput()
        XCTAssertTrue(client.waitForExit(timeout: 30))
        let sizes = try deadLettered.map { try ($0.isCompressed ? Compression.inflate($0.body, limit: 1 << 23) : $0.body).count }
        XCTAssertEqual(sizes, [4 * 1024 * 1024 - 64], "the large message went to the DLQ, not lost")
        let retried = try await broker.messages(topic: "%RETRY%orders-app")
        XCTAssertEqual(retried.count, 0, "not through the retries first: it would never fit on any of them")
    }

    func testReadAnswersStayWithinDaprdsLimitAndLeaveTheRestForTheNextRead() async throws {
        try await start()
        for index in 0..<6 {  // 6 × 600 KiB: more than one answer can carry under 4 MiB
            try await broker.publish(topic: "orders", queueId: Int32(index % 2), body: Array(repeating: UInt8(ascii: "a") + UInt8(index), count: 600 * 1024))
        }
        let result = try scenario("overrides", ["instance": "budget", "properties": properties(), "creates": [[String: String]](),
                                                "read_topics": ["orders", "orders", "orders", "orders"]])
        let read = try XCTUnwrap(result["read"] as? [[String: Any]])
        // bodyText is left out where it would not fit: the base64 body is always there.
        let bodies = read.compactMap { ($0["body"] as? String).flatMap { Data(base64Encoded: $0) }.flatMap { String(decoding: $0, as: UTF8.self).first } }
        XCTAssertEqual(bodies.count, 6, "every message came back once across the reads")
        XCTAssertEqual(Set(bodies), Set((0..<6).map { Character(UnicodeScalar(UInt8(ascii: "a") + UInt8($0))) }))
    }

    func testOrderlyConsumptionKeepsTheOrderOfOneShardingKey() async throws {
        try await start()
        let result = try scenario("orderly", ["instance": "orderly", "properties": properties(["consumeOrderly": "true"]),
                                              "count": 12, "fail": "o-5"])
        // The failed message comes again in place, before anything after it.
        XCTAssertEqual(result["order"] as? [String], (0...5).map { "o-\($0)" } + (5..<12).map { "o-\($0)" })
    }
}
