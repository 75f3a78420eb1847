import NIOCore
import RocketMQWire
import XCTest
@testable import RocketMQClient

/// What a SQL92 subscription puts on the wire (docs/protocol-remoting.md §2.17): no golden capture
/// has one, so these pin the shape the Java 4.9.8 client gives it (`FilterAPI.build`,
/// `MQClientAPIImpl.checkClientInBroker`, `PullAPIWrapper.pullKernelImpl`).
final class SQL92SubscriptionRequestTests: XCTestCase {
    private let subscription = Subscription(topic: "T", expression: " color = 'red' AND amount > 100 ", type: .sql92)

    func testTheSubscriptionDataCarriesTheExpressionAndNoTags() {
        let data = subscription.subscriptionData(subVersion: 7)
        XCTAssertEqual(data, SubscriptionData(topic: "T", subString: "color = 'red' AND amount > 100", tagsSet: [], codeSet: [],
                                              subVersion: 7, expressionType: "SQL92"))
        XCTAssertEqual(String(decoding: HeartbeatData(clientID: "C", consumerDataSet: [ConsumerData(groupName: "G", subscriptionDataSet: [data])]).encoded(),
                              as: UTF8.self).contains(#""expressionType":"SQL92","subString":"color = 'red' AND amount > 100""#), true)
        XCTAssertTrue(subscription.matches(tag: "anything"), "the broker alone filters SQL92; the client keeps what it returns")
        XCTAssertTrue(subscription.matches(tag: nil))
        XCTAssertTrue(subscription.tags.isEmpty)
        XCTAssertEqual(Subscription(topic: "T", expression: "", type: .sql92).expression, "", "kept empty, so validation refuses it")
        XCTAssertEqual(Subscription(topic: "T", expression: "").expression, "*")
    }

    func testTheCheckClientConfigRequestIsCode46WithTheBodyOnly() throws {
        let request = BrokerOperations.checkClientConfigRequest(group: "G", clientID: "10.0.0.1@1", subscription: subscription.subscriptionData(subVersion: 7))
        XCTAssertEqual(request.code, 46)
        XCTAssertTrue(request.extFields.isEmpty)
        XCTAssertEqual(String(decoding: request.body, as: UTF8.self),
                       #"{"clientId":"10.0.0.1@1","group":"G","subscriptionData":{"classFilterMode":false,"codeSet":[],"#
                       + #""expressionType":"SQL92","subString":"color = 'red' AND amount > 100","subVersion":7,"tagsSet":[],"topic":"T"}}"#)
        XCTAssertEqual(try CheckClientRequestBody(body: request.body),
                       CheckClientRequestBody(clientId: "10.0.0.1@1", group: "G", subscriptionData: subscription.subscriptionData(subVersion: 7)))
    }

    func testTheSQL92PullSendsTheExpressionWithExpressionTypeSQL92() throws {
        let queue = MessageQueue(topic: "T", brokerName: "broker-a", queueId: 1)
        let request = BrokerOperations.pullRequest(group: "G", queue: queue, offset: 5, maxMessages: 8, subscription: subscription, suspend: nil)
        let header = try PullMessageRequestHeader(command: request)
        XCTAssertEqual(header.expressionType, "SQL92")
        XCTAssertEqual(header.subscription, "color = 'red' AND amount > 100")
        XCTAssertEqual(header.sysFlag & PullSysFlag.subscription, PullSysFlag.subscription, "the broker compiles the expression from the pull")
    }

    func testAConsumerRefusesAnEmptySQL92Expression() {
        let configuration = ConsumerConfiguration(
            client: ClientConfiguration(nameServers: ["127.0.0.1:9876"]), group: "G",
            subscriptions: [Subscription(topic: "T", expression: "  ", type: .sql92)])
        XCTAssertThrowsError(try configuration.validate()) { error in
            XCTAssertEqual("\(error)", "invalid argument: the SQL92 subscription of topic T has no expression")
        }
    }
}
