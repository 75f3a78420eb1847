import NIOConcurrencyHelpers
import NIOCore
import RocketMQWire
import XCTest
@testable import RocketMQClient

/// Producer behaviour frame by frame, against a scripted server that is both name server and broker.
final class ProducerTests: XCTestCase {
    /// Starts a server whose route lists `brokers` broker names all at its own address, answering sends
    /// with `sendAnswer(request, brokerName)`.
    private func startServer(
        brokers: [String] = ["broker-a"],
        sendAnswer: @escaping @Sendable (RemotingCommand) -> RemotingCommand
    ) async throws -> FakeRemotingServer {
        let address = NIOLockedValueBox("")
        let server = try await FakeRemotingServer.start { request in
            switch request.requestCode {
            case .getRouteinfoByTopic:
                let own = address.withLockedValue { $0 }
                return .response(to: request, code: .success, body: routeJSON(brokers: brokers.map { ($0, own, 4) }))
            case .sendMessageV2, .sendBatchMessage:
                return sendAnswer(request)
            default:
                return .response(to: request, code: .success)
            }
        }
        address.withLockedValue { $0 = server.address }
        return server
    }

    private func makeProducer(_ server: FakeRemotingServer, namespace: String? = nil, retries: Int = 2) async throws -> Producer {
        let producer = Producer(configuration: ProducerConfiguration(
            client: ClientConfiguration(nameServers: [server.address], namespace: namespace, retries: retries),
            group: "PG", sendTimeout: .seconds(3)))
        try await producer.start()
        return producer
    }

    @Sendable private static func ok(_ request: RemotingCommand) -> RemotingCommand {
        .response(to: request, code: .success, extFields: [
            "msgId": "7F000001000051AF0000000000000000", "queueId": request.extFields["e"] ?? "0", "queueOffset": "41",
        ])
    }

    func testASendCarriesTheV2HeaderAndPropertiesAndReturnsBothIDs() async throws {
        let server = try await startServer(sendAnswer: Self.ok)
        let producer = try await makeProducer(server, namespace: "ns")
        let result = try await producer.send(OutgoingMessage(
            topic: "orders", body: Array("hello".utf8), tags: "TagA", keys: ["k1", "k2"],
            properties: ["traceparent": "00-abc-01"], delayLevel: 3))
        let send = try XCTUnwrap(server.requests.first { $0.requestCode == .sendMessageV2 })
        XCTAssertEqual(send.extFields["a"], "ns%PG")
        XCTAssertEqual(send.extFields["b"], "ns%orders")
        XCTAssertEqual(send.extFields["f"], "0")
        XCTAssertEqual(send.body, Array("hello".utf8))
        let properties = MessageProperties.decode(send.extFields["i"] ?? "")
        XCTAssertEqual(properties["TAGS"], "TagA")
        XCTAssertEqual(properties["KEYS"], "k1 k2")
        XCTAssertEqual(properties["DELAY"], "3")
        XCTAssertEqual(properties["traceparent"], "00-abc-01")
        let uniqueKey = try XCTUnwrap(properties["UNIQ_KEY"])
        XCTAssertEqual(uniqueKey.count, 32)

        XCTAssertEqual(result.status, .sendOK)
        XCTAssertEqual(result.messageID, uniqueKey)
        XCTAssertEqual(result.offsetMessageID, "7F000001000051AF0000000000000000")
        XCTAssertEqual(result.topic, "orders")
        XCTAssertEqual(result.brokerName, "broker-a")
        XCTAssertEqual(result.queueOffset, 41)
        await producer.shutdown()
        try await server.stop()
    }

    func testLargeBodiesAreZlibCompressedWithTheZlibTypeFlag() async throws {
        let server = try await startServer(sendAnswer: Self.ok)
        let producer = try await makeProducer(server)
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 10_000)
        _ = try await producer.send(OutgoingMessage(topic: "T", body: body))
        let send = try XCTUnwrap(server.requests.first { $0.requestCode == .sendMessageV2 })
        XCTAssertEqual(send.extFields["f"], String(0x301))
        XCTAssertLessThan(send.body.count, body.count)
        XCTAssertEqual(try Compression.inflate(send.body, limit: 1 << 20), body)
        await producer.shutdown()
        try await server.stop()
    }

    func testOversizeBodiesAreRefusedBeforeAnythingIsSent() async throws {
        let server = try await startServer(sendAnswer: Self.ok)
        let producer = try await makeProducer(server)
        do {
            _ = try await producer.send(OutgoingMessage(topic: "T", body: [UInt8](repeating: 1, count: 4 * 1024 * 1024 + 1)))
            XCTFail("expected invalidArgument")
        } catch RocketMQError.invalidArgument(let message) {
            XCTAssertTrue(message.contains("maximum message size"), message)
        }
        XCTAssertTrue(server.requests.isEmpty)
        await producer.shutdown()
        try await server.stop()
    }

    func testARetryableCodeMovesTheNextAttemptToAnotherBroker() async throws {
        let server = try await startServer(brokers: ["broker-a", "broker-b"]) { request in
            request.extFields["n"] == "broker-a"
                ? .response(to: request, code: .serviceNotAvailable, remark: "store not writable") : Self.ok(request)
        }
        let producer = try await makeProducer(server)
        for _ in 0..<4 {
            let result = try await producer.send(OutgoingMessage(topic: "T", body: [1]))
            XCTAssertEqual(result.brokerName, "broker-b")
        }
        await producer.shutdown()
        try await server.stop()
    }

    func testANonRetryableBrokerErrorCarriesItsCodeAndRemark() async throws {
        let server = try await startServer { .response(to: $0, code: .messageIllegal, remark: "properties too long") }
        let producer = try await makeProducer(server)
        do {
            _ = try await producer.send(OutgoingMessage(topic: "T", body: [1]))
            XCTFail("expected a broker error")
        } catch RocketMQError.broker(let code, let remark) {
            XCTAssertEqual(code, .messageIllegal)
            XCTAssertEqual(remark, "properties too long")
        }
        XCTAssertEqual(server.requests.filter { $0.requestCode == .sendMessageV2 }.count, 1, "no retry for code 13")
        await producer.shutdown()
        try await server.stop()
    }

    /// One list, one policy: a user property that names a RocketMQ system property is refused,
    /// naming the key, and nothing is sent (it would forge the message's tag, id or delay).
    func testAUserPropertyNamingASystemPropertyIsRefusedAndNothingIsSent() async throws {
        let server = try await startServer(sendAnswer: Self.ok)
        let producer = try await makeProducer(server)
        for key in ["UNIQ_KEY", "TAGS", "DELAY"] {
            let forged = OutgoingMessage(topic: "T", body: [1], properties: ["traceparent": "t", key: "forged"])
            XCTAssertTrue(OutgoingMessage.isSystemProperty(key))
            do {
                _ = try await producer.send(forged)
                XCTFail("expected invalidArgument for \(key)")
            } catch RocketMQError.invalidArgument(let reason) {
                XCTAssertEqual(reason, "message property \(key): a RocketMQ system property; choose another name")
            }
            do {
                _ = try await producer.sendBatch([OutgoingMessage(topic: "T", body: [2]), forged])
                XCTFail("expected invalidArgument for \(key) in a batch")
            } catch RocketMQError.invalidArgument(let reason) {
                XCTAssertTrue(reason.contains(key), reason)
            }
        }
        XCTAssertFalse(server.requests.contains { $0.requestCode == .sendMessageV2 || $0.requestCode == .sendBatchMessage })
        XCTAssertFalse(OutgoingMessage.isSystemProperty("traceparent"))
        await producer.shutdown()
        try await server.stop()
    }

    func testShardingKeysPinAQueueAndBatchesGoAsOneRequest() async throws {
        let server = try await startServer(sendAnswer: Self.ok)
        let producer = try await makeProducer(server)
        var queues = Set<Int32>()
        for _ in 0..<5 {
            queues.insert(try await producer.send(OutgoingMessage(topic: "T", body: [1], shardingKey: "order-7")).queueId)
        }
        XCTAssertEqual(queues.count, 1)

        let batch = try await producer.sendBatch([
            OutgoingMessage(topic: "T", body: [1], tags: "a"), OutgoingMessage(topic: "T", body: [2], tags: "b"),
        ])
        let request = try XCTUnwrap(server.requests.first { $0.requestCode == .sendBatchMessage })
        XCTAssertEqual(request.extFields["m"], "true")
        let inner = try MessageBatch.decode(request.body)
        XCTAssertEqual(inner.map(\.body), [[1], [2]])
        XCTAssertEqual(inner.map { $0.properties["TAGS"] }, ["a", "b"])
        XCTAssertEqual(batch.messageID.split(separator: ",").count, 2)
        await producer.shutdown()
        try await server.stop()
    }

    func testOnewaySendsCarryTheOnewayBitAndWaitForNothing() async throws {
        let server = try await startServer(sendAnswer: Self.ok)
        let producer = try await makeProducer(server)
        try await producer.sendOneway(OutgoingMessage(topic: "T", body: [9]))
        let deadline = NIODeadline.now() + .seconds(10)
        while !server.requests.contains(where: { $0.requestCode == .sendMessageV2 }) && NIODeadline.now() < deadline {
            await Task.yield()
        }
        let send = try XCTUnwrap(server.requests.first { $0.requestCode == .sendMessageV2 })
        XCTAssertTrue(send.isOneway)
        XCTAssertEqual(send.body, [9])
        await producer.shutdown()
        try await server.stop()
    }

    func testSendingBeforeStartIsRefused() async throws {
        let producer = Producer(configuration: ProducerConfiguration(client: ClientConfiguration(nameServers: ["127.0.0.1:1"])))
        do {
            _ = try await producer.send(OutgoingMessage(topic: "T", body: [1]))
            XCTFail("expected notRunning")
        } catch RocketMQError.notRunning {}
    }

    func testAHeartbeatIntervalThatIsNotPositiveIsRefusedAtStart() async throws {
        for interval in [TimeAmount.zero, .seconds(-1)] {
            let producer = Producer(configuration: ProducerConfiguration(
                client: ClientConfiguration(nameServers: ["127.0.0.1:1"], heartbeatInterval: interval)))
            do {
                try await producer.start()
                XCTFail("expected invalidArgument for \(interval)")
            } catch RocketMQError.invalidArgument(let reason) {
                XCTAssertTrue(reason.contains("heartbeat interval"), reason)
            }
        }
    }
}
