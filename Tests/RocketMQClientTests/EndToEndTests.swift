import Logging
import NIOConcurrencyHelpers
import NIOCore
import RocketMQTestBroker
import RocketMQWire
import XCTest
@testable import RocketMQClient

/// The client against the in-memory test broker: whole flows over real sockets.
final class EndToEndTests: XCTestCase {
    /// Polls `condition` until it holds or `timeout` passes (a bounded wait on an observable state,
    /// not a timing assertion).
    private func eventually(
        _ what: String, timeout: TimeAmount = .seconds(60), _ condition: () async throws -> Bool
    ) async throws {
        let deadline = NIODeadline.now() + timeout
        while try await !condition() {
            guard NIODeadline.now() < deadline else { return XCTFail("timed out waiting for: \(what)") }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
    }

    private func startBroker(_ configure: (inout RocketMQTestBrokerConfiguration) -> Void = { _ in }) async throws -> RocketMQTestBroker {
        var configuration = RocketMQTestBrokerConfiguration()
        configuration.maxSuspendTime = .milliseconds(500)
        configure(&configuration)
        return try await RocketMQTestBroker.start(configuration)
    }

    private func producer(_ broker: RocketMQTestBroker, credentials: Credentials? = nil) async throws -> Producer {
        let producer = Producer(configuration: ProducerConfiguration(
            client: ClientConfiguration(nameServers: [broker.nameServerAddress], credentials: credentials), group: "PG"))
        try await producer.start()
        return producer
    }

    private func consumerConfiguration(
        _ broker: RocketMQTestBroker, clientID: String, topic: String, group: String = "G",
        orderly: Bool = false, maxReconsumeTimes: Int = 16
    ) -> ConsumerConfiguration {
        ConsumerConfiguration(
            client: ClientConfiguration(nameServers: [broker.nameServerAddress], clientID: clientID),
            group: group, subscriptions: [Subscription(topic: topic)], maxInFlight: 64,
            consumeFromWhere: .firstOffset, maxReconsumeTimes: maxReconsumeTimes, orderly: orderly,
            pullSuspendTimeout: .milliseconds(500), offsetPersistInterval: .milliseconds(200),
            rebalanceInterval: .milliseconds(500), pullErrorBackoff: .milliseconds(50),
            localRedeliveryBackoff: .milliseconds(50))
    }

    /// Records deliveries per message id and acknowledges each as `decide` says.
    private final class Recorder: Sendable {
        let counts = NIOLockedValueBox<[String: Int]>([:])
        let byConsumer = NIOLockedValueBox<[String: Int]>([:])
        let log = NIOLockedValueBox<[ConsumedMessage]>([])

        var distinct: Int { counts.withLockedValue { $0.count } }
        var total: Int { counts.withLockedValue { $0.values.reduce(0, +) } }

        func run(_ consumer: PushConsumer, name: String, decide: @escaping @Sendable (ConsumedMessage) -> Bool = { _ in true }) -> Task<Void, Never> {
            Task {
                for await message in consumer.messages {
                    self.counts.withLockedValue { $0[message.messageID, default: 0] += 1 }
                    self.byConsumer.withLockedValue { $0[name, default: 0] += 1 }
                    self.log.withLockedValue { $0.append(message) }
                    consumer.ack(message.handle, success: decide(message))
                }
            }
        }
    }

    private func sendNumbered(_ producer: Producer, topic: String, range: Range<Int>) async throws {
        var index = range.lowerBound
        while index < range.upperBound {
            let end = min(index + 50, range.upperBound)
            _ = try await producer.sendBatch((index..<end).map {
                OutgoingMessage(topic: topic, body: Array("message-\($0)".utf8), keys: ["k\($0)"])
            })
            index = end
        }
    }

    private func ownershipIsDisjointAndComplete(_ consumers: [PushConsumer], topic: String, queues: Int) -> Bool {
        let owned = consumers.flatMap { $0.ownedQueues.filter { $0.topic == topic } }
        return owned.count == queues && Set(owned).count == queues
    }

    func testTenThousandMessagesAreEachConsumedExactlyOnceByAGroupWhoseMembersChange() async throws {
        let broker = try await startBroker { $0.topics = ["Load": 8] }
        let producer = try await producer(broker)
        let recorder = Recorder()
        let a = PushConsumer(configuration: consumerConfiguration(broker, clientID: "A", topic: "Load"))
        let b = PushConsumer(configuration: consumerConfiguration(broker, clientID: "B", topic: "Load"))
        try await a.start()
        try await b.start()
        let tasks = [recorder.run(a, name: "A"), recorder.run(b, name: "B")]
        try await eventually("A and B split the queues") { ownershipIsDisjointAndComplete([a, b], topic: "Load", queues: 8) }

        try await sendNumbered(producer, topic: "Load", range: 0..<4000)
        try await eventually("4000 consumed") { recorder.distinct == 4000 }
        await a.persistOffsets()
        await b.persistOffsets()

        // A third member joins mid-run: the queues are re-split without losing or repeating anything.
        let c = PushConsumer(configuration: consumerConfiguration(broker, clientID: "C", topic: "Load"))
        try await c.start()
        let third = recorder.run(c, name: "C")
        try await eventually("three members split the queues") { ownershipIsDisjointAndComplete([a, b, c], topic: "Load", queues: 8) }
        XCTAssertFalse(c.ownedQueues.isEmpty)

        try await sendNumbered(producer, topic: "Load", range: 4000..<7000)
        try await eventually("7000 consumed") { recorder.distinct == 7000 }
        await a.persistOffsets()
        await b.persistOffsets()

        // …and leaves again.
        await c.stop()
        await third.value
        try await eventually("A and B take every queue back") { ownershipIsDisjointAndComplete([a, b], topic: "Load", queues: 8) }

        try await sendNumbered(producer, topic: "Load", range: 7000..<10000)
        try await eventually("10000 consumed") { recorder.distinct == 10000 }

        await a.stop()
        await b.stop()
        for task in tasks { await task.value }
        XCTAssertEqual(recorder.total, 10000, "every message exactly once")
        XCTAssertTrue(recorder.counts.withLockedValue { $0.values.allSatisfy { $0 == 1 } })
        let shares = recorder.byConsumer.withLockedValue { $0 }
        XCTAssertGreaterThan(shares["A"] ?? 0, 0)
        XCTAssertGreaterThan(shares["B"] ?? 0, 0)
        XCTAssertGreaterThan(shares["C"] ?? 0, 0)
        await producer.shutdown()
        try await broker.shutdown()
    }

    func testAFailedMessageComesBackThroughTheRetryTopic() async throws {
        let broker = try await startBroker {
            $0.topics = ["Retry": 2]
            $0.delayTimeScale = 0.01
        }
        let producer = try await producer(broker)
        let consumer = PushConsumer(configuration: consumerConfiguration(broker, clientID: "A", topic: "Retry"))
        try await consumer.start()
        let recorder = Recorder()
        let task = recorder.run(consumer, name: "A") { $0.reconsumeTimes > 0 }  // fail the first delivery
        let sent = try await producer.send(OutgoingMessage(topic: "Retry", body: Array("again".utf8), tags: "t"))
        try await eventually("redelivered once") { recorder.total == 2 }
        let deliveries = recorder.log.withLockedValue { $0 }
        XCTAssertEqual(deliveries.map(\.messageID), [sent.messageID, sent.messageID])
        XCTAssertEqual(deliveries.map(\.reconsumeTimes), [0, 1])
        XCTAssertEqual(deliveries.map(\.topic), ["Retry", "Retry"], "the retried copy reports its original topic")
        XCTAssertEqual(deliveries.last?.body, Array("again".utf8))
        await consumer.stop()
        await task.value
        await producer.shutdown()
        try await broker.shutdown()
    }

    func testAMessageThatKeepsFailingEndsInTheDeadLetterQueue() async throws {
        let broker = try await startBroker {
            $0.topics = ["Poison": 1]
            $0.delayTimeScale = 0.01
        }
        let producer = try await producer(broker)
        let consumer = PushConsumer(configuration: consumerConfiguration(broker, clientID: "A", topic: "Poison", maxReconsumeTimes: 2))
        try await consumer.start()
        let recorder = Recorder()
        let task = recorder.run(consumer, name: "A") { _ in false }
        _ = try await producer.send(OutgoingMessage(topic: "Poison", body: [7]))
        try await eventually("moved to the DLQ") { try await !broker.messages(topic: "%DLQ%G").isEmpty }
        XCTAssertEqual(recorder.total, 3, "the first delivery and two retries")
        let dead = try await broker.messages(topic: "%DLQ%G")
        XCTAssertEqual(dead.map(\.body), [[7]])
        await consumer.stop()
        await task.value
        await producer.shutdown()
        try await broker.shutdown()
    }

    func testOrderlyConsumptionKeepsEveryQueueInOrderThroughFailures() async throws {
        let broker = try await startBroker { $0.topics = ["Ordered": 4] }
        let producer = try await producer(broker)
        for index in 0..<200 {
            _ = try await producer.send(OutgoingMessage(
                topic: "Ordered", body: Array("\(index)".utf8), shardingKey: "key-\(index % 5)"))
        }
        let consumer = PushConsumer(configuration: consumerConfiguration(broker, clientID: "A", topic: "Ordered", orderly: true))
        try await consumer.start()
        let recorder = Recorder()
        let failedOnce = NIOLockedValueBox<Set<String>>([])
        // Every tenth message fails on its first delivery and must come back before its successors.
        let task = recorder.run(consumer, name: "A") { message in
            let number = Int(String(decoding: message.body, as: UTF8.self)) ?? 0
            guard number % 10 == 0 else { return true }
            return !failedOnce.withLockedValue { $0.insert(message.messageID).inserted }
        }
        try await eventually("all 200 consumed") { recorder.distinct == 200 }
        await consumer.stop()
        await task.value

        let log = recorder.log.withLockedValue { $0 }
        var lastOffset: [Int32: Int64] = [:]
        for message in log {
            if let last = lastOffset[message.queueId] {
                XCTAssertGreaterThanOrEqual(message.queueOffset, last, "queue \(message.queueId) went backwards")
                XCTAssertLessThanOrEqual(message.queueOffset, last + 1, "queue \(message.queueId) skipped ahead")
            }
            lastOffset[message.queueId] = message.queueOffset
        }
        XCTAssertEqual(recorder.total, 220, "200 messages plus 20 in-place redeliveries")
        let locks = try await broker.requestCount(.lockBatchMq)
        let unlocks = try await broker.requestCount(.unlockBatchMq)
        XCTAssertGreaterThan(locks, 0)
        XCTAssertGreaterThan(unlocks, 0)
        await producer.shutdown()
        try await broker.shutdown()
    }

    func testUnacknowledgedMessagesComeBackToTheNextConsumerOfTheGroup() async throws {
        let broker = try await startBroker { $0.topics = ["Again": 1] }
        let producer = try await producer(broker)
        try await sendNumbered(producer, topic: "Again", range: 0..<5)
        let first = PushConsumer(configuration: consumerConfiguration(broker, clientID: "A", topic: "Again"))
        try await first.start()
        var received: [ConsumedMessage] = []
        for await message in first.messages {
            received.append(message)
            if received.count == 5 { break }
        }
        for message in received where message.queueOffset != 2 {
            first.ack(message.handle, success: true)
        }
        await first.stop()
        let committed = try await broker.consumerOffset(group: "G", topic: "Again", queueId: 0)
        XCTAssertEqual(committed, 2, "nothing is committed past the unacknowledged message")

        let second = PushConsumer(configuration: consumerConfiguration(broker, clientID: "B", topic: "Again"))
        try await second.start()
        var again: [Int64] = []
        for await message in second.messages {
            again.append(message.queueOffset)
            second.ack(message.handle, success: true)
            if again.count == 3 { break }
        }
        XCTAssertEqual(again, [2, 3, 4])
        await second.stop()
        await producer.shutdown()
        try await broker.shutdown()
    }

    func testACLSignedRequestsAreAcceptedAndWrongSecretsRefused() async throws {
        // A real broker refuses with SYSTEM_ERROR + AclException text; NO_PERMISSION is the other form.
        for denialCode in [ResponseCode.systemError, .noPermission] {
            let broker = try await startBroker {
                $0.topics = ["Secure": 2]
                $0.acl = .init(accessKey: "ak", secretKey: "sk")
                $0.aclDenialCode = denialCode
            }
            let good = try await producer(broker, credentials: Credentials(accessKey: "ak", secretKey: "sk"))
            let result = try await good.send(OutgoingMessage(topic: "Secure", body: [1]))
            XCTAssertEqual(result.status, .sendOK)
            let storedAfterGood = try await broker.messages(topic: "Secure").count
            XCTAssertEqual(storedAfterGood, 1)

            let bad = try await producer(broker, credentials: Credentials(accessKey: "ak", secretKey: "wrong"))
            do {
                _ = try await bad.send(OutgoingMessage(topic: "Secure", body: [2]))
                XCTFail("expected a refusal")
            } catch RocketMQError.noPermission(let remark) {
                XCTAssertNotNil(remark)
            } catch {
                XCTFail("expected noPermission for denial code \(denialCode), got \(error)")
            }
            let storedAfterBad = try await broker.messages(topic: "Secure").count
            XCTAssertEqual(storedAfterBad, 1)
            await good.shutdown()
            await bad.shutdown()
            try await broker.shutdown()
        }
    }

    func testLitePullReturnsAtMostTheAskedNumberAndCommitsWhatItReturned() async throws {
        let broker = try await startBroker {
            $0.topics = ["Lite": 2]
            $0.maxSuspendTime = nil
        }
        let producer = try await producer(broker)
        try await sendNumbered(producer, topic: "Lite", range: 0..<10)
        let reader = LitePullConsumer(
            client: ClientConfiguration(nameServers: [broker.nameServerAddress]), group: "Reader", consumeFromWhere: .firstOffset)
        try await reader.start()

        let first = try await reader.pull([Subscription(topic: "Lite")], maxMessages: 4)
        XCTAssertEqual(first.count, 4)
        let committed0 = try await broker.consumerOffset(group: "Reader", topic: "Lite", queueId: 0) ?? 0
        let committed1 = try await broker.consumerOffset(group: "Reader", topic: "Lite", queueId: 1) ?? 0
        XCTAssertEqual(committed0 + committed1, 4)

        let rest = try await reader.pull([Subscription(topic: "Lite")], maxMessages: 100)
        XCTAssertEqual(rest.count, 6)
        let bodies = Set((first + rest).map { String(decoding: $0.body, as: UTF8.self) })
        XCTAssertEqual(bodies, Set((0..<10).map { "message-\($0)" }))

        let none = try await reader.pull([Subscription(topic: "Lite")], maxMessages: 10, wait: .milliseconds(100))
        XCTAssertTrue(none.isEmpty)

        // A message arriving during the wait is returned by that read.
        async let waited = reader.pull([Subscription(topic: "Lite")], maxMessages: 10, wait: .seconds(5))
        try await eventually("a pull is waiting") { try await broker.requestCount(.pullMessage) >= 12 }
        _ = try await producer.send(OutgoingMessage(topic: "Lite", body: Array("late".utf8)))
        let late = try await waited
        XCTAssertEqual(late.map { String(decoding: $0.body, as: UTF8.self) }, ["late"])
        await reader.shutdown()
        await producer.shutdown()
        try await broker.shutdown()
    }

    func testAMessageNotAcknowledgedWithinTheConsumeTimeoutComesBack() async throws {
        let broker = try await startBroker {
            $0.topics = ["Slow": 1]
            $0.delayTimeScale = 0.01
        }
        let producer = try await producer(broker)
        var configuration = consumerConfiguration(broker, clientID: "A", topic: "Slow")
        configuration.queueLimits.consumeTimeout = .milliseconds(100)
        let consumer = PushConsumer(configuration: configuration)
        try await consumer.start()
        _ = try await producer.send(OutgoingMessage(topic: "Slow", body: [1]))
        var deliveries: [ConsumedMessage] = []
        for await message in consumer.messages {
            deliveries.append(message)
            // The first delivery is never answered; the copy that comes back is.
            if message.reconsumeTimes > 0 {
                consumer.ack(message.handle, success: true)
                break
            }
        }
        XCTAssertEqual(deliveries.map(\.reconsumeTimes), [0, 1])
        consumer.ack(deliveries[0].handle, success: true)  // too late: ignored
        XCTAssertEqual(consumer.inFlightCount, 0)
        await consumer.stop()
        await producer.shutdown()
        try await broker.shutdown()
    }

    func testANamespaceIsOnTheWireButNotInWhatTheApplicationSees() async throws {
        let broker = try await startBroker { $0.topics = ["ns%Scoped": 2] }
        let producer = Producer(configuration: ProducerConfiguration(
            client: ClientConfiguration(nameServers: [broker.nameServerAddress], namespace: "ns"), group: "PG"))
        try await producer.start()
        let sent = try await producer.send(OutgoingMessage(topic: "Scoped", body: [3]))
        XCTAssertEqual(sent.topic, "Scoped")
        let stored = try await broker.messages(topic: "ns%Scoped")
        XCTAssertEqual(stored.count, 1)

        var configuration = consumerConfiguration(broker, clientID: "A", topic: "Scoped", group: "NG")
        configuration.client.namespace = "ns"
        let consumer = PushConsumer(configuration: configuration)
        try await consumer.start()
        var received: ConsumedMessage?
        for await message in consumer.messages {
            received = message
            consumer.ack(message.handle, success: true)
            break
        }
        XCTAssertEqual(received?.topic, "Scoped")
        XCTAssertEqual(received?.consumerGroup, "NG")
        XCTAssertEqual(received?.messageID, sent.messageID, "the producer's UNIQ_KEY")
        XCTAssertEqual(received?.offsetMessageID, sent.offsetMessageID, "the broker's store host + offset id")
        let consumerIDs = try await broker.consumerIDs(group: "ns%NG")
        XCTAssertEqual(consumerIDs, ["A"])
        await consumer.stop()
        await producer.shutdown()
        try await broker.shutdown()
    }

    func testConsumptionAndSendingSurviveDroppedConnections() async throws {
        let broker = try await startBroker { $0.topics = ["Resilient": 2] }
        let producer = try await producer(broker)
        let consumer = PushConsumer(configuration: consumerConfiguration(broker, clientID: "A", topic: "Resilient"))
        try await consumer.start()
        let recorder = Recorder()
        let task = recorder.run(consumer, name: "A")
        try await sendNumbered(producer, topic: "Resilient", range: 0..<100)
        try await eventually("first hundred") { recorder.distinct == 100 }

        try await broker.dropAllConnections()
        // The producer reconnects on its next send; the consumer's pulls fail, back off and reconnect.
        try await sendNumbered(producer, topic: "Resilient", range: 100..<200)
        try await eventually("second hundred after the drop") { recorder.distinct == 200 }
        XCTAssertEqual(recorder.total, 200)
        await consumer.stop()
        await task.value
        await producer.shutdown()
        try await broker.shutdown()
    }

    func testABrokerRefusingConnectionsIsUnreachableUntilItAcceptsAgain() async throws {
        let broker = try await startBroker { $0.topics = ["Flaky": 1] }
        let producer = try await producer(broker)
        _ = try await producer.send(OutgoingMessage(topic: "Flaky", body: [1]))
        try await broker.setRefusingConnections(true)
        try await broker.dropAllConnections()
        do {
            _ = try await producer.send(OutgoingMessage(topic: "Flaky", body: [2]))
            XCTFail("expected the send to fail")
        } catch RocketMQError.unreachable {
        } catch RocketMQError.connectionClosed {
        }
        try await broker.setRefusingConnections(false)
        try await eventually("sends succeed again after the back-off") {
            (try? await producer.send(OutgoingMessage(topic: "Flaky", body: [3]))) != nil
        }
        let stored = try await broker.messages(topic: "Flaky").map(\.body)
        XCTAssertEqual(stored.first, [1])
        XCTAssertEqual(stored.last, [3])
        XCTAssertFalse(stored.contains([2]))
        await producer.shutdown()
        try await broker.shutdown()
    }

    func testAnUnknownTopicIsCreatedFromTheTemplateOrReportedAsNotFound() async throws {
        let creating = try await startBroker()
        let producer = try await producer(creating)
        let sent = try await producer.send(OutgoingMessage(topic: "BrandNew", body: [1]))
        XCTAssertLessThan(sent.queueId, 4, "auto-created topics get at most 4 queues")
        let created = try await creating.messages(topic: "BrandNew")
        XCTAssertEqual(created.count, 1)
        await producer.shutdown()
        try await creating.shutdown()

        let strict = try await startBroker { $0.autoCreateTopics = false }
        let refused = try await self.producer(strict)
        do {
            _ = try await refused.send(OutgoingMessage(topic: "Missing", body: [1]))
            XCTFail("expected topicNotFound")
        } catch RocketMQError.topicNotFound(let topic, _) {
            XCTAssertEqual(topic, "Missing")
        }
        await refused.shutdown()
        try await strict.shutdown()
    }

    func testANewGroupStartsWhereConsumeFromWhereSaysOnAQueueWithHistory() async throws {
        let broker = try await startBroker { $0.topics = ["History": 1] }
        let producer = try await producer(broker)
        try await sendNumbered(producer, topic: "History", range: 0..<5)
        // Old messages expired: the queue is no longer "young", so a new group has no stored offset.
        try await broker.expireMessages(topic: "History", queueId: 0, before: 2)

        var fromLast = consumerConfiguration(broker, clientID: "A", topic: "History", group: "FromLast")
        fromLast.consumeFromWhere = .lastOffset
        let last = PushConsumer(configuration: fromLast)
        try await last.start()
        _ = try await producer.send(OutgoingMessage(topic: "History", body: Array("fresh".utf8)))
        var lastBodies: [String] = []
        for await message in last.messages {
            lastBodies.append(String(decoding: message.body, as: UTF8.self))
            last.ack(message.handle, success: true)
            break
        }
        XCTAssertEqual(lastBodies, ["fresh"], "a new group starts at the end")
        await last.stop()

        // From the first offset: offset 0 is gone, the broker answers OFFSET_MOVED and the consumer
        // goes on from the oldest message still there.
        let first = PushConsumer(configuration: consumerConfiguration(broker, clientID: "B", topic: "History", group: "FromFirst"))
        try await first.start()
        var firstOffsets: [Int64] = []
        for await message in first.messages {
            firstOffsets.append(message.queueOffset)
            first.ack(message.handle, success: true)
            if firstOffsets.count == 4 { break }
        }
        XCTAssertEqual(firstOffsets, [2, 3, 4, 5])
        await first.stop()
        await producer.shutdown()
        try await broker.shutdown()
    }

    func testOnlySubscribedTagsAreDeliveredAndTheCommitPassesTheOthers() async throws {
        let broker = try await startBroker { $0.topics = ["Tagged": 1] }
        for (index, tag) in ["TagA", "TagC", "TagB", "TagC"].enumerated() {
            try await broker.publish(topic: "Tagged", body: Array("\(index)".utf8), tags: tag, properties: ["traceparent": "t\(index)"])
        }
        var configuration = consumerConfiguration(broker, clientID: "A", topic: "Tagged")
        configuration.subscriptions = [Subscription(topic: "Tagged", expression: "TagA || TagB")]
        let consumer = PushConsumer(configuration: configuration)
        try await consumer.start()
        var received: [ConsumedMessage] = []
        for await message in consumer.messages {
            received.append(message)
            consumer.ack(message.handle, success: true)
            if received.count == 2 { break }
        }
        XCTAssertEqual(received.map(\.tags), ["TagA", "TagB"])
        XCTAssertEqual(received.map(\.subscriptionExpression), ["TagA || TagB", "TagA || TagB"])
        XCTAssertEqual(received.first?.userProperties, ["traceparent": "t0"])
        XCTAssertEqual(received.first?.brokerName, broker.brokerName)
        try await eventually("the commit passes the filtered-out messages") {
            await consumer.persistOffsets()
            return try await broker.consumerOffset(group: "G", topic: "Tagged", queueId: 0) == 4
        }
        await consumer.stop()
        try await broker.shutdown()
    }

    func testAnUnreachableBrokerIsReportedAfterRetries() async throws {
        let port = try await closedPort()
        let producer = Producer(configuration: ProducerConfiguration(
            client: ClientConfiguration(nameServers: ["127.0.0.1:\(port)"], retries: 1, connectTimeout: .seconds(1))))
        try await producer.start()
        do {
            _ = try await producer.send(OutgoingMessage(topic: "T", body: [1]))
            XCTFail("expected unreachable")
        } catch RocketMQError.unreachable {}
        await producer.shutdown()
    }

    func testAProducerIsKnownToTheBrokerByItsHeartbeatsUntilItShutsDown() async throws {
        let broker = try await startBroker()
        let warnings = WarningLog()
        let producer = Producer(
            configuration: ProducerConfiguration(
                client: ClientConfiguration(nameServers: [broker.nameServerAddress], clientID: "P1", heartbeatInterval: .milliseconds(50)),
                group: "PG"),
            logger: Logger(label: "producer") { _ in warnings })
        try await producer.start()
        let beforeSending = try await broker.producerIDs(group: "PG")
        XCTAssertEqual(beforeSending, [], "no broker is known before the first message")
        _ = try await producer.send(OutgoingMessage(topic: "T", body: [1]))
        let deadline = NIODeadline.now() + .seconds(10)
        var heartbeats = 0
        while heartbeats < 3 && NIODeadline.now() < deadline {
            try await Task.sleep(nanoseconds: 5_000_000)
            heartbeats = try await broker.requestCount(.heartBeat)
        }
        XCTAssertGreaterThanOrEqual(heartbeats, 3, "one on the first message, then one per interval")
        let registered = try await broker.producerIDs(group: "PG")
        XCTAssertEqual(registered, ["P1"])
        await producer.shutdown()
        let afterShutdown = try await broker.producerIDs(group: "PG")
        XCTAssertEqual(afterShutdown, [], "unregistered at shutdown")
        let warningsAtShutdown = warnings.messages
        try await Task.sleep(nanoseconds: 200_000_000)  // four intervals: a timer left running would try again
        XCTAssertEqual(warnings.messages, warningsAtShutdown, "no heartbeat is tried after shutdown")
        try await broker.shutdown()
    }
}

/// Keeps the messages of warnings and worse.
private final class WarningLog: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var logged: [String] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .warning

    var messages: [String] { lock.withLock { logged } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lock.withLock { logged.append(event.message.description) }
    }
}
