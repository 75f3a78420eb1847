import DaprComponents
import Foundation
import RocketMQClient
import RocketMQHTTP
import XCTest

@testable import RocketMQBinding

/// How messages become the HTTP access protocol's bodies and back, without a socket.
final class HTTPMessagesTests: XCTestCase {
    private let now = Date(timeIntervalSince1970: 1_700_000_000)

    func testKeysShardingKeyPropertiesAndTagTravelAsTheProtocolSays() throws {
        let message = OutgoingMessage(topic: "t", body: Array("hello".utf8), tags: "TagA", keys: ["k1", "k2"],
                                      properties: ["color": "red"], shardingKey: "user-1")
        let request = try message.httpPublishRequest(startDeliverTime: nil, now: now)
        XCTAssertEqual(request.body, "hello")
        XCTAssertEqual(request.tag, "TagA")
        XCTAssertEqual(request.properties, "KEYS:k1 k2|__SHARDINGKEY:user-1|color:red|")
    }

    func testADelayLevelBecomesTheEquivalentStartDeliverTime() throws {
        let level = OutgoingMessage(topic: "t", body: [], delayLevel: 5)  // 1 minute
        XCTAssertEqual(try level.httpPublishRequest(startDeliverTime: nil, now: now).properties, "__STARTDELIVERTIME:1700000060000|")
        let explicit = OutgoingMessage(topic: "t", body: [])
        XCTAssertEqual(try explicit.httpPublishRequest(startDeliverTime: 1_800_000_000_000, now: now).properties, "__STARTDELIVERTIME:1800000000000|")
        XCTAssertNil(try explicit.httpPublishRequest(startDeliverTime: nil, now: now).properties, "no properties, no element")
    }

    func testWhatTheProtocolCannotCarryIsRefusedNamingTheProblem() {
        func refusal(_ message: OutgoingMessage) -> String? {
            do {
                _ = try message.httpPublishRequest(startDeliverTime: nil, now: now)
                return nil
            } catch let error as ComponentError {
                XCTAssertEqual(error.kind, .invalidArgument)
                return error.message
            } catch {
                return "\(error)"
            }
        }
        XCTAssertTrue(refusal(OutgoingMessage(topic: "t", body: [0x00, 0x68, 0xff]))?.contains("XML text") == true)
        XCTAssertTrue(refusal(OutgoingMessage(topic: "t", body: [0xc3]))?.contains("not UTF-8") == true, "a cut UTF-8 sequence")
        XCTAssertTrue(refusal(OutgoingMessage(topic: "t", body: [], properties: ["a": "x:y"]))?.contains("request metadata a") == true)
        XCTAssertTrue(refusal(OutgoingMessage(topic: "t", body: [], properties: ["a<b": "x"]))?.contains("<") == true)
        XCTAssertTrue(refusal(OutgoingMessage(topic: "t", body: [], keys: ["k|1"]))?.contains("KEYS") == true)
        XCTAssertTrue(refusal(OutgoingMessage(topic: "t", body: [], properties: ["__SHARDINGKEY": "x"]))?.contains("reserved") == true)
    }

    func testAReceivedMessageGivesTheTcpPathsMetadataKeysWhereTheyExist() {
        let received = MQHTTPReceivedMessage(
            messageID: "ID1", receiptHandle: "h", bodyMD5: "", body: "b", publishTime: 10, nextConsumeTime: 30,
            firstConsumeTime: 20, consumedTimes: 3, tag: "TagA", properties: "KEYS:k1|__SHARDINGKEY:s|traceparent:00-x|topic:spoofed|")
        let metadata = received.deliveryMetadata(topic: "orders", subscriptionExpression: "TagA||TagB", consumerGroup: "GID", allowList: nil)
        XCTAssertEqual(metadata, [
            "topic": "orders", "msgId": "ID1", "tags": "TagA", "keys": "k1", "bornTimestamp": "10", "reconsumeTimes": "2",
            "consumerGroup": "GID", "firstConsumeTime": "20", "nextConsumeTime": "30", "shardingKey": "s",
            "rocketmq-sub-type": "", "rocketmq-sub-expression": "TagA||TagB", "rocketmq-consumerGroup": "GID",
            "traceparent": "00-x",
        ], "system keys win over a user property of the same name")
        let result = received.readResult(topic: "orders")
        XCTAssertNil(result["bodyText"], "ReadAnswer adds bodyText where it fits the answer")
        XCTAssertEqual(result["body"] as? String, "Yg==")
        XCTAssertEqual(result["properties"] as? [String: String], ["traceparent": "00-x", "topic": "spoofed"])
    }
}
