import Foundation
import NIOConcurrencyHelpers
import NIOCore
import RocketMQWire
import TestSupport
import XCTest
@testable import RocketMQClient

/// Push-consumer behaviour against a scripted broker with one queue: what goes on the wire for
/// acks in any order, failures, and shutdown.
final class PushConsumerScriptedTests: XCTestCase {
    private final class Script: Sendable {
        let address = NIOLockedValueBox("")
        /// Messages handed out by the first pull; later pulls are held (never answered).
        let messages: [StoredMessage]
        let pulls = NIOLockedValueBox(0)
        let sendBackFails: Bool
        /// Answers to QUERY_CONSUMER_OFFSET in turn; the last one repeats.
        let committedOffsets: NIOLockedValueBox<[String]>

        init(count: Int, sendBackFails: Bool = false, committedOffsets: [String] = ["0"]) {
            self.sendBackFails = sendBackFails
            self.committedOffsets = NIOLockedValueBox(committedOffsets)
            self.messages = (0..<count).map { index in
                StoredMessage(
                    queueId: 0, queueOffset: Int64(index), commitLogOffset: Int64(1000 + index), bornTimestamp: 1,
                    bornHost: HostAddress(ip: [127, 0, 0, 1], port: 1), storeTimestamp: 2,
                    storeHost: HostAddress(ip: [127, 0, 0, 1], port: 2), storedBody: Array("m\(index)".utf8), topic: "T",
                    propertiesText: MessageProperties.encode([(key: "TAGS", value: "a"), (key: "UNIQ_KEY", value: "ID\(index)")]))
            }
        }

        func answer(_ request: RemotingCommand) -> RemotingCommand? {
            switch request.requestCode {
            case .getRouteinfoByTopic:
                guard request.extFields["topic"] == "T" else { return .response(to: request, code: .topicNotExist) }
                let own = address.withLockedValue { $0 }
                return .response(to: request, code: .success, body: routeJSON(brokers: [("b", own, 1)]))
            case .getConsumerListByGroup:
                return .response(to: request, code: .success, body: ConsumerListBody(consumerIdList: ["c1"]).encoded())
            case .queryConsumerOffset:
                let offset = committedOffsets.withLockedValue { offsets in
                    offsets.count > 1 ? offsets.removeFirst() : offsets[0]
                }
                return .response(to: request, code: .success, extFields: ["offset": offset])
            case .lockBatchMq:
                let asked = (try? LockBatchRequestBody(body: request.body).mqSet) ?? []
                return .response(to: request, code: .success, body: LockBatchResponseBody(lockOKMQSet: asked).encoded())
            case .pullMessage:
                let first = pulls.withLockedValue { count -> Bool in
                    count += 1
                    return count == 1
                }
                guard first else { return nil }
                let body = try! StoredMessageEncoder.encodeAll(messages)
                return .response(to: request, code: .success, extFields: [
                    "nextBeginOffset": String(messages.count), "minOffset": "0", "maxOffset": String(messages.count),
                    "suggestWhichBrokerId": "0",
                ], body: body)
            case .consumerSendMsgBack:
                return sendBackFails ? .response(to: request, code: .systemError, remark: "store busy") : .response(to: request, code: .success)
            default:
                return .response(to: request, code: .success)
            }
        }
    }

    private func start(
        _ script: Script, maxInFlight: Int = 10, orderly: Bool = false, messageModel: MessageModel = .clustering
    ) async throws -> (PushConsumer, FakeRemotingServer) {
        let server = try await FakeRemotingServer.start { script.answer($0) }
        script.address.withLockedValue { $0 = server.address }
        let consumer = PushConsumer(configuration: ConsumerConfiguration(
            client: ClientConfiguration(nameServers: [server.address], clientID: "c1"),
            group: "G", subscriptions: [Subscription(topic: "T", expression: "a")], maxInFlight: maxInFlight,
            orderly: orderly, localRedeliveryBackoff: .milliseconds(10), messageModel: messageModel))
        try await consumer.start()
        return (consumer, server)
    }

    private func take(_ count: Int, from consumer: PushConsumer) async -> [ConsumedMessage] {
        var taken: [ConsumedMessage] = []
        for await message in consumer.messages {
            taken.append(message)
            if taken.count == count { break }
        }
        return taken
    }

    private func committed(_ server: FakeRemotingServer) -> [String] {
        server.requests.filter { $0.requestCode == .updateConsumerOffset }.compactMap { $0.extFields["commitOffset"] }
    }

    func testTheCommittedOffsetStopsAtTheSmallestUnacknowledgedMessage() async throws {
        let script = Script(count: 4)
        let (consumer, server) = try await start(script)
        let messages = await take(4, from: consumer)
        XCTAssertEqual(messages.map(\.queueOffset), [0, 1, 2, 3])
        XCTAssertEqual(messages.map { String(decoding: $0.body, as: UTF8.self) }, ["m0", "m1", "m2", "m3"])
        XCTAssertEqual(messages.first?.messageID, "ID0")
        XCTAssertEqual(messages.first?.topic, "T")
        XCTAssertEqual(consumer.inFlightCount, 4)

        consumer.ack(messages[3].handle, success: true)
        consumer.ack(messages[1].handle, success: true)
        await consumer.persistOffsets()
        XCTAssertTrue(committed(server).allSatisfy { $0 == "0" }, "message 0 is still unacknowledged")
        consumer.ack(messages[0].handle, success: true)
        await consumer.persistOffsets()
        XCTAssertEqual(committed(server).last, "2")
        consumer.ack(messages[0].handle, success: true)  // a repeated ack changes nothing
        consumer.ack(messages[2].handle, success: true)
        await consumer.persistOffsets()
        XCTAssertEqual(committed(server).last, "4")
        XCTAssertEqual(consumer.inFlightCount, 0)

        await consumer.stop()
        let kinds = server.requests.map(\.requestCode)
        XCTAssertTrue(kinds.contains(.heartBeat))
        XCTAssertEqual(kinds.last, .unregisterClient)
        let heartbeat = try HeartbeatData(body: try XCTUnwrap(server.requests.first { $0.requestCode == .heartBeat }).body)
        XCTAssertEqual(Set(heartbeat.consumerDataSet.first?.subscriptionDataSet.map(\.topic) ?? []), ["T", "%RETRY%G"])
        try await server.stop()
    }

    func testAtMostMaxInFlightMessagesAreOutstanding() async throws {
        let script = Script(count: 5)
        let (consumer, server) = try await start(script, maxInFlight: 2)
        let firstTwo = await take(2, from: consumer)
        XCTAssertEqual(consumer.inFlightCount, 2)
        consumer.ack(firstTwo[1].handle, success: true)
        let next = await take(1, from: consumer)
        XCTAssertEqual(next.map(\.queueOffset), [2])
        XCTAssertEqual(consumer.inFlightCount, 2)
        await consumer.stop()
        XCTAssertEqual(committed(server).last, "0", "stop commits nothing past the unacknowledged message 0")
        try await server.stop()
    }

    func testAFailureAckSendsTheMessageBackWithItsCommitLogOffset() async throws {
        let script = Script(count: 1)
        let (consumer, server) = try await start(script)
        let taken = await take(1, from: consumer)
        let message = try XCTUnwrap(taken.first)
        consumer.ack(message.handle, success: false)
        let deadline = NIODeadline.now() + .seconds(10)
        while committed(server).last != "1" && NIODeadline.now() < deadline {
            await consumer.persistOffsets()
            await Task.yield()
        }
        let sendBack = try XCTUnwrap(server.requests.first { $0.requestCode == .consumerSendMsgBack })
        XCTAssertEqual(sendBack.extFields["offset"], "1000")
        XCTAssertEqual(sendBack.extFields["group"], "G")
        XCTAssertEqual(sendBack.extFields["delayLevel"], "0")
        XCTAssertEqual(sendBack.extFields["maxReconsumeTimes"], "16")
        XCTAssertEqual(sendBack.extFields["originMsgId"], "ID0")
        XCTAssertEqual(committed(server).last, "1", "once the broker took it back the offset moves on")
        await consumer.stop()
        try await server.stop()
    }

    func testWhenSendBackFailsTheMessageIsDeliveredAgainLocally() async throws {
        let script = Script(count: 1, sendBackFails: true)
        let (consumer, server) = try await start(script)
        let taken = await take(1, from: consumer)
        let first = try XCTUnwrap(taken.first)
        consumer.ack(first.handle, success: false)
        let retaken = await take(1, from: consumer)
        let again = try XCTUnwrap(retaken.first)
        XCTAssertEqual(again.queueOffset, first.queueOffset)
        XCTAssertNotEqual(again.handle, first.handle)
        consumer.ack(again.handle, success: true)
        await consumer.persistOffsets()
        XCTAssertEqual(committed(server).last, "1")
        await consumer.stop()
        try await server.stop()
    }

    func testStopLeavesTheGroupOnceAndAStopBeforeStartSendsNothing() async throws {
        let script = Script(count: 0)
        let (consumer, server) = try await start(script)
        async let first: Void = consumer.stop()
        async let second: Void = consumer.stop()
        _ = await (first, second)
        await consumer.stop()
        let unregisters = server.requests.filter { $0.requestCode == .unregisterClient }
        XCTAssertEqual(unregisters.count, 1, "one broker, one leave, however many stops")
        var stopped = consumer.messages.makeAsyncIterator()
        let afterStop = await stopped.next()
        XCTAssertNil(afterStop, "the stream is finished")

        let before = server.requests.count
        let idle = PushConsumer(configuration: ConsumerConfiguration(
            client: ClientConfiguration(nameServers: [server.address], clientID: "c2"),
            group: "G", subscriptions: [Subscription(topic: "T")]))
        await idle.stop()
        var idleMessages = idle.messages.makeAsyncIterator()
        let fromIdle = await idleMessages.next()
        XCTAssertNil(fromIdle)
        do {
            try await idle.start()
            XCTFail("a stopped consumer does not start")
        } catch RocketMQError.invalidArgument {}
        XCTAssertEqual(server.requests.count, before, "a consumer that never started has nothing to tell the brokers")
        try await server.stop()
    }

    func testAnUnknownTopicFailsStart() async throws {
        let script = Script(count: 0)
        let server = try await FakeRemotingServer.start { script.answer($0) }
        let consumer = PushConsumer(configuration: ConsumerConfiguration(
            client: ClientConfiguration(nameServers: [server.address], clientID: "c1"),
            group: "G", subscriptions: [Subscription(topic: "Missing")]))
        do {
            try await consumer.start()
            XCTFail("expected topicNotFound")
        } catch RocketMQError.topicNotFound(let topic, _) {
            XCTAssertEqual(topic, "Missing")
        }
        try await server.stop()
    }

    func testBrokerInitiatedRequestsAreAnsweredOrRefusedCleanly() async throws {
        let script = Script(count: 0)
        let (consumer, server) = try await start(script)
        var running = RemotingCommand.request(
            code: .getConsumerRunningInfo, extFields: ["consumerGroup": "G", "clientId": "c1", "jstackEnable": "false"])
        running.opaque = 5
        let info = try XCTUnwrap(consumer.handleBrokerRequest(running, from: server.address))
        XCTAssertEqual(info.responseCode, .success)
        XCTAssertEqual(info.opaque, 5)
        let json = try JSONValue.parse(info.body)
        XCTAssertEqual(json["properties"]?["PROP_CONSUME_TYPE"]?.stringValue, "CONSUME_PASSIVELY")
        XCTAssertEqual(Set(json["subscriptionSet"]?.arrayValue?.compactMap { $0["topic"]?.stringValue } ?? []), ["T", "%RETRY%G"])

        let notify = RemotingCommand.request(code: .notifyConsumerIdsChanged, extFields: ["consumerGroup": "G"], oneway: true)
        XCTAssertNil(consumer.handleBrokerRequest(notify, from: server.address), "oneway: no answer, a rebalance instead")
        let direct = try XCTUnwrap(consumer.handleBrokerRequest(.request(code: .consumeMessageDirectly), from: server.address))
        XCTAssertEqual(direct.responseCode, .systemError)
        XCTAssertNil(consumer.handleBrokerRequest(.request(code: RequestCode(9999)), from: server.address),
                     "unknown codes are left to the connection, which answers REQUEST_CODE_NOT_SUPPORTED")
        await consumer.stop()
        try await server.stop()
    }

    func testABrokerOffsetResetStoresTheNewOffsetAndReaddsTheQueue() async throws {
        let script = Script(count: 3)
        let (consumer, server) = try await start(script)
        _ = await take(3, from: consumer)
        let queue = MessageQueue(topic: "T", brokerName: "b", queueId: 0)
        let reset = RemotingCommand.request(
            code: .resetConsumerClientOffset, extFields: ["topic": "T", "group": "G", "timestamp": "0", "isForce": "true"],
            body: ResetOffsetBody(offsetTable: [queue: 1]).encoded(), oneway: true)
        XCTAssertNil(consumer.handleBrokerRequest(reset, from: server.address))
        let deadline = NIODeadline.now() + .seconds(10)
        while !committed(server).contains("1") && NIODeadline.now() < deadline {
            try await Task.sleep(nanoseconds: 5_000_000)
        }
        XCTAssertTrue(committed(server).contains("1"))
        let readded = NIODeadline.now() + .seconds(10)
        while !consumer.ownedQueues.contains(queue) && NIODeadline.now() < readded {
            try await Task.sleep(nanoseconds: 5_000_000)
        }
        XCTAssertTrue(consumer.ownedQueues.contains(queue), "the next rebalance adds the queue again")
        await consumer.stop()
        try await server.stop()
    }

    func testOrderlyPullsStartFromTheOffsetTheBrokerHasOnceTheQueueIsLocked() async throws {
        // The committed offset moves on between the queue being added (2) and its lock being
        // ours (5): the previous owner consumed until it let the lock go.
        let script = Script(count: 3, committedOffsets: ["2", "5"])
        let (consumer, server) = try await start(script, orderly: true)
        let deadline = NIODeadline.now() + .seconds(10)
        while !server.requests.contains(where: { $0.requestCode == .pullMessage }) && NIODeadline.now() < deadline {
            try await Task.sleep(nanoseconds: 5_000_000)
        }
        let codes = server.requests.map(\.requestCode)
        let firstPull = server.requests.first { $0.requestCode == .pullMessage }
        XCTAssertEqual(firstPull?.extFields["queueOffset"], "5")
        let queries = codes.indices.filter { codes[$0] == .queryConsumerOffset }
        let lock = try XCTUnwrap(codes.firstIndex(of: .lockBatchMq))
        XCTAssertEqual(queries.count, 2)
        if queries.count == 2 {
            XCTAssertLessThan(queries[0], lock, "the offset is read when the queue is added")
            XCTAssertLessThan(lock, queries[1], "and again once it is locked")
        }
        await consumer.stop()
        try await server.stop()
    }
    func testABroadcastingConsumerStartsFromItsOwnFileKeepsItsOffsetsThereAndRedeliversAFailureItself() async throws {
        let folder = try TemporaryFolder()
        let file = folder.path + "/G.offsets.json"
        let queue = MessageQueue(topic: "T", brokerName: "b", queueId: 0)
        let earlier = try LocalOffsetStore(path: file)
        earlier.update(queue, to: 2)
        try earlier.persist()

        let (consumer, server) = try await start(Script(count: 4), messageModel: .broadcasting(offsetFile: file))
        let messages = await take(2, from: consumer)
        let pull = try XCTUnwrap(server.requests.first { $0.requestCode == .pullMessage })
        XCTAssertEqual(pull.extFields["queueOffset"], "2", "the first pull starts where this member's file says")
        XCTAssertEqual(messages.map(\.queueOffset), [2, 3])
        consumer.ack(messages[1].handle, success: true)
        consumer.ack(messages[0].handle, success: false)
        let again = await take(1, from: consumer)
        XCTAssertEqual(again.map(\.queueOffset), [2], "delivered again here after the back-off")
        await consumer.persistOffsets()
        XCTAssertEqual(try LocalOffsetStore(path: file).offsets, [queue: 2], "not past the failed message")
        consumer.ack(again[0].handle, success: true)
        await consumer.stop()
        XCTAssertEqual(try LocalOffsetStore(path: file).offsets, [queue: 4], "persisted at stop")

        let kinds = Set(server.requests.map(\.requestCode))
        for never in [RequestCode.queryConsumerOffset, .updateConsumerOffset, .getConsumerListByGroup, .consumerSendMsgBack] {
            XCTAssertFalse(kinds.contains(never), "a broadcasting member never sends \(never)")
        }
        let heartbeat = try HeartbeatData(body: try XCTUnwrap(server.requests.first { $0.requestCode == .heartBeat }).body)
        XCTAssertEqual(heartbeat.consumerDataSet.first?.messageModel, "BROADCASTING")
        XCTAssertEqual(heartbeat.consumerDataSet.first?.subscriptionDataSet.map(\.topic), ["T"], "no retry topic")
        try await server.stop()
    }

    func testABroadcastingConsumerWithADamagedOffsetFileDoesNotStartAndSaysWhichFile() async throws {
        let folder = try TemporaryFolder()
        let file = folder.path + "/G.offsets.json"
        try Data("{".utf8).write(to: URL(fileURLWithPath: file))
        let consumer = PushConsumer(configuration: ConsumerConfiguration(
            client: ClientConfiguration(nameServers: ["127.0.0.1:1"], clientID: "c1"), group: "G",
            subscriptions: [Subscription(topic: "T")], messageModel: .broadcasting(offsetFile: file)))
        do {
            try await consumer.start()
            XCTFail("started with a damaged offset file")
        } catch RocketMQError.offsetFile(let path, _) {
            XCTAssertEqual(path, file)
        }
        await consumer.stop()
    }
}
