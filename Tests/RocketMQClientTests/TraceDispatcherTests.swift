import Foundation
import NIOCore
import RocketMQTestBroker
import RocketMQWire
import XCTest
@testable import RocketMQClient

/// Message-trace batching (a value type, no sockets) and the dispatcher that writes the batches
/// to the trace topic of the test broker.
final class TraceDispatcherTests: XCTestCase {
    private func record(_ number: Int, keys: String? = "order-\(0)") -> TraceRecord {
        .pub(TraceRecord.Pub(timestamp: 1_733_450_000_000 + Int64(number), regionID: "DefaultRegion", group: "PG", topic: "orders",
                             messageID: String(format: "7F000001000100000000000000%06X", number), tags: "t", keys: keys,
                             storeHost: "127.0.0.1:10911", bodyLength: 5, costMillis: 1, messageType: .normal,
                             offsetMessageID: "7F00000100002A9F00000000000000AA", success: true))
    }

    // MARK: - Batching policy

    func testRecordsAreCutIntoMessagesOfAtMostMaxRecords() {
        let records = (0..<250).map { record($0) }
        let batches = TraceBatchPolicy(maxRecords: 100).batches(records)
        XCTAssertEqual(batches.map(\.recordCount), [100, 100, 50])
        XCTAssertEqual(batches.map(\.body).joined(), records.map(\.encoded).joined(), "every record once, in order")
        XCTAssertEqual(batches[0].keys.count, 101, "each message id, and the shared key once")
        XCTAssertEqual(batches[0].keys.first, records[0].messageID)
        XCTAssertTrue(batches[2].keys.contains("order-0"), "a key shared across messages is in each of them")
    }

    func testByDefaultTheKeysPropertyCutsFirstAtAboutFourHundredAndEightyMessageIDs() {
        let batches = TraceBatchPolicy().batches((0..<1000).map { record($0, keys: nil) })
        XCTAssertEqual(batches.map(\.recordCount), [484, 484, 32], "16 000 key bytes / 33 bytes per message id and its space")
    }

    func testABodyLimitCutsEarlierAndAnOversizedRecordStillGoesAlone() {
        let one = record(1).encoded.utf8.count
        let policy = TraceBatchPolicy(maxBodyBytes: one * 2 + 1)
        XCTAssertEqual(policy.batches((0..<5).map { record($0) }).map(\.recordCount), [2, 2, 1])
        XCTAssertEqual(TraceBatchPolicy(maxBodyBytes: 10).batches([record(1), record(2)]).map(\.recordCount), [1, 1])
    }

    func testManyLongKeysCutABatchBeforeTheKeysPropertyOutgrowsTheBroker() {
        let longKeys = (0..<20).map { "k\($0)-" + String(repeating: "x", count: 90) }.joined(separator: " ")
        let records = (0..<40).map { n in record(n, keys: longKeys.replacingOccurrences(of: "k", with: "k\(n)_")) }
        let batches = TraceBatchPolicy().batches(records)
        XCTAssertGreaterThan(batches.count, 1)
        for batch in batches {
            XCTAssertLessThanOrEqual(batch.keys.reduce(0) { $0 + $1.utf8.count + 1 }, 16_000)
        }
        XCTAssertEqual(batches.map(\.recordCount).reduce(0, +), 40)
    }

    func testABatchIsDueWhenFullOrWhenItsOldestRecordWaitedLongEnough() {
        let policy = TraceBatchPolicy()
        XCTAssertFalse(policy.isDue(pending: 0, oldestWaited: .seconds(9)))
        XCTAssertFalse(policy.isDue(pending: 999, oldestWaited: .milliseconds(499)))
        XCTAssertTrue(policy.isDue(pending: 1000, oldestWaited: .zero))
        XCTAssertTrue(policy.isDue(pending: 1, oldestWaited: .milliseconds(500)))
    }

    // MARK: - Dispatcher

    func testAFullBufferDropsAndCountsInsteadOfWaiting() async {
        let dispatcher = TraceDispatcher(client: ClientConfiguration(nameServers: ["127.0.0.1:1"]), group: "PG", role: .produce, capacity: 3)
        XCTAssertEqual((0..<5).map { dispatcher.append(record($0)) }, [true, true, true, false, false])
        XCTAssertEqual(dispatcher.counts.dropped, 2)
        XCTAssertTrue(dispatcher.producerGroup.hasPrefix("_INNER_TRACE_PRODUCER-PG-PRODUCE-"), dispatcher.producerGroup)
        await dispatcher.stop()
        XCTAssertFalse(dispatcher.append(record(9)), "refused once stopping")
    }

    func testRecordsReachTheTraceTopicInBatchesKeyedByMessageID() async throws {
        let broker = try await RocketMQTestBroker.start()
        let dispatcher = TraceDispatcher(client: ClientConfiguration(nameServers: [broker.nameServerAddress], namespace: "ns"),
                                         group: "PG", role: .produce, policy: TraceBatchPolicy(maxRecords: 100))
        dispatcher.start()
        let records = (0..<250).map { record($0) }
        for record in records { dispatcher.append(record) }
        var stored: [StoredMessage] = []
        var decoded: [TraceRecord] = []
        let deadline = NIODeadline.now() + .seconds(30)
        while decoded.count < records.count, NIODeadline.now() < deadline {
            try await Task.sleep(nanoseconds: 10_000_000)
            stored = try await broker.messages(topic: TraceRecord.defaultTopic)
            decoded = try stored.flatMap { message -> [TraceRecord] in
                let body = message.sysFlag & 1 != 0 ? try Compression.inflate(message.body, limit: 1 << 22) : message.body
                let inMessage = try TraceRecord.decodeAll(String(decoding: body, as: UTF8.self))
                let keys = Set((message.properties[MessagePropertyKey.keys] ?? "").split(separator: " ").map(String.init))
                XCTAssertTrue(inMessage.allSatisfy { keys.contains($0.messageID) }, "the trace message is found by each message id it holds")
                return inMessage
            }
        }
        await dispatcher.stop()
        XCTAssertGreaterThanOrEqual(stored.count, 3, "at most 100 records a message; under the plain topic name, without namespace")
        XCTAssertLessThan(stored.count, 10, "batched, not one message per record")
        XCTAssertEqual(Set(decoded.map(\.messageID)), Set(records.map(\.messageID)))
        XCTAssertEqual(decoded.count, 250)
        XCTAssertEqual(dispatcher.counts, TraceDispatcher.Counts(written: 250, dropped: 0, failed: 0))
        try await broker.shutdown()
    }

    func testATraceTopicThatRefusesWritesCountsFailuresAndStopsPromptly() async throws {
        let broker = try await RocketMQTestBroker.start()
        try await broker.createTopic(TraceRecord.defaultTopic, perm: Permission.read)
        let dispatcher = TraceDispatcher(client: ClientConfiguration(nameServers: [broker.nameServerAddress]), group: "PG", role: .consume)
        dispatcher.start()
        for n in 0..<5 { dispatcher.append(record(n)) }
        let started = ContinuousClock.now
        await dispatcher.stop(timeout: .seconds(10))
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(10))
        XCTAssertEqual(dispatcher.counts.failed, 5)
        XCTAssertEqual(dispatcher.counts.written, 0)
        let stored = try await broker.messages(topic: TraceRecord.defaultTopic)
        XCTAssertEqual(stored.count, 0)
        try await broker.shutdown()
    }
}
