import DaprComponents
import RocketMQClient
import RocketMQWire
@testable import RocketMQBinding
import XCTest

/// `subscriptionType` (`rocketmq-sub-type`) and how `topics` is read with it.
final class SubscriptionTypeMetadataTests: XCTestCase {
    private func parse(_ properties: [String: String]) throws -> BindingMetadata {
        try BindingMetadata(properties: ["nameServer": "127.0.0.1:9876"].merging(properties) { $1 })
    }

    private func refusal(_ properties: [String: String], file: StaticString = #filePath, line: UInt = #line) -> ComponentError? {
        do {
            _ = try parse(properties)
            XCTFail("\(properties) should be refused", file: file, line: line)
            return nil
        } catch let error as ComponentError {
            return error
        } catch {
            XCTFail("\(error)", file: file, line: line)
            return nil
        }
    }

    func testTagIsTheDefaultAndTopicsAreReadAsBefore() throws {
        let metadata = try parse(["topics": "orders||tagA||tagB,audit"])
        XCTAssertEqual(metadata.subscriptionType, .tag)
        XCTAssertEqual(metadata.subscriptions, [Subscription(topic: "orders", expression: "tagA||tagB"), Subscription(topic: "audit")])
        XCTAssertEqual(try parse(["topics": "a||x(1,b"]).subscriptions.map(\.topic), ["a", "b"],
                       "a tag expression is split at every comma, as before")
    }

    func testSQL92ExpressionsKeepTheirCommasInsideQuotesAndParentheses() throws {
        let metadata = try parse([
            "topics": "orders||color IN ('red','blue') AND note = 'a,b' AND (x BETWEEN 1 AND 2), audit||region = 'it''s, here', plain",
            "subscriptionType": "sql92",
        ])
        XCTAssertEqual(metadata.subscriptionType, .sql92)
        XCTAssertEqual(metadata.subscriptions, [
            Subscription(topic: "orders", expression: "color IN ('red','blue') AND note = 'a,b' AND (x BETWEEN 1 AND 2)", type: .sql92),
            Subscription(topic: "audit", expression: "region = 'it''s, here'", type: .sql92),
            Subscription(topic: "plain", expression: "*", type: .tag),
        ], "an entry without an expression takes every message, as a tag subscription to *")
        XCTAssertEqual(try parse(["topics": "a||*", "subscriptionType": "sql92"]).subscriptions, [Subscription(topic: "a")])
        XCTAssertEqual(try parse(["topics": "a||x = 1 OR y = 2", "subscriptionType": "sql92"]).subscriptions.first?.expression,
                       "x = 1 OR y = 2", "only the first || separates topic and expression")
    }

    func testTheAliasAndAnyCaseAreAccepted() throws {
        XCTAssertEqual(try parse(["topics": "a||x = 1", "rocketmq-sub-type": "SQL92"]).subscriptionType, .sql92)
        XCTAssertEqual(try parse(["topics": "a", "SubscriptionType": "Tag"]).subscriptionType, .tag)
        XCTAssertEqual(try parse(["topics": "a||x = 1", "subscriptionType": "sql92", "rocketmq-sub-type": "tag"]).subscriptionType, .sql92,
                       "the component's own name wins over the alias")
    }

    func testABadValueIsRefusedNamingTheField() throws {
        let error = try XCTUnwrap(refusal(["topics": "a", "subscriptionType": "regex"]))
        XCTAssertEqual(error.kind, .invalidArgument)
        XCTAssertEqual(error.message, #"field subscriptionType: invalid value "regex"; allowed: tag or sql92"#)
    }

    func testSQL92IsRefusedWithTheHTTPAccessProtocol() throws {
        let error = try XCTUnwrap(refusal([
            "topics": "a||x = 1", "subscriptionType": "sql92", "accessProto": "http", "endpoint": "http://mq.example.com",
            "accessKey": "ak", "secretKey": "sk",
        ]))
        XCTAssertEqual(error.kind, .invalidArgument)
        XCTAssertTrue(error.message.hasPrefix("field subscriptionType: sql92 is not available with accessProto http"), error.message)
    }

    func testASQL92ExpressionIsNeverTheDefaultTagOfCreate() throws {
        let component = try parse(["topics": "a||x = 1", "subscriptionType": "sql92"])
        let request = try CreateRequest(data: [1], metadata: [:], component: component)
        XCTAssertEqual(request.messages.map(\.tags), [nil])
    }

    func testTheReadOperationReadsItsTopicsWithTheComponentsType() throws {
        let component = try parse(["topics": "a", "subscriptionType": "sql92"])
        let options = try ReadOptions(["topics": "b||k IN ('1','2')"], component: component, maxWaitMillis: 1000)
        XCTAssertEqual(options.subscriptions, [Subscription(topic: "b", expression: "k IN ('1','2')", type: .sql92)])
    }
}

/// The statuses of a subscription the broker refused at CHECK_CLIENT_CONFIG (README, *Errors*).
final class SubscriptionRefusalStatusTests: XCTestCase {
    func testAnExpressionTheBrokerCannotParseIsAnInvalidArgumentNamingTopics() {
        let remark = #"org.apache.rocketmq.filter.parser.ParseException: Encountered "=" at line 1, column 9."#
        let error = componentError(RocketMQError.subscriptionRefused(topic: "orders", code: .subscriptionParseFailed, remark: remark), "checking")
        XCTAssertEqual(error.statusName, "INVALID_ARGUMENT")
        XCTAssertTrue(error.message.hasPrefix("checking: field topics: the broker refused the subscription of topic orders"), error.message)
        XCTAssertTrue(error.message.hasSuffix(remark), error.message)
    }

    func testABrokerThatCannotFilterBySQL92IsAFailedPrecondition() {
        for code in [ResponseCode.systemError, .requestCodeNotSupported] {
            let remark = "The broker does not support consumer to filter message by SQL92"
            let error = componentError(RocketMQError.subscriptionRefused(topic: "orders", code: code, remark: remark), "checking")
            XCTAssertEqual(error.statusName, "FAILED_PRECONDITION", "\(code)")
            XCTAssertTrue(error.message.contains("field subscriptionType") && error.message.contains(remark)
                          && error.message.contains("enablePropertyFilter=true"), error.message)
            XCTAssertFalse(ConnectionGate.isTransient(error), "waiting does not fix it: Init fails")
        }
    }
}
