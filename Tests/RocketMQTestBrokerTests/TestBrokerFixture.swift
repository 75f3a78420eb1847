import NIOCore
import NIOPosix
import RocketMQTestBroker
import RocketMQWire
import XCTest

/// Starts a broker per test and tears it (and the client event loop) down afterwards.
class TestBrokerTestCase: XCTestCase {
    var broker: RocketMQTestBroker!
    var group: MultiThreadedEventLoopGroup!
    var clients: [RawClient] = []

    func configuration() -> RocketMQTestBrokerConfiguration {
        var configuration = RocketMQTestBrokerConfiguration()
        configuration.delayTimeScale = 0.001
        return configuration
    }

    override func setUp() async throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        broker = try await RocketMQTestBroker.start(configuration())
    }

    override func tearDown() async throws {
        for client in clients { await client.close() }
        clients = []
        try await broker?.shutdown()
        try await group?.shutdownGracefully()
    }

    func connect(_ address: String) async throws -> RawClient {
        let client = try await RawClient.connect(address, group: group)
        clients.append(client)
        return client
    }

    func sendRequest(topic: String, body: String, tags: String? = nil, keys: String? = nil, queueId: Int32 = 0,
                     extraProperties: [(String, String)] = [], serializeType: SerializeType = .json) -> RemotingCommand {
        var properties: [(key: String, value: String)] = [(key: "UNIQ_KEY", value: "UNIQ-\(body)"), (key: "WAIT", value: "true")]
        if let tags { properties.append((key: "TAGS", value: tags)) }
        if let keys { properties.append((key: "KEYS", value: keys)) }
        for extra in extraProperties { properties.append((key: extra.0, value: extra.1)) }
        let header = SendMessageRequestHeader(producerGroup: "P1", topic: topic, queueId: queueId, bornTimestamp: 1_700_000_000_000,
                                              properties: MessageProperties.encode(properties), bname: broker.brokerName)
        return RemotingCommand.request(code: .sendMessageV2, header: header, body: Array(body.utf8), serializeType: serializeType)
    }

    func pullRequest(topic: String, group: String = "G1", queueId: Int32 = 0, offset: Int64, expression: String? = "*",
                     suspendMillis: Int64 = 0) -> RemotingCommand {
        var sysFlag: Int32 = 0
        if expression != nil { sysFlag |= PullSysFlag.subscription }
        if suspendMillis > 0 { sysFlag |= PullSysFlag.suspend }
        let header = PullMessageRequestHeader(consumerGroup: group, topic: topic, queueId: queueId, queueOffset: offset,
                                              sysFlag: sysFlag, commitOffset: 0, suspendTimeoutMillis: suspendMillis,
                                              subscription: expression, bname: broker.brokerName)
        return RemotingCommand.request(code: .pullMessage, header: header)
    }

    func heartbeat(clientID: String, group: String, topics: [String]) -> RemotingCommand {
        let subscriptions = topics.map { SubscriptionData.tagExpression(topic: $0, expression: "*", subVersion: 1) }
        let data = HeartbeatData(clientID: clientID, consumerDataSet: [ConsumerData(groupName: group, subscriptionDataSet: subscriptions)],
                                 producerDataSet: [ProducerData(groupName: "CLIENT_INNER_PRODUCER")])
        return RemotingCommand.request(code: .heartBeat, body: data.encoded())
    }
}
