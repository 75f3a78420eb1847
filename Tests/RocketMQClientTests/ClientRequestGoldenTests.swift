import NIOCore
import RocketMQWire
import TestSupport
import XCTest
@testable import RocketMQClient

/// The requests the client sends, made by the very functions it sends them with, from the values of
/// captured Java 4.9.8 requests (Tests/Golden/rocketmq-4.9.8): byte for byte the captured frames.
///
/// Only what our client sets differently on purpose is taken from the capture: the opaque (the
/// connection assigns it), the language (we say OTHER, Java says JAVA), the version (the route probe
/// was sent as 400) and the oneway bit (Java's push consumer commits offsets oneway; we wait for
/// the answer). Captures whose values our client never sends (Java's pulls commit offsets and carry no
/// subscription; `ReqT`; the ACL hook's keys) are proven through the typed header instead
/// (`GoldenRequestHeaderTests` in RocketMQWireTests).
final class ClientRequestGoldenTests: XCTestCase {
    /// Captured JSON requests of `code` whose ext keys are exactly `keys`.
    private func captured(_ code: RequestCode, keys: Set<String>) throws -> [(record: GoldenCorpus.Record, ext: [String: String])] {
        try GoldenCorpus.allRecords().compactMap { record in
            guard !record.isResponse, record.code == Int(code.rawValue), record.serialize == "JSON" else { return nil }
            let ext = try RemotingCommand.decode(frame: record.frame).extFields
            return Set(ext.keys) == keys ? (record, ext) : nil
        }
    }

    private func assertSameFrame(
        _ built: RemotingCommand, _ record: GoldenCorpus.Record, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let captured = try RemotingCommand.decode(frame: record.frame)
        var built = built
        XCTAssertEqual(built.serializeType, .json, record.name, file: file, line: line)
        XCTAssertEqual(built.language, .other, record.name, file: file, line: line)
        built.opaque = captured.opaque
        built.language = captured.language
        built.version = captured.version
        built.flag = captured.flag
        XCTAssertEqual(hexString(try built.encodedFrame()), hexString(record.frame), record.name, file: file, line: line)
    }

    private func queue(_ ext: [String: String]) throws -> MessageQueue {
        MessageQueue(
            topic: try XCTUnwrap(ext["topic"]), brokerName: try XCTUnwrap(ext["bname"]),
            queueId: try XCTUnwrap(ext["queueId"].flatMap { Int32($0) }))
    }

    func testOffsetRequestsAreTheCapturedFrames() throws {
        let queries = try captured(.queryConsumerOffset, keys: ["consumerGroup", "topic", "queueId", "bname"])
        for (record, ext) in queries {
            try assertSameFrame(BrokerOperations.queryOffsetRequest(group: try XCTUnwrap(ext["consumerGroup"]), queue: try queue(ext)), record)
        }
        let updates = try captured(.updateConsumerOffset, keys: ["consumerGroup", "topic", "queueId", "commitOffset", "bname"])
        for (record, ext) in updates {
            let offset = try XCTUnwrap(ext["commitOffset"].flatMap { Int64($0) })
            try assertSameFrame(
                BrokerOperations.updateOffsetRequest(group: try XCTUnwrap(ext["consumerGroup"]), queue: try queue(ext), offset: offset), record)
        }
        let maxima = try captured(.getMaxOffset, keys: ["topic", "queueId", "bname"])
        for (record, ext) in maxima {
            try assertSameFrame(BrokerOperations.offsetRequest(queue: try queue(ext)), record)
        }
        let searches = try captured(.searchOffsetByTimestamp, keys: ["topic", "queueId", "timestamp", "bname"])
        for (record, ext) in searches {
            let timestamp = try XCTUnwrap(ext["timestamp"].flatMap { Int64($0) })
            try assertSameFrame(BrokerOperations.offsetRequest(queue: try queue(ext), atTimestamp: timestamp), record)
        }
        XCTAssertGreaterThan(queries.count, 10)
        XCTAssertGreaterThan(updates.count, 100)
        XCTAssertEqual(maxima.count, 2)
        XCTAssertEqual(searches.count, 2)
    }

    func testMembershipRequestsAreTheCapturedFrames() throws {
        let lists = try captured(.getConsumerListByGroup, keys: ["consumerGroup"])
        for (record, ext) in lists {
            try assertSameFrame(BrokerOperations.consumerListRequest(group: try XCTUnwrap(ext["consumerGroup"])), record)
        }
        let producers = try captured(.unregisterClient, keys: ["clientID", "producerGroup"])
        let consumers = try captured(.unregisterClient, keys: ["clientID", "consumerGroup"])
        for (record, ext) in producers + consumers {
            try assertSameFrame(
                BrokerOperations.unregisterRequest(
                    clientID: try XCTUnwrap(ext["clientID"]), consumerGroup: ext["consumerGroup"], producerGroup: ext["producerGroup"]),
                record)
        }
        let heartbeats = try captured(.heartBeat, keys: [])
        for (record, _) in heartbeats {
            let data = try HeartbeatData(body: try RemotingCommand.decode(frame: record.frame).body)
            try assertSameFrame(BrokerOperations.heartbeatRequest(data), record)
        }
        XCTAssertGreaterThan(lists.count, 10)
        XCTAssertGreaterThan(producers.count, 10)
        XCTAssertGreaterThan(consumers.count, 3)
        XCTAssertGreaterThan(heartbeats.count, 10)
    }

    func testTheSendBackRequestIsTheCapturedFrame() throws {
        let sendBacks = try captured(
            .consumerSendMsgBack,
            keys: ["offset", "group", "delayLevel", "originMsgId", "originTopic", "unitMode", "maxReconsumeTimes", "bname"])
        for (record, ext) in sendBacks {
            XCTAssertEqual(ext["unitMode"], "false")
            let originTopic = try XCTUnwrap(ext["originTopic"])
            let message = StoredMessage(
                queueId: 0, queueOffset: 0, commitLogOffset: try XCTUnwrap(ext["offset"].flatMap { Int64($0) }), bornTimestamp: 0,
                bornHost: HostAddress(ip: [127, 0, 0, 1], port: 0), storeTimestamp: 0, storeHost: HostAddress(ip: [127, 0, 0, 1], port: 0),
                storedBody: [], topic: originTopic,
                propertiesText: MessageProperties.encode([(key: MessagePropertyKey.uniqueClientMessageIdKey, value: try XCTUnwrap(ext["originMsgId"]))]))
            let built = BrokerOperations.sendBackRequest(
                group: try XCTUnwrap(ext["group"]), message: message,
                queue: MessageQueue(topic: originTopic, brokerName: try XCTUnwrap(ext["bname"]), queueId: 0),
                delayLevel: try XCTUnwrap(ext["delayLevel"].flatMap { Int($0) }),
                maxReconsumeTimes: try XCTUnwrap(ext["maxReconsumeTimes"].flatMap { Int($0) }))
            try assertSameFrame(built, record)
        }
        XCTAssertEqual(sendBacks.count, 1)
    }

    /// The producer's send, single and batch: its properties string and body are what it prepared
    /// (here: the captured ones); the header around them is the captured one.
    func testSendRequestsAreTheCapturedFrames() throws {
        let keys: Set<String> = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "m", "n"]
        let sends = try captured(.sendMessageV2, keys: keys) + captured(.sendBatchMessage, keys: keys)
        for (record, ext) in sends {
            // What the producer always sends: the TBW102 template with 4 queues, a first attempt, no unit mode.
            XCTAssertEqual([ext["c"], ext["d"], ext["j"], ext["k"]], ["TBW102", "4", "0", "false"], record.name)
            let captured = try RemotingCommand.decode(frame: record.frame)
            let topic = try XCTUnwrap(ext["b"])
            let message = Producer.PreparedMessage(
                topic: topic, body: captured.body, sysFlag: try XCTUnwrap(ext["f"].flatMap { Int32($0) }),
                flag: try XCTUnwrap(ext["h"].flatMap { Int32($0) }), properties: try XCTUnwrap(ext["i"]), uniqueKey: "",
                batch: ext["m"] == "true")
            let built = Producer.sendRequest(
                message, code: captured.requestCode,
                queue: MessageQueue(topic: topic, brokerName: try XCTUnwrap(ext["n"]), queueId: try XCTUnwrap(ext["e"].flatMap { Int32($0) })),
                producerGroup: try XCTUnwrap(ext["a"]), bornTimestamp: try XCTUnwrap(ext["g"].flatMap { Int64($0) }))
            try assertSameFrame(built, record)
        }
        XCTAssertEqual(sends.filter { $0.record.code == 310 }.count, 6)
        XCTAssertEqual(sends.filter { $0.record.code == 320 }.count, 1)
    }

    /// The route request asks for standard JSON; the version probe captured exactly that request.
    func testTheRouteRequestIsTheCapturedProbe() throws {
        let probes = try captured(.getRouteinfoByTopic, keys: ["topic", "acceptStandardJsonOnly"])
        for (record, ext) in probes {
            XCTAssertEqual(ext["acceptStandardJsonOnly"], "true")
            try assertSameFrame(NameServerClient.routeRequest(topic: try XCTUnwrap(ext["topic"])), record)
        }
        XCTAssertEqual(probes.count, 1)
    }

    /// No captured pull is one our client would send (Java's push consumer commits offsets with its
    /// pulls and sends no subscription): the client's pull is the typed header with its own values.
    func testThePullRequestIsTheTypedHeader() throws {
        let queue = MessageQueue(topic: "T", brokerName: "broker-a", queueId: 3)
        let request = BrokerOperations.pullRequest(
            group: "G", queue: queue, offset: 42, maxMessages: 16, subscription: Subscription(topic: "T", expression: "a || b"),
            suspend: .seconds(15))
        XCTAssertEqual(request.extFieldsOrder, PullMessageRequestHeader.javaExtFieldsOrder)
        XCTAssertEqual(try PullMessageRequestHeader(command: request), PullMessageRequestHeader(
            consumerGroup: "G", topic: "T", queueId: 3, queueOffset: 42, maxMsgNums: 16,
            sysFlag: PullSysFlag.subscription | PullSysFlag.suspend, commitOffset: 0, suspendTimeoutMillis: 15000,
            subscription: "a || b", subVersion: 0, expressionType: "TAG", bname: "broker-a"))
        let immediate = BrokerOperations.pullRequest(
            group: "G", queue: queue, offset: 0, maxMessages: 1, subscription: Subscription(topic: "T"), suspend: nil)
        XCTAssertEqual(immediate.extFields["sysFlag"], String(PullSysFlag.subscription))
        XCTAssertEqual(immediate.extFields["suspendTimeoutMillis"], "0")
    }

    /// LOCK/UNLOCK_BATCH_MQ carry no header in 4.9.8, only the body the broker decodes.
    func testLockRequestsCarryOnlyTheirBody() throws {
        let queues = [MessageQueue(topic: "T", brokerName: "broker-a", queueId: 0)]
        let lock = BrokerOperations.lockRequest(group: "G", clientID: "C", queues: queues)
        XCTAssertTrue(lock.extFields.isEmpty)
        XCTAssertEqual(try LockBatchRequestBody(body: lock.body), LockBatchRequestBody(consumerGroup: "G", clientId: "C", mqSet: queues))
        let unlock = BrokerOperations.unlockRequest(group: "G", clientID: "C", queues: queues)
        XCTAssertTrue(unlock.extFields.isEmpty)
        XCTAssertEqual(try UnlockBatchRequestBody(body: unlock.body), UnlockBatchRequestBody(consumerGroup: "G", clientId: "C", mqSet: queues))
    }
}
