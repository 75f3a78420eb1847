import DaprComponents
import Logging
import NIOPosix
import RocketMQClient
@testable import RocketMQBinding
import XCTest

final class BindingMetadataTests: XCTestCase {
    private func parse(_ properties: [String: String]) throws -> BindingMetadata {
        try BindingMetadata(properties: properties, now: Date(timeIntervalSince1970: 1_700_000_000))
    }

    private func assertInvalid(_ properties: [String: String], mentions words: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(properties), file: file, line: line) { error in
            guard let error = error as? ComponentError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertEqual(error.kind, .invalidArgument, file: file, line: line)
            for word in words { XCTAssertTrue(error.message.contains(word), "\(error.message) lacks \(word)", file: file, line: line) }
        }
    }

    func testDefaultsAndCaseInsensitiveKeys() throws {
        let metadata = try parse(["TOPICS": "orders", "nameserver": "127.0.0.1:9876", "direction": "input", "route": "/x"])
        XCTAssertEqual(metadata.subscriptions, [Subscription(topic: "orders", expression: "*")])
        XCTAssertEqual(metadata.nameServers, ["127.0.0.1:9876"])
        XCTAssertEqual(metadata.accessProtocol, .tcp)
        XCTAssertEqual(metadata.consumerGroup, "DEFAULT_CONSUMER")
        XCTAssertTrue(metadata.consumerGroupWasDefaulted)
        XCTAssertEqual(metadata.producerGroup, "DEFAULT_PRODUCER")
        XCTAssertEqual(metadata.consumerBatchSize, 32)
        XCTAssertEqual(metadata.consumerThreadNums, 20)
        XCTAssertEqual(metadata.retries, 3)
        XCTAssertEqual(metadata.maxReconsumeTimes, 16)
        XCTAssertEqual(metadata.sendTimeoutMillis, 3000)
        XCTAssertFalse(metadata.consumeOrderly)
        XCTAssertEqual(metadata.consumeFrom, .last)
        XCTAssertEqual(metadata.consumeTimestampMillis, (1_700_000_000 - 1800) * 1000)
    }

    func testTopicsSplitAtTheFirstDoublePipeAndSkipEmptyEntries() throws {
        let metadata = try parse(["topics": " orders||tagA||tagB , ,payments|| ,audit||*", "nameServer": "a:1"])
        XCTAssertEqual(metadata.subscriptions, [
            Subscription(topic: "orders", expression: "tagA||tagB"),
            Subscription(topic: "payments", expression: "*"),
            Subscription(topic: "audit", expression: "*"),
        ])
    }

    func testEveryFieldIsParsed() throws {
        let metadata = try parse([
            "topics": "t", "nameServer": "http://ns1:9876; ns2:9877", "consumerGroup": "g1", "producerGroup": "p1",
            "consumerBatchSize": "64", "consumerThreadNums": "5", "retries": "0", "instanceId": "MQ_INST_1",
            "accessKey": "ak", "secretKey": "sk", "securityToken": "tok", "consumeFromWhere": "timestamp",
            "consumeTimestamp": "20231114221320", "maxReconsumeTimes": "3", "consumeOrderly": "true",
            "sendTimeoutMs": "500", "contentType": "application/json", "accessProto": "TCP-CGO",
        ])
        XCTAssertEqual(metadata.nameServers, ["ns1:9876", "ns2:9877"])
        XCTAssertEqual(metadata.consumerGroup, "g1")
        XCTAssertEqual(metadata.producerGroup, "p1")
        XCTAssertEqual(metadata.consumerBatchSize, 64)
        XCTAssertEqual(metadata.consumerThreadNums, 5)
        XCTAssertEqual(metadata.retries, 0)
        XCTAssertEqual(metadata.instanceID, "MQ_INST_1")
        XCTAssertEqual(metadata.accessKey, "ak")
        XCTAssertEqual(metadata.secretKey, "sk")
        XCTAssertEqual(metadata.securityToken, "tok")
        XCTAssertEqual(metadata.consumeFrom, .timestamp)
        XCTAssertEqual(metadata.consumeTimestampMillis, 1_700_000_000_000)
        XCTAssertEqual(metadata.maxReconsumeTimes, 3)
        XCTAssertTrue(metadata.consumeOrderly)
        XCTAssertEqual(metadata.sendTimeoutMillis, 500)
        XCTAssertEqual(metadata.contentType, "application/json")
        XCTAssertEqual(metadata.accessProtocol, .tcpCgo)
    }

    func testEveryInvalidValueNamesTheFieldAndTheValue() {
        let base = ["topics": "t", "nameServer": "a:1"]
        func with(_ key: String, _ value: String) -> [String: String] { base.merging([key: value]) { $1 } }
        assertInvalid(["nameServer": "a:1"], mentions: ["topics", "missing"])
        assertInvalid(with("topics", " , "), mentions: ["topics"])
        assertInvalid(with("topics", "bad topic!"), mentions: ["topics", "bad topic!"])
        assertInvalid(["topics": "t"], mentions: ["nameServer", "missing"])
        assertInvalid(with("nameServer", "hostonly"), mentions: ["nameServer", "hostonly", "host:port"])
        assertInvalid(with("nameServer", "h:99999"), mentions: ["nameServer", "h:99999"])
        assertInvalid(with("accessProto", "udp"), mentions: ["accessProto", "udp", "tcp, tcp-cgo or http"])
        assertInvalid(with("consumerBatchSize", "0"), mentions: ["consumerBatchSize", "\"0\"", "1 to 1024"])
        assertInvalid(with("consumerBatchSize", "lots"), mentions: ["consumerBatchSize", "lots"])
        assertInvalid(with("consumerThreadNums", "1001"), mentions: ["consumerThreadNums", "1 to 1000"])
        assertInvalid(with("retries", "-1"), mentions: ["retries"])
        assertInvalid(with("maxReconsumeTimes", "x"), mentions: ["maxReconsumeTimes"])
        assertInvalid(with("sendTimeoutMs", "0"), mentions: ["sendTimeoutMs"])
        assertInvalid(with("consumeOrderly", "maybe"), mentions: ["consumeOrderly", "maybe", "true or false"])
        assertInvalid(with("consumeFromWhere", "middle"), mentions: ["consumeFromWhere", "middle"])
        assertInvalid(with("consumeTimestamp", "yesterday"), mentions: ["consumeTimestamp", "yesterday"])
        assertInvalid(with("consumerGroup", "bad group"), mentions: ["consumerGroup", "bad group"])
        assertInvalid(with("producerGroup", "p/1"), mentions: ["producerGroup"])
        assertInvalid(with("instanceId", "a%b"), mentions: ["instanceId", "a%b"])
        assertInvalid(with("accessKey", "ak"), mentions: ["accessKey", "secretKey", "secretKey is missing"])
        assertInvalid(base.merging(["securityToken": "t"]) { $1 }, mentions: ["securityToken"])
        assertInvalid(["topics": "t", "accessProto": "http"], mentions: ["endpoint", "missing"])
    }

    func testHTTPAccessNeedsAnEndpointURLAndBothKeysAndPollsAtMostSixteen() throws {
        let http = ["topics": "t", "accessProto": "http", "endpoint": "http://123.mqrest.cn-hangzhou.aliyuncs.com",
                    "accessKey": "ak", "secretKey": "sk", "instanceId": "MQ_INST_1"]
        func with(_ key: String, _ value: String?) -> [String: String] {
            var properties = http
            properties[key] = value
            return properties
        }
        let metadata = try parse(http)
        XCTAssertEqual(metadata.accessProtocol, .http)
        XCTAssertEqual(metadata.consumerBatchSize, 16, "the protocol hands out at most 16 per poll")
        XCTAssertEqual(metadata.nameServers, [], "no name server is needed")
        XCTAssertEqual(try parse(with("consumerBatchSize", "3")).consumerBatchSize, 3)
        assertInvalid(with("consumerBatchSize", "17"), mentions: ["consumerBatchSize", "\"17\"", "1 to 16"])
        assertInvalid(with("endpoint", nil), mentions: ["endpoint", "missing"])
        assertInvalid(with("endpoint", "mqrest.example.com"), mentions: ["endpoint", "mqrest.example.com", "http:// or https://"])
        assertInvalid(with("endpoint", "ftp://host"), mentions: ["endpoint", "ftp://host"])
        assertInvalid(with("endpoint", "http://host/?a=1"), mentions: ["endpoint", "query"])
        assertInvalid(with("endpoint", "http://user:pa55word@host"), mentions: ["endpoint", "user information"])
        XCTAssertThrowsError(try parse(with("endpoint", "http://user:pa55word@host"))) { XCTAssertFalse("\($0)".contains("pa55word")) }
        assertInvalid(with("accessKey", nil).merging(["secretKey": ""]) { $1 }, mentions: ["accessKey", "secretKey", "missing"])
        assertInvalid(with("secretKey", nil), mentions: ["accessKey", "secretKey"])
    }

    func testConsumerModelIsClusteringOrBroadcastingAndHTTPAccessHasOnlyClustering() throws {
        XCTAssertEqual(try parse(["topics": "t", "nameServer": "127.0.0.1:9876"]).consumerModel, .clustering)
        XCTAssertEqual(try parse(["topics": "t", "nameServer": "127.0.0.1:9876", "consumerModel": "CLUSTERING"]).consumerModel, .clustering)
        XCTAssertEqual(try parse(["topics": "t", "nameServer": "127.0.0.1:9876", "consumermodel": " broadcasting "]).consumerModel, .broadcasting)
        assertInvalid(["topics": "t", "nameServer": "127.0.0.1:9876", "consumerModel": "fanout"], mentions: ["consumerModel", "\"fanout\"", "clustering", "broadcasting"])
        assertInvalid(["topics": "t", "accessProto": "http", "endpoint": "http://123.mqrest.cn-hangzhou.aliyuncs.com",
                       "accessKey": "ak", "secretKey": "sk", "consumerModel": "broadcasting"],
                      mentions: ["consumerModel", "broadcasting", "accessProto http", "clustering mode only"])
    }

    func testABroadcastingInstanceKeepsItsOffsetsInAFileOfItsOwnNamedSafely() throws {
        var environment = BindingEnvironment(logger: Logger(label: "test"), outputEventLoop: MultiThreadedEventLoopGroup.singleton.next(), stateFolder: "/state")
        let broadcasting = try parse(["topics": "t", "nameServer": "127.0.0.1:9876", "consumerGroup": "G_1", "consumerModel": "broadcasting"])
        XCTAssertEqual(try environment.messageModel(broadcasting, instance: "orders-in"),
                       .broadcasting(offsetFile: "/state/broadcasting/orders-in/G_1.offsets.json"))
        XCTAssertEqual(try environment.messageModel(broadcasting, instance: "../../etc/x"),
                       .broadcasting(offsetFile: "/state/broadcasting/%2E%2E%2F%2E%2E%2Fetc%2Fx/G_1.offsets.json"),
                       "no path separator or .. survives in a file name")
        XCTAssertEqual(try environment.messageModel(broadcasting, instance: "."), .broadcasting(offsetFile: "/state/broadcasting/%2E/G_1.offsets.json"))
        XCTAssertEqual(try environment.messageModel(broadcasting, instance: "a%2Fb"),
                       .broadcasting(offsetFile: "/state/broadcasting/a%252Fb/G_1.offsets.json"), "an escaped name never meets another")
        let namespaced = try parse(["topics": "t", "nameServer": "127.0.0.1:9876", "consumerGroup": "G_1", "consumerModel": "broadcasting", "instanceId": "ns1"])
        XCTAssertEqual(try environment.messageModel(namespaced, instance: "orders-in"),
                       .broadcasting(offsetFile: "/state/broadcasting/orders-in/ns1%25G_1.offsets.json"), "a namespace makes another group")
        XCTAssertEqual(try environment.messageModel(try parse(["topics": "t", "nameServer": "127.0.0.1:9876"]), instance: "orders-in"), .clustering)
        XCTAssertThrowsError(try environment.messageModel(broadcasting, instance: String(repeating: "x", count: 201))) { error in
            XCTAssertEqual((error as? ComponentError)?.kind, .invalidArgument)
            XCTAssertTrue("\(error)".contains("instance name") && "\(error)".contains("too long"), "\(error)")
        }
        environment.stateFolder = nil
        XCTAssertThrowsError(try environment.messageModel(broadcasting, instance: "orders-in")) { error in
            XCTAssertEqual((error as? ComponentError)?.kind, .failedPrecondition)
            XCTAssertTrue("\(error)".contains("--state-dir") && "\(error)".contains("DAPR_ROCKETMQ_STATE_DIR"), "\(error)")
        }
    }

    func testSecretsNeverAppearInMessagesOrDescriptions() throws {
        let secret = "s3cr3t-value-xyz"
        XCTAssertThrowsError(try parse(["topics": "t", "nameServer": "a:1", "secretKey": secret])) { error in
            XCTAssertFalse("\(error)".contains(secret))
        }
        let metadata = try parse(["topics": "t", "nameServer": "a:1", "accessKey": "AK-visible", "secretKey": secret])
        XCTAssertFalse(metadata.description.contains(secret))
        XCTAssertFalse(metadata.description.contains("AK-visible"))
    }

    func testDemoNameServerIsUsedOnlyWhenNoneIsGiven() throws {
        XCTAssertEqual(try BindingMetadata(properties: ["topics": "t"], defaultNameServers: ["127.0.0.1:1"]).nameServers, ["127.0.0.1:1"])
        XCTAssertEqual(try BindingMetadata(properties: ["topics": "t", "nameServer": "n:2"], defaultNameServers: ["127.0.0.1:1"]).nameServers, ["n:2"])
        XCTAssertEqual(try BindingMetadata(properties: ["topics": "t", "nameServerDomain": "d"], defaultNameServers: ["127.0.0.1:1"]).nameServers, [])
    }
}

final class CreateRequestTests: XCTestCase {
    private let component = try! BindingMetadata(properties: ["topics": "orders||tagA,audit", "nameServer": "a:1"])

    func testDefaultTargetsAreTheComponentTopicsWithASingleTagAsDefault() throws {
        let request = try CreateRequest(data: [1], metadata: [:], component: component)
        XCTAssertEqual(request.messages.map(\.topic), ["orders", "audit"])
        XCTAssertEqual(request.messages.map(\.tags), ["tagA", nil])
    }

    func testEveryPerRequestOverride() throws {
        let request = try CreateRequest(data: Array("x".utf8), metadata: [
            "rocketmq-topic": "t1", "rocketmq-tag": "T", "rocketmq-key": "k1,k2", "rocketmq-shardingkey": "user-7",
            "rocketmq-delay-level": "3", "traceparent": "00-abc-def-01", "color": "red",
        ], component: component)
        XCTAssertEqual(request.messages, [OutgoingMessage(topic: "t1", body: Array("x".utf8), tags: "T", keys: ["k1", "k2"],
                                                          properties: ["traceparent": "00-abc-def-01", "color": "red"],
                                                          delayLevel: 3, shardingKey: "user-7")])
        let seedStyle = try CreateRequest(data: [], metadata: ["topics": "a, b", "tags": "X", "keys": "k", "delayLevel": "18"], component: component)
        XCTAssertEqual(seedStyle.messages.map(\.topic), ["a", "b"])
        XCTAssertEqual(seedStyle.messages.map(\.tags), ["X", "X"])
        XCTAssertEqual(seedStyle.messages.first?.delayLevel, 18)
    }

    func testInvalidRequestMetadataIsRefused() {
        for (metadata, word) in [(["delayLevel": "19"], "delayLevel"), (["rocketmq-delay-level": "x"], "delayLevel"),
                                 (["topics": "no good"], "topics"), (["UNIQ_KEY": "forged"], "UNIQ_KEY"),
                                 (["p": "a\u{1}b"], "U+0001")] {
            XCTAssertThrowsError(try CreateRequest(data: [], metadata: metadata, component: component)) { error in
                XCTAssertEqual((error as? ComponentError)?.kind, .invalidArgument)
                XCTAssertTrue("\(error)".contains(word), "\(error)")
            }
        }
    }

    func testTheResponseIsAnArrayOfObjectsWithSortedKeysAndTheFirstIsTheMetadata() {
        let response = CreateRequest.response([["topic": "T", "msgId": "M1", "queueId": "2"], ["msgId": "M\"2"]])
        XCTAssertEqual(String(decoding: response.data, as: UTF8.self), #"[{"msgId":"M1","queueId":"2","topic":"T"},{"msgId":"M\"2"}]"#)
        XCTAssertEqual(response.metadata, ["topic": "T", "msgId": "M1", "queueId": "2"])
        XCTAssertEqual(response.contentType, "application/json")
        XCTAssertEqual(String(decoding: CreateRequest.response([]).data, as: UTF8.self), "[]")
    }
}
