import TestSupport
import NIOCore
import RocketMQTestBroker
import RocketMQWire
import XCTest

final class TestBrokerProtocolTests: TestBrokerTestCase {
    func testRouteAnswersFollowTheVersionRuleAndTheCapturedRemark() async throws {
        try await broker.createTopic("RouteTopic", queueNums: 4)
        let names = try await connect(broker.nameServerAddress)
        var modern = RemotingCommand.request(code: .getRouteinfoByTopic, header: GetRouteInfoRequestHeader(topic: "RouteTopic"))
        modern.version = 409
        let standard = try await names.call(modern)
        XCTAssertEqual(standard.responseCode, .success)
        XCTAssertTrue(String(decoding: standard.body, as: UTF8.self).contains(#""brokerAddrs":{"0":""#))
        let route = try TopicRouteData(body: standard.body)
        XCTAssertEqual(route.brokerDatas.first?.masterAddress, broker.brokerAddress)
        XCTAssertEqual(route.publishQueues(topic: "RouteTopic").count, 4)

        var legacy = modern
        legacy.version = 400
        let bare = try await names.call(legacy)
        XCTAssertTrue(String(decoding: bare.body, as: UTF8.self).contains(#""brokerAddrs":{0:""#))
        XCTAssertEqual(try TopicRouteData(body: bare.body), route)
        var asked = RemotingCommand.request(code: .getRouteinfoByTopic, header: GetRouteInfoRequestHeader(topic: "RouteTopic", acceptStandardJsonOnly: true))
        asked.version = 317
        let awaited4 = try await names.call(asked)
        XCTAssertTrue(String(decoding: awaited4.body, as: UTF8.self).contains(#"{"0":"#))

        let missing = try await names.call(RemotingCommand.request(code: .getRouteinfoByTopic, header: GetRouteInfoRequestHeader(topic: "NoSuchTopic")))
        XCTAssertEqual(missing.responseCode, .topicNotExist)
        let golden = try GoldenCorpus.records("namesrv-route.jsonl").first { $0.code == 17 && $0.isResponse }
        let goldenRemark = try XCTUnwrap(golden?.header["remark"] as? String)
        XCTAssertEqual(missing.remark, goldenRemark.replacingOccurrences(of: "GoldenNoSuchTopic", with: "NoSuchTopic"))
    }

    func testCapturedProducerRequestsGetResponsesOfTheCapturedShape() async throws {
        // Replay the real Java producer's frames byte for byte; compare codes and ext keys.
        let client = try await connect(broker.brokerAddress)
        let records = try GoldenCorpus.records("producer.jsonl") + GoldenCorpus.records("rocketmq-serialize.jsonl")
        var compared = 0
        for request in records where request.dir == "client->broker" {
            guard let recorded = records.first(where: { $0.file == request.file && $0.fields["request_seq"] as? Int == request.seq }) else {
                continue
            }
            let command = try RemotingCommand.decode(frame: request.frame)
            // Pull answers depend on what the store holds; every other captured request is replayed.
            guard [310, 320, 34, 35, 30, 14, 15].contains(command.code) else { continue }
            try await client.sendRaw(request.frame)
            let response = try await withTimeout { try await client.response(opaque: command.opaque) }
            XCTAssertEqual(Int(response.code), recorded.code, request.name)
            XCTAssertEqual(response.serializeType, recorded.serialize == "JSON" ? .json : .rocketmq, request.name)
            XCTAssertEqual(Set(response.extFields.keys), Set(recorded.extFields.keys), request.name)
            if recorded.serialize == "ROCKETMQ", let order = recorded.fields["header_ext_order"] as? [String] {
                XCTAssertEqual(response.extFieldsOrder ?? [], order, request.name)
            }
            if let text = recorded.fields["header_text"] as? String, !response.extFields.isEmpty {
                // Even the JSON key order of the real broker (Java HashMap order) is reproduced.
                let order = try JSONValue.parse(text)["extFields"]?.objectValue?.map(\.key)
                XCTAssertEqual(response.extFieldsOrder, order, request.name)
            }
            if command.requestCode == .sendMessageV2 || command.requestCode == .sendBatchMessage {
                let ids = try XCTUnwrap(response.extFields["msgId"]).split(separator: ",")
                XCTAssertEqual(ids.count, (recorded.extFields["msgId"] ?? "").split(separator: ",").count, request.name)
                for id in ids {
                    XCTAssertEqual(try MessageID.decodeOffsetMessageID(String(id)).storeHost.description, broker.brokerAddress)
                }
            }
            compared += 1
        }
        XCTAssertGreaterThan(compared, 10)
        // What the replayed sends stored: WAIT dropped, CLUSTER added, the batch header props appended.
        let stored = try await broker.messages(topic: "GoldenProducerTopic")
        XCTAssertFalse(stored.isEmpty)
        for message in stored {
            XCTAssertNil(message.properties["WAIT"])
            XCTAssertEqual(message.properties["CLUSTER"], "DefaultCluster")
        }
        let batch = stored.filter { $0.tags == "tagBatch" }
        XCTAssertEqual(batch.map { String(decoding: $0.body, as: UTF8.self) }, ["batch golden #1", "batch golden #2", "batch golden #3"])
        XCTAssertEqual(stored.filter { $0.isCompressed }.count, 1)
        let compressed = try XCTUnwrap(stored.first { $0.isCompressed })
        XCTAssertEqual(try Compression.inflate(compressed.storedBody, limit: 1 << 20).count, 5000)
    }

    func testBinaryRequestsGetBinaryResponsesWithTheFastHeaderOrder() async throws {
        let client = try await connect(broker.brokerAddress)
        let response = try await client.call(sendRequest(topic: "BinTopic", body: "bin", serializeType: .rocketmq))
        XCTAssertEqual(response.serializeType, .rocketmq)
        XCTAssertEqual(response.extFieldsOrder, ["msgId", "queueId", "queueOffset", "TRACE_ON", "MSG_REGION"])
        let pull = try await client.call({ var p = pullRequest(topic: "BinTopic", offset: 0); p.serializeType = .rocketmq; return p }())
        XCTAssertEqual(pull.serializeType, .rocketmq)
        XCTAssertEqual(pull.remark, "FOUND")
        XCTAssertEqual(pull.extFieldsOrder, ["suggestWhichBrokerId", "nextBeginOffset", "minOffset", "maxOffset"])
    }

    func testPullReturnsStoredRecordsFilteredByTagHash() async throws {
        let client = try await connect(broker.brokerAddress)
        for (body, tag) in [("a1", "TagA"), ("c1", "TagC"), ("b1", "TagB"), ("n1", nil)] {
            let response = try await client.call(sendRequest(topic: "PullTopic", body: body, tags: tag, keys: "k-\(body)"))
            XCTAssertEqual(response.responseCode, .success)
        }
        let found = try await client.call(pullRequest(topic: "PullTopic", offset: 0, expression: "TagA || TagB"))
        XCTAssertEqual(found.responseCode, .success)
        XCTAssertEqual(found.remark, "FOUND")
        let header = try PullMessageResponseHeader(command: found)
        XCTAssertEqual(header.nextBeginOffset, 4)
        XCTAssertEqual(header.maxOffset, 4)
        XCTAssertEqual(header.minOffset, 0)
        let messages = try StoredMessageDecoder.decodeAll(found.body)
        XCTAssertEqual(messages.map { String(decoding: $0.body, as: UTF8.self) }, ["a1", "b1"])
        let first = try XCTUnwrap(messages.first)
        XCTAssertEqual(first.msgId, "UNIQ-a1")
        XCTAssertEqual(first.keys, "k-a1")
        XCTAssertEqual(first.storeHost.description, broker.brokerAddress)
        XCTAssertEqual(first.bornHost.port, Int32(client.channel.localAddress?.port ?? -1))
        XCTAssertEqual(first.offsetMsgId, MessageID.offsetMessageID(storeHost: first.storeHost, commitLogOffset: first.commitLogOffset))
        // The shape of a real FOUND response: the same four ext keys.
        let golden = try XCTUnwrap(try GoldenCorpus.records("pull-consumer.jsonl").first { $0.requestCode == 11 && $0.code == 0 })
        XCTAssertEqual(Set(found.extFields.keys), Set(golden.extFields.keys))

        // Stored records carry the property names a real broker stores for a tagged, keyed message.
        let goldenMessage = try XCTUnwrap(try GoldenCorpus.records("pull-consumer.jsonl").compactMap { $0.fields["decoded_messages"] as? [[String: Any]] }
            .flatMap { $0 }.first { ($0["properties"] as? [String: String])?.count == 4 })
        XCTAssertEqual(Set(first.properties.keys), Set((goldenMessage["properties"] as? [String: String] ?? [:]).keys))
        XCTAssertEqual(first.storeSize, Int32(StoredMessageEncoder.recordLength(first)))
        XCTAssertEqual(first.bodyCRC, Compression.bodyCRC(first.storedBody))

        let none = try await client.call(pullRequest(topic: "PullTopic", offset: 1, expression: "TagZ"))
        XCTAssertEqual(none.responseCode, .pullRetryImmediately)
        XCTAssertEqual(none.remark, "NO_MATCHED_MESSAGE")
        XCTAssertEqual(try PullMessageResponseHeader(command: none).nextBeginOffset, 4)
    }

    func testPullStatusesMatchTheRealBroker() async throws {
        let client = try await connect(broker.brokerAddress)
        try await broker.createTopic("StatusTopic", queueNums: 2)
        let empty = try await client.call(pullRequest(topic: "StatusTopic", offset: 0))
        XCTAssertEqual(empty.responseCode, .pullNotFound)
        XCTAssertEqual(empty.remark, "NO_MESSAGE_IN_QUEUE")
        _ = try await client.call(sendRequest(topic: "StatusTopic", body: "x"))
        let atEnd = try await client.call(pullRequest(topic: "StatusTopic", offset: 1))
        XCTAssertEqual(atEnd.responseCode, .pullNotFound)
        XCTAssertEqual(atEnd.remark, "OFFSET_OVERFLOW_ONE")
        let beyond = try await client.call(pullRequest(topic: "StatusTopic", offset: 100))
        XCTAssertEqual(beyond.responseCode, .pullOffsetMoved)
        XCTAssertEqual(beyond.remark, "OFFSET_OVERFLOW_BADLY")
        XCTAssertEqual(try PullMessageResponseHeader(command: beyond).nextBeginOffset, 1)
        let noSubscription = try await client.call(pullRequest(topic: "StatusTopic", group: "Unknown", offset: 0, expression: nil))
        XCTAssertEqual(noSubscription.responseCode, .subscriptionNotExist)
        let unknownTopic = try await client.call(pullRequest(topic: "NoTopic", offset: 0))
        XCTAssertEqual(unknownTopic.responseCode, .topicNotExist)
        try await broker.createTopic("WriteOnly", queueNums: 1, perm: Permission.write)
        let forbidden = try await client.call(pullRequest(topic: "WriteOnly", offset: 0))
        XCTAssertEqual(forbidden.responseCode, .noPermission)
        XCTAssertEqual(forbidden.remark, "the topic[WriteOnly] pulling message is forbidden")
    }

    func testLongPollIsHeldUntilASendWakesIt() async throws {
        let consumer = try await connect(broker.brokerAddress)
        let producer = try await connect(broker.brokerAddress)
        try await broker.createTopic("PollTopic", queueNums: 1)
        var pull = pullRequest(topic: "PollTopic", offset: 0, suspendMillis: 60_000)
        pull.opaque = 1
        try await consumer.send(pull)
        // A later request on the same connection is answered after the pull was processed (one
        // loop, in order), so the pull is held by the time this answer arrives.
        let probe = try await consumer.call(RemotingCommand.request(code: .getMaxOffset, header: QueueOffsetRequestHeader(topic: "PollTopic", queueId: 0)))
        XCTAssertEqual(try OffsetResponseHeader(command: probe).offset, 0)
        XCTAssertTrue(consumer.pending.isEmpty, "the pull is held, not answered")
        _ = try await producer.call(sendRequest(topic: "PollTopic", body: "wake-up"))
        let woken = try await withTimeout { try await consumer.response(opaque: 1) }
        XCTAssertEqual(woken.responseCode, .success)
        XCTAssertEqual(try StoredMessageDecoder.decodeAll(woken.body).map { String(decoding: $0.body, as: UTF8.self) }, ["wake-up"])
    }

    func testPublishedMessagesWakeHeldPulls() async throws {
        let consumer = try await connect(broker.brokerAddress)
        try await broker.createTopic("PublishTopic", queueNums: 2)
        var pull = pullRequest(topic: "PublishTopic", queueId: 1, offset: 0, suspendMillis: 60_000)
        pull.opaque = 1
        try await consumer.send(pull)
        _ = try await consumer.call(RemotingCommand.request(code: .getMaxOffset, header: QueueOffsetRequestHeader(topic: "PublishTopic", queueId: 1)))
        let held = try await broker.heldPullCount()
        XCTAssertEqual(held, 1)
        let stored = try await broker.publish(topic: "PublishTopic", queueId: 1, body: Array("direct".utf8), tags: "TagA", keys: "k")
        XCTAssertEqual(stored.queueOffset, 0)
        let woken = try await withTimeout { try await consumer.response(opaque: 1) }
        let message = try XCTUnwrap(try StoredMessageDecoder.decodeAll(woken.body).first)
        XCTAssertEqual(message.offsetMsgId, stored.offsetMsgId)
        XCTAssertEqual(message.tags, "TagA")
        XCTAssertEqual(message.properties["CLUSTER"], "DefaultCluster")
        let remaining = try await broker.heldPullCount()
        XCTAssertEqual(remaining, 0)
    }

    func testExpiredHoldAnswersPullNotFound() async throws {
        let consumer = try await connect(broker.brokerAddress)
        try await broker.createTopic("HoldTopic", queueNums: 1)
        let request = pullRequest(topic: "HoldTopic", offset: 0, suspendMillis: 20)
        let response = try await withTimeout { try await consumer.call(request) }
        XCTAssertEqual(response.responseCode, .pullNotFound)
        XCTAssertEqual(Set(response.extFields.keys), ["suggestWhichBrokerId", "nextBeginOffset", "minOffset", "maxOffset"])
    }

    func testOffsetsFollowTheQueryNotFoundRule() async throws {
        let client = try await connect(broker.brokerAddress)
        for i in 0..<5 { _ = try await client.call(sendRequest(topic: "OffsetTopic", body: "m\(i)")) }
        let query = RemotingCommand.request(code: .queryConsumerOffset, header: QueryConsumerOffsetRequestHeader(consumerGroup: "New", topic: "OffsetTopic", queueId: 0))
        let young = try await client.call(query)
        XCTAssertEqual(young.responseCode, .success)
        XCTAssertEqual(try OffsetResponseHeader(command: young).offset, 0)

        let update = RemotingCommand.request(code: .updateConsumerOffset, header: UpdateConsumerOffsetRequestHeader(consumerGroup: "G1", topic: "OffsetTopic", queueId: 0, commitOffset: 3))
        let awaited5 = try await client.call(update)
        XCTAssertEqual(awaited5.responseCode, .success)
        var queryG1 = query
        queryG1.extFields["consumerGroup"] = "G1"
        let awaited6 = try await client.call(queryG1)
        XCTAssertEqual(try OffsetResponseHeader(command: awaited6).offset, 3)
        let stored = try await broker.consumerOffset(group: "G1", topic: "OffsetTopic", queueId: 0)
        XCTAssertEqual(stored, 3)

        try await broker.expireMessages(topic: "OffsetTopic", queueId: 0, before: 2)
        let aged = try await client.call(query)
        XCTAssertEqual(aged.responseCode, .queryNotFound)
        XCTAssertEqual(aged.remark, "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first")

        let max = try await client.call(RemotingCommand.request(code: .getMaxOffset, header: QueueOffsetRequestHeader(topic: "OffsetTopic", queueId: 0)))
        XCTAssertEqual(try OffsetResponseHeader(command: max).offset, 5)
        let min = try await client.call(RemotingCommand.request(code: .getMinOffset, header: QueueOffsetRequestHeader(topic: "OffsetTopic", queueId: 0)))
        XCTAssertEqual(try OffsetResponseHeader(command: min).offset, 2)
        let future = try await client.call(RemotingCommand.request(code: .searchOffsetByTimestamp, header: SearchOffsetRequestHeader(topic: "OffsetTopic", queueId: 0, timestamp: Int64.max)))
        XCTAssertEqual(try OffsetResponseHeader(command: future).offset, 4)
        let past = try await client.call(RemotingCommand.request(code: .searchOffsetByTimestamp, header: SearchOffsetRequestHeader(topic: "OffsetTopic", queueId: 0, timestamp: 0)))
        XCTAssertEqual(try OffsetResponseHeader(command: past).offset, 2)
        let moved = try await client.call(pullRequest(topic: "OffsetTopic", offset: 0))
        XCTAssertEqual(moved.responseCode, .pullOffsetMoved)
        XCTAssertEqual(moved.remark, "OFFSET_TOO_SMALL")
    }

    func testUnknownCodesAreRefusedByTheBrokerAndIgnoredByTheNameServer() async throws {
        let client = try await connect(broker.brokerAddress)
        let unknown = try await client.call(RemotingCommand(code: 9999))
        XCTAssertEqual(unknown.responseCode, .requestCodeNotSupported)
        XCTAssertEqual(unknown.remark, " request type 9999 not supported")

        let names = try await connect(broker.nameServerAddress)
        var ignored = RemotingCommand(code: 9999)
        ignored.opaque = 1
        try await names.send(ignored)
        let route = try await names.call(RemotingCommand.request(code: .getRouteinfoByTopic, header: GetRouteInfoRequestHeader(topic: "TBW102")))
        XCTAssertEqual(route.responseCode, .success)
        XCTAssertTrue(names.pending.isEmpty, "no answer to the unknown code arrived before the route answer")
    }

    func testLocksAreExclusivePerGroup() async throws {
        let first = try await connect(broker.brokerAddress)
        let second = try await connect(broker.brokerAddress)
        let queue = MessageQueue(topic: "T", brokerName: broker.brokerName, queueId: 0)
        func lock(_ client: RawClient, _ id: String) async throws -> [MessageQueue] {
            let body = LockBatchRequestBody(consumerGroup: "G1", clientId: id, mqSet: [queue]).encoded()
            return try LockBatchResponseBody(body: try await client.call(RemotingCommand.request(code: .lockBatchMq, body: body)).body).lockOKMQSet
        }
        let firstGranted = try await lock(first, "c1")
        XCTAssertEqual(firstGranted, [queue])
        let secondRefused = try await lock(second, "c2")
        XCTAssertEqual(secondRefused, [])
        let unlock = RemotingCommand.request(code: .unlockBatchMq, body: UnlockBatchRequestBody(consumerGroup: "G1", clientId: "c1", mqSet: [queue]).encoded())
        let unlocked = try await first.call(unlock)
        XCTAssertEqual(unlocked.responseCode, .success)
        XCTAssertTrue(unlocked.body.isEmpty)
        let secondGranted = try await lock(second, "c2")
        XCTAssertEqual(secondGranted, [queue])
    }

    func testUnknownTopicIsRefusedWhenAutoCreateIsOff() async throws {
        try await broker.shutdown()
        var configuration = configuration()
        configuration.autoCreateTopics = false
        broker = try await RocketMQTestBroker.start(configuration)
        let client = try await connect(broker.brokerAddress)
        let response = try await client.call(sendRequest(topic: "Nope", body: "x"))
        XCTAssertEqual(response.responseCode, .topicNotExist)
        let illegal = try await client.call({ try await self.broker.createTopic("Small", queueNums: 1); return self.sendRequest(topic: "Small", body: "x", queueId: 99) }())
        XCTAssertEqual(illegal.responseCode, .systemError)
        XCTAssertTrue(illegal.remark?.hasPrefix("request queueId[99] is illegal") == true)
    }
}
