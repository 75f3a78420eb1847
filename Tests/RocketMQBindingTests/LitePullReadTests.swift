import DaprProto
import Foundation
import Logging
import RocketMQClient
import RocketMQTestBroker
import XCTest
@testable import RocketMQBinding

/// The `read` operation in process: `LitePullRead` with a `LitePullConsumer` against the in-memory
/// test broker. It commits past exactly what its answer carries, and a message that can never fit
/// an answer goes to the group's dead-letter queue instead of blocking the queue or vanishing.
final class LitePullReadTests: XCTestCase {
    private let group = "reads-app"
    private let topic = "reads"
    private var broker: RocketMQTestBroker!
    private var consumer: LitePullConsumer!

    override func setUp() async throws {
        var configuration = RocketMQTestBrokerConfiguration()
        configuration.logger.logLevel = .error
        broker = try await RocketMQTestBroker.start(configuration)
        try await broker.createTopic(topic, queueNums: 1)
        var logger = Logger(label: "test")
        logger.logLevel = .error
        consumer = LitePullConsumer(client: ClientConfiguration(nameServers: [broker.nameServerAddress]), group: group,
                                    consumeFromWhere: .firstOffset, logger: logger)
        try await consumer.start()
    }

    override func tearDown() async throws {
        await consumer.shutdown()
        try await broker.shutdown()
    }

    private func read(maxMessages: Int = 32) async throws -> (messages: [[String: Any]], metadata: [String: String], bytes: Int) {
        let component = try BindingMetadata(properties: ["nameServer": broker.nameServerAddress, "topics": topic, "consumerGroup": group])
        let options = try ReadOptions(["maxMessages": "\(maxMessages)"], component: component, maxWaitMillis: 0)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let response = try await LitePullRead(options: options, consumer: consumer, logger: logger).run()
        let messages = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.data)) as? [[String: Any]])
        return (messages, response.metadata, response.encoded().count)
    }

    private func body(_ message: [String: Any]) -> [UInt8] {
        (message["body"] as? String).flatMap { Data(base64Encoded: $0) }.map { Array($0) } ?? []
    }

    private func committed() async throws -> Int64 {
        try await broker.consumerOffset(group: group, topic: topic, queueId: 0) ?? 0
    }

    func testAReadCommitsPastExactlyWhatItsAnswerCarries() async throws {
        // 900 KiB bodies: a pull takes three (under the 3 MiB body budget), but base64 lets only
        // two of them into one answer under daprd's 4 MiB; the third must come again.
        let bodies = (0..<6).map { index in [UInt8](repeating: UInt8(ascii: "a") + UInt8(index), count: 900 * 1024) }
        for body in bodies { try await broker.publish(topic: topic, body: body) }

        var returned: [[UInt8]] = []
        var counts: [Int] = []
        for _ in 0..<10 where returned.count < bodies.count {
            let answer = try await read()
            XCTAssertLessThanOrEqual(answer.bytes, ReadAnswer.limit, "an answer above daprd's limit")
            XCTAssertEqual(answer.metadata["count"], "\(answer.messages.count)")
            XCTAssertGreaterThan(answer.messages.count, 0, "a read made no progress")
            returned += answer.messages.map(body)
            counts.append(answer.messages.count)
            let offset = try await committed()
            XCTAssertEqual(offset, Int64(returned.count), "committed past something the answer did not carry, or short of it")
        }
        XCTAssertEqual(counts.first, 2, "the first answer should hold two of the three pulled messages")
        XCTAssertEqual(returned, bodies, "every message once, in order")
        let last = try await read()
        XCTAssertEqual(last.messages.count, 0)
        XCTAssertEqual(last.metadata["count"], "0")
    }

    func testAMessageThatNeverFitsAnAnswerGoesToTheDeadLetterQueue() async throws {
        // base64 makes 3.2 MiB more than daprd's 4 MiB: it cannot go out in any answer.
        let huge = [UInt8](repeating: UInt8(ascii: "h"), count: 3_200_000)
        try await broker.publish(topic: topic, body: Array("before".utf8))
        let stored = try await broker.publish(topic: topic, body: huge)
        try await broker.publish(topic: topic, body: Array("after".utf8))

        let first = try await read()
        XCTAssertEqual(first.messages.map(body), [Array("before".utf8)], "the huge one is left for its own read")
        XCTAssertNil(first.metadata["deadLettered"])

        let second = try await read()
        XCTAssertEqual(second.messages.count, 0)
        XCTAssertEqual(second.metadata["count"], "0")
        XCTAssertEqual(second.metadata["deadLettered"], "1")
        XCTAssertEqual(second.metadata["deadLetteredMsgIds"], stored.msgId, "the answer names the message it dead-lettered")
        let offsetAfterDLQ = try await committed()
        XCTAssertEqual(offsetAfterDLQ, 2, "the dead-lettered message is committed past")
        let dlq = try await broker.messages(topic: "%DLQ%\(group)")
        XCTAssertEqual(dlq.count, 1, "the message went to the group's dead-letter queue")
        XCTAssertEqual(dlq.first?.body, huge)

        let third = try await read()
        XCTAssertEqual(third.messages.map(body), [Array("after".utf8)], "the queue moves on after the dead letter")
        XCTAssertNil(third.metadata["deadLettered"])
        let offsetAtEnd = try await committed()
        XCTAssertEqual(offsetAtEnd, 3)
    }
}
