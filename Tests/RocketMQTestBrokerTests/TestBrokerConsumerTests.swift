import TestSupport
import NIOCore
import RocketMQTestBroker
import RocketMQWire
import XCTest

final class TestBrokerConsumerTests: TestBrokerTestCase {
    func testHeartbeatRegistersNotifiesAndCreatesTheRetryTopic() async throws {
        let first = try await connect(broker.brokerAddress)
        let firstAnswer = try await first.call(heartbeat(clientID: "127.0.0.1@C1", group: "G1", topics: ["T1"]))
        XCTAssertEqual(firstAnswer.responseCode, .success)
        // Like the captured broker, the new member itself is notified.
        let selfNotify = try await withTimeout { try await first.nextPush() }
        XCTAssertEqual(selfNotify.requestCode, .notifyConsumerIdsChanged)
        XCTAssertEqual(selfNotify.flag, 2)
        XCTAssertEqual(selfNotify.extFields, ["consumerGroup": "G1"])
        let golden = try XCTUnwrap(try GoldenCorpus.records("push-consumer.jsonl").first { $0.code == 40 })
        XCTAssertEqual(Set(selfNotify.extFields.keys), Set(golden.extFields.keys))
        XCTAssertEqual(Int(selfNotify.flag), golden.header["flag"] as? Int)
        XCTAssertTrue(selfNotify.body.isEmpty)

        let exists = try await broker.topicExists("%RETRY%G1")
        XCTAssertTrue(exists)
        let names = try await connect(broker.nameServerAddress)
        let retryRoute = try TopicRouteData(body: try await names.call(RemotingCommand.request(code: .getRouteinfoByTopic, header: GetRouteInfoRequestHeader(topic: "%RETRY%G1"))).body)
        XCTAssertEqual(retryRoute.queueDatas.first?.readQueueNums, 1)
        XCTAssertEqual(retryRoute.queueDatas.first?.perm, 6)

        let second = try await connect(broker.brokerAddress)
        _ = try await second.call(heartbeat(clientID: "127.0.0.1@C2", group: "G1", topics: ["T1"]))
        let joined = try await withTimeout { try await first.nextPush() }
        XCTAssertEqual(joined.requestCode, .notifyConsumerIdsChanged)
        let list = try await first.call(RemotingCommand.request(code: .getConsumerListByGroup, header: GetConsumerListByGroupRequestHeader(consumerGroup: "G1")))
        XCTAssertEqual(try ConsumerListBody(body: list.body).consumerIdList, ["127.0.0.1@C1", "127.0.0.1@C2"])

        let unregister = RemotingCommand.request(code: .unregisterClient, header: UnregisterClientRequestHeader(clientID: "127.0.0.1@C2", consumerGroup: "G1"))
        let awaited1 = try await second.call(unregister)
        XCTAssertEqual(awaited1.responseCode, .success)
        let left = try await withTimeout { try await first.nextPush() }
        XCTAssertEqual(left.requestCode, .notifyConsumerIdsChanged)
        let ids = try await broker.consumerIDs(group: "G1")
        XCTAssertEqual(ids, ["127.0.0.1@C1"])

        let third = try await connect(broker.brokerAddress)
        _ = try await third.call(heartbeat(clientID: "127.0.0.1@C3", group: "G1", topics: ["T1"]))
        _ = try await withTimeout { try await first.nextPush() }
        await third.close()
        let disconnected = try await withTimeout { try await first.nextPush() }
        XCTAssertEqual(disconnected.requestCode, .notifyConsumerIdsChanged)
        let remaining = try await broker.consumerIDs(group: "G1")
        XCTAssertEqual(remaining, ["127.0.0.1@C1"])

        let none = try await first.call(RemotingCommand.request(code: .getConsumerListByGroup, header: GetConsumerListByGroupRequestHeader(consumerGroup: "Nobody")))
        XCTAssertEqual(none.responseCode, .systemError)
        XCTAssertEqual(none.remark, "no consumer for this group, Nobody")
    }

    func testPullWithoutSubscriptionFlagUsesTheHeartbeatSubscription() async throws {
        let client = try await connect(broker.brokerAddress)
        _ = try await client.call(sendRequest(topic: "SubTopic", body: "one", tags: "TagA"))
        _ = try await client.call(heartbeat(clientID: "c", group: "G9", topics: ["SubTopic"]))
        let found = try await client.call(pullRequest(topic: "SubTopic", group: "G9", offset: 0, expression: nil))
        XCTAssertEqual(found.responseCode, .success)
    }

    func testSendBackGoesThroughRetryWithDelayThenToTheDLQ() async throws {
        let client = try await connect(broker.brokerAddress)
        _ = try await client.call(heartbeat(clientID: "c", group: "G1", topics: ["RetryTopic"]))
        _ = try await client.call(sendRequest(topic: "RetryTopic", body: "retry-me", tags: "TagB", keys: "k1"))
        let pulled = try await client.call(pullRequest(topic: "RetryTopic", offset: 0))
        let original = try XCTUnwrap(try StoredMessageDecoder.decodeAll(pulled.body).first)

        let back = ConsumerSendMsgBackRequestHeader(offset: original.commitLogOffset, group: "G1", delayLevel: 0,
                                                    originMsgId: original.msgId, originTopic: "RetryTopic", maxReconsumeTimes: 16)
        var retryPull = pullRequest(topic: "%RETRY%G1", offset: 0, suspendMillis: 60_000)
        retryPull.opaque = 1
        try await client.send(retryPull)
        let answer = try await client.call(RemotingCommand.request(code: .consumerSendMsgBack, header: back))
        XCTAssertEqual(answer.responseCode, .success)
        XCTAssertTrue(answer.extFields.isEmpty)

        // Level 3 (10 s) scaled down by the configuration; the held pull wakes when it lands.
        let woken = try await withTimeout { try await client.response(opaque: 1) }
        XCTAssertEqual(woken.responseCode, .success)
        let retried = try XCTUnwrap(try StoredMessageDecoder.decodeAll(woken.body).first)
        XCTAssertEqual(retried.topic, "%RETRY%G1")
        XCTAssertEqual(retried.reconsumeTimes, 1)
        XCTAssertEqual(retried.body, Array("retry-me".utf8))
        XCTAssertEqual(retried.bornHost, original.bornHost)
        let props = retried.properties
        XCTAssertEqual(props["RETRY_TOPIC"], "RetryTopic")
        XCTAssertEqual(props["ORIGIN_MESSAGE_ID"], original.offsetMsgId)
        XCTAssertEqual(props["DELAY"], "3")
        XCTAssertEqual(props["WAIT"], "false")
        XCTAssertEqual(props["REAL_TOPIC"], "%RETRY%G1")
        XCTAssertEqual(props["REAL_QID"], "0")
        XCTAssertEqual(props["UNIQ_KEY"], "UNIQ-retry-me")
        XCTAssertEqual(props["KEYS"], "k1")
        // The captured retry message carries the same property names.
        let golden = try GoldenCorpus.records("push-consumer.jsonl").compactMap { $0.fields["decoded_messages"] as? [[String: Any]] }
            .flatMap { $0 }.first { ($0["topic"] as? String) == "%RETRY%G1" }
        let goldenKeys = Set((golden?["properties"] as? [String: String] ?? [:]).keys).subtracting(["color"])
        XCTAssertEqual(Set(props.keys).subtracting(["color"]), goldenKeys)

        // Past maxReconsumeTimes (or delayLevel < 0): the DLQ, no delay.
        let toDLQ = ConsumerSendMsgBackRequestHeader(offset: retried.commitLogOffset, group: "G1", delayLevel: 0, maxReconsumeTimes: 1)
        let awaited2 = try await client.call(RemotingCommand.request(code: .consumerSendMsgBack, header: toDLQ))
        XCTAssertEqual(awaited2.responseCode, .success)
        let dead = try await broker.messages(topic: "%DLQ%G1", queueId: 0)
        XCTAssertEqual(dead.count, 1)
        XCTAssertEqual(dead.first?.reconsumeTimes, 2)
        XCTAssertNil(dead.first?.properties["DELAY"])
        XCTAssertEqual(dead.first?.properties["RETRY_TOPIC"], "RetryTopic")

        let direct = ConsumerSendMsgBackRequestHeader(offset: original.commitLogOffset, group: "G1", delayLevel: -1)
        let awaited3 = try await client.call(RemotingCommand.request(code: .consumerSendMsgBack, header: direct))
        XCTAssertEqual(awaited3.responseCode, .success)
        let deadAfter = try await broker.messages(topic: "%DLQ%G1", queueId: 0)
        XCTAssertEqual(deadAfter.count, 2)

        let missing = ConsumerSendMsgBackRequestHeader(offset: 999_999, group: "G1", delayLevel: 0)
        let failed = try await client.call(RemotingCommand.request(code: .consumerSendMsgBack, header: missing))
        XCTAssertEqual(failed.responseCode, .systemError)
    }

    func testDelayedSendIsDeliveredLaterWithRealTopicProperties() async throws {
        let client = try await connect(broker.brokerAddress)
        try await broker.createTopic("DelayTopic", queueNums: 1)
        var pull = pullRequest(topic: "DelayTopic", offset: 0, suspendMillis: 60_000)
        pull.opaque = 1
        try await client.send(pull)
        let sent = try await client.call(sendRequest(topic: "DelayTopic", body: "later", extraProperties: [("DELAY", "1")]))
        XCTAssertEqual(sent.responseCode, .success)
        XCTAssertEqual(sent.extFields["queueOffset"], "0", "offset in SCHEDULE_TOPIC_XXXX")
        let woken = try await withTimeout { try await client.response(opaque: 1) }
        let message = try XCTUnwrap(try StoredMessageDecoder.decodeAll(woken.body).first)
        XCTAssertEqual(message.properties["REAL_TOPIC"], "DelayTopic")
        XCTAssertEqual(message.properties["REAL_QID"], "0")
        XCTAssertEqual(message.properties["DELAY"], "1")
        XCTAssertNotEqual(message.offsetMsgId, sent.extFields["msgId"], "the delivered copy has its own commit-log offset")
    }
}
