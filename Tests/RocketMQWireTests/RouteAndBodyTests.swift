import Foundation
import RocketMQWire
import XCTest

final class RouteAndBodyTests: XCTestCase {
    let bare = #"{"brokerDatas":[{"brokerAddrs":{0:"127.0.0.1:20911"},"brokerName":"broker-t","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-t","perm":7,"readQueueNums":8,"topicSysFlag":0,"writeQueueNums":8}]}"#
    let standard = #"{"brokerDatas":[{"brokerAddrs":{"0":"127.0.0.1:20911"},"brokerName":"broker-t","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-t","perm":7,"readQueueNums":8,"topicSysFlag":0,"writeQueueNums":8}]}"#

    func testBothRouteStylesOfSection3_2ParseAndReencodeExactly() throws {
        let fromBare = try TopicRouteData(body: Array(bare.utf8))
        let fromStandard = try TopicRouteData(body: Array(standard.utf8))
        XCTAssertEqual(fromBare, fromStandard)
        XCTAssertEqual(String(decoding: fromBare.encoded(standardJSON: false), as: UTF8.self), bare)
        XCTAssertEqual(String(decoding: fromBare.encoded(standardJSON: true), as: UTF8.self), standard)
    }

    func testOldFieldNamesUnknownKeysAndSlavesAreHandled() throws {
        let text = #"{"orderTopicConf":"b:2","queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":2,"writeQueueNums":2,"topicSynFlag":3},{"brokerName":"a","perm":4,"readQueueNums":1,"writeQueueNums":1,"topicSysFlag":0}],"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"b","cluster":"c","zoneName":"z","enableActingMaster":false},{"brokerAddrs":{"1":"10.0.0.3:10911"},"brokerName":"a","cluster":"c"}],"filterServerTable":{"10.0.0.1:10911":["f:1"]},"topicQueueMappingByBroker":{}}"#
        let route = try TopicRouteData(body: Array(text.utf8))
        XCTAssertEqual(route.queueDatas.first?.topicSysFlag, 3)
        XCTAssertEqual(route.brokerDatas.first?.brokerAddrs, [0: "10.0.0.1:10911", 1: "10.0.0.2:10911"])
        XCTAssertEqual(route.orderTopicConf, "b:2")
        XCTAssertEqual(route.filterServerTable, ["10.0.0.1:10911": ["f:1"]])
        // a is read-only and has no master: not a publish queue; b has 2 write queues.
        XCTAssertEqual(route.publishQueues(topic: "T"), [MessageQueue(topic: "T", brokerName: "b", queueId: 0), MessageQueue(topic: "T", brokerName: "b", queueId: 1)])
        XCTAssertEqual(route.subscribeQueues(topic: "T").map(\.brokerName), ["a", "b", "b"])
        XCTAssertThrowsError(try TopicRouteData(body: Array("{".utf8))) { XCTAssertTrue($0 is RemotingBodyError) }
    }

    func testStandardFormEscapesNonASCIILikeBrowserCompatible() {
        let route = TopicRouteData(queueDatas: [], brokerDatas: [BrokerData(cluster: "b\u{E9}", brokerName: "x", brokerAddrs: [0: "h:1"])])
        XCTAssertTrue(String(decoding: route.encoded(standardJSON: true), as: UTF8.self).contains(#""cluster":"b\u00E9""#))
        XCTAssertTrue(String(decoding: route.encoded(standardJSON: false), as: UTF8.self).contains("\"cluster\":\"b\u{E9}\""))
    }

    func testHeartbeatBodyOfSection2_7IsReproduced() throws {
        let expected = #"{"clientID":"10.0.0.1@12345#123","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"G1","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919,2598920],"expressionType":"TAG","subString":"TagA || TagB","subVersion":1700000000000,"tagsSet":["TagA","TagB"],"topic":"TopicTest"}],"unitMode":false}],"producerDataSet":[{"groupName":"P1"}]}"#
        let subscription = SubscriptionData.tagExpression(topic: "TopicTest", expression: "TagA || TagB", subVersion: 1_700_000_000_000)
        let heartbeat = HeartbeatData(clientID: "10.0.0.1@12345#123",
                                      consumerDataSet: [ConsumerData(groupName: "G1", subscriptionDataSet: [subscription])],
                                      producerDataSet: [ProducerData(groupName: "P1")])
        XCTAssertEqual(String(decoding: heartbeat.encoded(), as: UTF8.self), expected)
        XCTAssertEqual(try HeartbeatData(body: Array(expected.utf8)), heartbeat)
        XCTAssertTrue(subscription.matches(tag: "TagB"))
        XCTAssertFalse(subscription.matches(tag: "TagC"))
        XCTAssertFalse(subscription.matches(tag: nil))
    }

    func testGoHeartbeatWithStringCodeSetDecodes() throws {
        let go = #"{"clientID":"c","consumerDataSet":[{"groupName":"G","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","unitMode":false,"subscriptionDataSet":[{"topic":"T","subString":"TagA","tagsSet":["TagA"],"codeSet":["2598919"],"subVersion":1,"expressionType":"TAG","classFilterMode":false}]}],"producerDataSet":[]}"#
        let heartbeat = try HeartbeatData(body: Array(go.utf8))
        XCTAssertEqual(heartbeat.consumerDataSet.first?.subscriptionDataSet.first?.codeSet, [2598919])
    }

    func testBodiesOfSection10_6() throws {
        XCTAssertEqual(String(decoding: ConsumerListBody(consumerIdList: ["10.0.0.1@1", "10.0.0.2@2"]).encoded(), as: UTF8.self),
                       #"{"consumerIdList":["10.0.0.1@1","10.0.0.2@2"]}"#)
        let queue = MessageQueue(topic: "T", brokerName: "broker-a", queueId: 0)
        let lock = LockBatchRequestBody(consumerGroup: "G1", clientId: "cid", mqSet: [queue])
        XCTAssertEqual(String(decoding: lock.encoded(), as: UTF8.self),
                       #"{"clientId":"cid","consumerGroup":"G1","mqSet":[{"brokerName":"broker-a","queueId":0,"topic":"T"}]}"#)
        XCTAssertEqual(try LockBatchRequestBody(body: lock.encoded()), lock)
        let locked = LockBatchResponseBody(lockOKMQSet: [queue])
        XCTAssertEqual(String(decoding: locked.encoded(), as: UTF8.self), #"{"lockOKMQSet":[{"brokerName":"broker-a","queueId":0,"topic":"T"}]}"#)
        XCTAssertEqual(try LockBatchResponseBody(body: Array(#"{"lockOKMQSet":[]}"#.utf8)).lockOKMQSet, [])
        let reset = #"{"offsetTable":{{"brokerName":"broker-a","queueId":1,"topic":"T"}:42}}"#
        let parsed = try ResetOffsetBody(body: Array(reset.utf8))
        XCTAssertEqual(parsed.offsetTable, [MessageQueue(topic: "T", brokerName: "broker-a", queueId: 1): 42])
        XCTAssertEqual(String(decoding: parsed.encoded(), as: UTF8.self), reset)
    }

    func testConsumerRunningInfoUsesObjectKeysLikeFastjson() throws {
        let queue = MessageQueue(topic: "T", brokerName: "b", queueId: 0)
        let info = ConsumerRunningInfo(properties: ["PROP_CONSUME_TYPE": "CONSUME_PASSIVELY"], subscriptionSet: [],
                                       mqTable: [queue: .object([(key: "commitOffset", value: .number("3"))])])
        let text = String(decoding: info.encoded(), as: UTF8.self)
        XCTAssertEqual(text, #"{"mqTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"commitOffset":3}},"properties":{"PROP_CONSUME_TYPE":"CONSUME_PASSIVELY"},"statusTable":{},"subscriptionSet":[]}"#)
        let parsed = try JSONValue.parse(text)
        XCTAssertNotNil(parsed["mqTable"])
    }

    func testMessageQueuesSortByTopicBrokerAndQueue() {
        let queues = [MessageQueue(topic: "B", brokerName: "a", queueId: 0), MessageQueue(topic: "A", brokerName: "b", queueId: 1),
                      MessageQueue(topic: "A", brokerName: "b", queueId: 0), MessageQueue(topic: "A", brokerName: "a", queueId: 9)]
        XCTAssertEqual(queues.sorted().map { "\($0.topic)\($0.brokerName)\($0.queueId)" }, ["Aa9", "Ab0", "Ab1", "Ba0"])
    }

    func testNamespaceWrappingFollowsJavaRules() {
        XCTAssertEqual(NamespaceUtil.wrap(namespace: "ns", "topic"), "ns%topic")
        XCTAssertEqual(NamespaceUtil.wrap(namespace: "ns", "ns%topic"), "ns%topic")
        XCTAssertEqual(NamespaceUtil.wrap(namespace: "ns", "%RETRY%group"), "%RETRY%ns%group")
        XCTAssertEqual(NamespaceUtil.wrap(namespace: "ns", "%DLQ%group"), "%DLQ%ns%group")
        XCTAssertEqual(NamespaceUtil.wrap(namespace: "ns", "TBW102"), "TBW102")
        XCTAssertEqual(NamespaceUtil.wrap(namespace: nil, "topic"), "topic")
        XCTAssertEqual(NamespaceUtil.unwrap(namespace: "ns", "ns%topic"), "topic")
        XCTAssertEqual(NamespaceUtil.unwrap(namespace: "ns", "%RETRY%ns%group"), "%RETRY%group")
        XCTAssertEqual(NamespaceUtil.unwrap(namespace: "ns", "other%topic"), "other%topic")
        XCTAssertEqual(JavaHash.stringHashCode("TagA"), 2598919)
    }

    func testTypedHeadersRoundTripThroughCommands() throws {
        let pull = PullMessageRequestHeader(consumerGroup: "G1", topic: "T", queueId: 0, queueOffset: 0, sysFlag: 2,
                                            commitOffset: 0, suspendTimeoutMillis: 15000, bname: "broker-a")
        let command = RemotingCommand.request(code: .pullMessage, header: pull, opaque: 11)
        XCTAssertEqual(try command.decodeHeader(PullMessageRequestHeader.self), pull)
        let send = SendMessageRequestHeader(producerGroup: "P1", topic: "TopicTest", queueId: 0, bornTimestamp: 1_700_000_000_000,
                                            properties: "TAGS\u{1}TagA", bname: "broker-a")
        XCTAssertEqual(try SendMessageRequestHeader(v2ExtFields: send.v2ExtFields), send)
        XCTAssertEqual(send.v2ExtFields["n"], "broker-a")
        XCTAssertNil(send.v2ExtFields["l"])
        let back = ConsumerSendMsgBackRequestHeader(offset: 6014, group: "G1", delayLevel: 0, maxReconsumeTimes: 16)
        XCTAssertEqual(try ConsumerSendMsgBackRequestHeader(extFields: back.extFields), back)
        let unregister = UnregisterClientRequestHeader(clientID: "c", consumerGroup: "G1")
        XCTAssertEqual(try UnregisterClientRequestHeader(extFields: unregister.extFields), unregister)
        let route = GetRouteInfoRequestHeader(topic: "T", acceptStandardJsonOnly: true)
        XCTAssertEqual(route.extFields, ["topic": "T", "acceptStandardJsonOnly": "true"])
    }
}

final class CodableBodyTests: XCTestCase {
    func testCodableSpellingsMatchTheHandWrittenFastjsonBytes() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let subscription = SubscriptionData.tagExpression(topic: "TopicTest", expression: "TagA || TagB", subVersion: 1_700_000_000_000)
        let heartbeat = HeartbeatData(clientID: "10.0.0.1@12345#123",
                                      consumerDataSet: [ConsumerData(groupName: "G1", subscriptionDataSet: [subscription])],
                                      producerDataSet: [ProducerData(groupName: "P1")])
        XCTAssertEqual(String(decoding: try encoder.encode(heartbeat), as: UTF8.self), String(decoding: heartbeat.encoded(), as: UTF8.self))
        let queue = MessageQueue(topic: "T", brokerName: "broker-a", queueId: 0)
        let lock = LockBatchRequestBody(consumerGroup: "G1", clientId: "cid", mqSet: [queue])
        XCTAssertEqual(Array(try encoder.encode(lock)), lock.encoded())
        XCTAssertEqual(Array(try encoder.encode(LockBatchResponseBody(lockOKMQSet: [queue]))), LockBatchResponseBody(lockOKMQSet: [queue]).encoded())
        let list = ConsumerListBody(consumerIdList: ["a", "b"])
        XCTAssertEqual(try JSONDecoder().decode(ConsumerListBody.self, from: Data(list.encoded())), list)
    }
}
