import NIOCore
import RocketMQTestBroker
import RocketMQWire
import XCTest

/// CHECK_CLIENT_CONFIG and SQL92 pulls on the wire, against a broker with `enablePropertyFilter`
/// on (and one with it off, as a stock broker has it).
final class TestBrokerSQL92Tests: TestBrokerTestCase {
    override func configuration() -> RocketMQTestBrokerConfiguration {
        var configuration = super.configuration()
        configuration.enablePropertyFilter = true
        return configuration
    }

    private func check(_ subscription: SubscriptionData, on client: RawClient) async throws -> RemotingCommand {
        let body = CheckClientRequestBody(clientId: "10.0.0.1@1", group: "G1", subscriptionData: subscription)
        return try await client.call(RemotingCommand.request(code: .checkClientConfig, body: body.encoded()))
    }

    private func sql92Pull(_ expression: String?, topic: String = "Orders") -> RemotingCommand {
        let header = PullMessageRequestHeader(
            consumerGroup: "G1", topic: topic, queueId: 0, queueOffset: 0, sysFlag: PullSysFlag.subscription, commitOffset: 0,
            suspendTimeoutMillis: 0, subscription: expression, expressionType: ExpressionType.sql92, bname: broker.brokerName)
        return RemotingCommand.request(code: .pullMessage, header: header)
    }

    func testCheckClientConfigAcceptsAGoodExpressionAndRefusesABadOneWithTheParserMessage() async throws {
        let client = try await connect(broker.brokerAddress)
        let good = try await check(.sql92Expression(topic: "Orders", expression: "color = 'red'", subVersion: 1), on: client)
        XCTAssertEqual(good.responseCode, .success)
        XCTAssertNil(good.remark)
        let bad = try await check(.sql92Expression(topic: "Orders", expression: "color = = 'red'", subVersion: 1), on: client)
        XCTAssertEqual(bad.responseCode, .subscriptionParseFailed)
        XCTAssertEqual(bad.remark, #"org.apache.rocketmq.filter.parser.ParseException: Encountered "=" at line 1, column 9."#)
        let tags = try await check(.tagExpression(topic: "Orders", expression: "a || b", subVersion: 1), on: client)
        XCTAssertEqual(tags.responseCode, .success, "a tag subscription is never checked")
        let noSubscription = try await client.call(RemotingCommand.request(
            code: .checkClientConfig, body: CheckClientRequestBody(clientId: "c", group: "G1", subscriptionData: nil).encoded()))
        XCTAssertEqual(noSubscription.responseCode, .success)
    }

    func testABrokerWithoutPropertyFilterRefusesSQL92ChecksAndPullsButNotTags() async throws {
        var stock = RocketMQTestBrokerConfiguration()
        stock.topics = ["Orders": 1]
        let plain = try await RocketMQTestBroker.start(stock)
        do {
            let client = try await connect(plain.brokerAddress)
            let refused = try await check(.sql92Expression(topic: "Orders", expression: "color = 'red'", subVersion: 1), on: client)
            XCTAssertEqual(refused.responseCode, .systemError)
            XCTAssertEqual(refused.remark, "The broker does not support consumer to filter message by SQL92")
            let tags = try await check(.tagExpression(topic: "Orders", expression: "*", subVersion: 1), on: client)
            XCTAssertEqual(tags.responseCode, .success)
            let pull = try await client.call(sql92Pull("color = 'red'"))
            XCTAssertEqual(pull.responseCode, .systemError)
            XCTAssertEqual(pull.remark, "The broker does not support consumer to filter message by SQL92")
        } catch {
            try await plain.shutdown()
            throw error
        }
        try await plain.shutdown()
    }

    func testASQL92PullReturnsExactlyTheMatchingMessages() async throws {
        try await broker.createTopic("Orders", queueNums: 1)
        let client = try await connect(broker.brokerAddress)
        let sent: [(String, [(String, String)])] = [
            ("red-200", [("color", "red"), ("amount", "200")]),
            ("red-50", [("color", "red"), ("amount", "50")]),
            ("blue-500", [("color", "blue"), ("amount", "500")]),
            ("none", []),
            ("red-abc", [("color", "red"), ("amount", "abc")]),
            ("red-150", [("color", "red"), ("amount", "150")]),
        ]
        for (body, properties) in sent {
            let answer = try await client.call(sendRequest(topic: "Orders", body: body, extraProperties: properties))
            XCTAssertEqual(answer.responseCode, .success)
        }
        let pulled = try await client.call(sql92Pull("color = 'red' AND amount > 100"))
        XCTAssertEqual(pulled.responseCode, .success)
        let bodies = try StoredMessageDecoder.decodeAll(pulled.body).map { String(decoding: $0.body, as: UTF8.self) }
        XCTAssertEqual(bodies, ["red-200", "red-150"])
        XCTAssertEqual(pulled.extFields["nextBeginOffset"], "6", "the scan passes the messages it filtered out")

        let none = try await client.call(sql92Pull("color = 'green'"))
        XCTAssertEqual(none.responseCode, .pullRetryImmediately, "nothing matched in what was scanned: pull again from nextBeginOffset")
        XCTAssertEqual(none.remark, "NO_MATCHED_MESSAGE")
    }

    func testAPullWithAnEmptySQL92ExpressionIsAParseFailure() async throws {
        try await broker.createTopic("Orders", queueNums: 1)
        let client = try await connect(broker.brokerAddress)
        let answer = try await client.call(sql92Pull(""))
        XCTAssertEqual(answer.responseCode, .subscriptionParseFailed)
        XCTAssertEqual(answer.remark, "parse the consumer's subscription failed")
    }

    func testAHeartbeatSubscriptionThatDoesNotCompileLeavesNoFilterData() async throws {
        try await broker.createTopic("Orders", queueNums: 1)
        let client = try await connect(broker.brokerAddress)
        let subscription = SubscriptionData.sql92Expression(topic: "Orders", expression: "color = ", subVersion: 1)
        let data = HeartbeatData(clientID: "c1", consumerDataSet: [ConsumerData(groupName: "G1", subscriptionDataSet: [subscription])])
        let heartbeat = try await client.call(RemotingCommand.request(code: .heartBeat, body: data.encoded()))
        XCTAssertEqual(heartbeat.responseCode, .success, "a 4.9.8 broker takes the heartbeat anyway")
        let pull = try await client.call(pullRequest(topic: "Orders", offset: 0, expression: nil))
        XCTAssertEqual(pull.responseCode, .filterDataNotExist)
        XCTAssertEqual(pull.remark, "The broker's consumer filter data is not exist!Your expression may be wrong!")
    }
}
