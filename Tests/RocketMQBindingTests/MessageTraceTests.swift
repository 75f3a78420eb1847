import DaprComponents
import Foundation
import NIOCore
@testable import RocketMQBinding
import RocketMQWire
import TestSupport
import XCTest

/// `enableTrace`: the component's sends and deliveries written to the trace topic in the Java
/// client's record layout, read back from the test broker; and never in the message path's way.
extension BindingThroughSocketTests {
    /// The records of the trace topic, with each trace message's keys, once `condition` holds for
    /// them or 30 s passed (the dispatcher writes in the background, within half a second).
    private func traceRecords(topic: String = TraceRecord.defaultTopic,
                              until condition: ([TraceRecord]) -> Bool) async throws -> (records: [TraceRecord], keys: Set<String>) {
        let deadline = NIODeadline.now() + .seconds(30)
        while true {
            var records: [TraceRecord] = []
            var keys: Set<String> = []
            for message in try await broker.messages(topic: topic) {
                let body = message.sysFlag & 1 != 0 ? try Compression.inflate(message.body, limit: 1 << 22) : message.body
                records += try TraceRecord.decodeAll(String(decoding: body, as: UTF8.self))
                keys.formUnion((message.properties[MessagePropertyKey.keys] ?? "").split(separator: " ").map(String.init))
            }
            if condition(records) || NIODeadline.now() > deadline { return (records, keys) }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    func testWithTraceOnTheTraceTopicHoldsThePubAndSubAfterRecordsOfACreatedAndDeliveredMessage() async throws {
        try await start()
        let result = try scenario("roundtrip", ["instance": "traced", "properties": properties(["enableTrace": "true"])])
        let created = try XCTUnwrap(result["create_metadata"] as? [String: String])
        let id = try XCTUnwrap(created["msgId"])
        let (records, keys) = try await traceRecords { records in
            records.contains { if case .pub(let r) = $0 { r.messageID == id } else { false } }
                && records.contains { if case .subAfter(let r) = $0 { r.messageID == id } else { false } }
        }
        XCTAssertTrue(keys.contains(id), "queryMsgTraceById finds the trace message by the message id")

        let pub = try XCTUnwrap(records.lazy.compactMap { if case .pub(let r) = $0, r.messageID == id { r } else { nil } }.first, "\(records)")
        XCTAssertEqual(pub.topic, "orders")
        XCTAssertEqual(pub.group, BindingMetadata.defaultProducerGroup)
        XCTAssertEqual(pub.tags, "tagA")
        XCTAssertEqual(pub.keys, "k1 k2")
        XCTAssertEqual(pub.bodyLength, 7, "\\x00hello\\xff")
        XCTAssertEqual(pub.storeHost, broker.brokerAddress)
        XCTAssertEqual(pub.offsetMessageID, created["offsetMsgId"])
        XCTAssertEqual(pub.regionID, "DefaultRegion")
        XCTAssertEqual(pub.messageType, .normal)
        XCTAssertTrue(pub.success)
        XCTAssertGreaterThanOrEqual(pub.costMillis, 0)
        XCTAssertLessThan(abs(pub.timestamp - Int64(Date().timeIntervalSince1970 * 1000)), 300_000, "epoch milliseconds")

        let before = try XCTUnwrap(records.lazy.compactMap { if case .subBefore(let r) = $0, r.messageID == id { r } else { nil } }.first)
        let after = try XCTUnwrap(records.lazy.compactMap { if case .subAfter(let r) = $0, r.messageID == id { r } else { nil } }.first)
        XCTAssertEqual(before.group, "orders-app")
        XCTAssertEqual(before.retryTimes, 0)
        XCTAssertEqual(before.keys, "k1 k2")
        XCTAssertEqual(after.requestID, before.requestID, "the SubAfter answers its SubBefore")
        XCTAssertTrue(after.success)
        XCTAssertEqual(after.result, .success)
        XCTAssertEqual(after.group, "orders-app")
        XCTAssertEqual(after.keys, "k1 k2")
        XCTAssertGreaterThanOrEqual(after.timestamp ?? 0, before.timestamp)
        XCTAssertGreaterThanOrEqual(pub.timestamp + Int64(pub.costMillis), pub.timestamp)
        XCTAssertFalse(records.contains { if case .pub(let r) = $0 { r.topic == TraceRecord.defaultTopic } else { false } },
                       "the trace messages themselves are not traced")
    }

    func testAnErrorAckIsTracedAsAFailedConsumption() async throws {
        try await start()
        let client = try startScenario(socket: socket.path, "fail-always", [
            "instance": "traced-failure", "properties": properties(["enableTrace": "true"]), "deliveries": 1])
        defer { client.kill() }
        XCTAssertTrue(client.waitForOutput(timeout: 120) { $0.contains("reconsume_times") }, client.standardError)
        let (records, _) = try await traceRecords { records in
            records.contains { if case .subAfter = $0 { true } else { false } }
        }
        client.closeInput()
        XCTAssertTrue(client.waitForExit(timeout: 30))
        let after = try XCTUnwrap(records.lazy.compactMap { if case .subAfter(let r) = $0 { r } else { nil } }.first, "\(records)")
        let before = try XCTUnwrap(records.lazy.compactMap { if case .subBefore(let r) = $0 { r } else { nil } }.first)
        XCTAssertEqual(after.requestID, before.requestID)
        XCTAssertFalse(after.success, "the application answered with an error")
        XCTAssertEqual(after.result, .failed, "Java's RECONSUME_LATER: context code 4")
        XCTAssertEqual(before.retryTimes, 0)
    }

    func testTheReadOperationWritesASuccessfulSubAfterForEachMessageItReturns() async throws {
        try await start()
        let result = try scenario("read-operation", ["instance": "traced-read", "properties": properties(["enableTrace": "true"])])
        let read = (result["first"] as? [[String: Any]] ?? []) + (result["second"] as? [[String: Any]] ?? [])
        let ids = Set(read.compactMap { $0["msgId"] as? String })
        XCTAssertEqual(ids.count, 7)
        func consumed(_ records: [TraceRecord]) -> [TraceRecord.SubAfter] {
            records.compactMap { if case .subAfter(let r) = $0, ids.contains(r.messageID) { r } else { nil } }
        }
        func published(_ records: [TraceRecord]) -> Set<String> {
            Set(records.compactMap { if case .pub(let r) = $0 { r.messageID } else { nil } })
        }
        let (records, _) = try await traceRecords { consumed($0).count >= 7 && published($0).isSuperset(of: ids) }
        XCTAssertEqual(Set(consumed(records).map(\.messageID)), ids)
        XCTAssertTrue(consumed(records).allSatisfy { $0.success && $0.result == .success && $0.group == "orders-app" })
        XCTAssertTrue(published(records).isSuperset(of: ids), "and a Pub for each create")
    }

    func testWithTraceOffNothingIsWrittenToTheTraceTopic() async throws {
        try await start()
        let result = try scenario("roundtrip", ["instance": "untraced", "properties": properties()])
        XCTAssertNotNil((result["create_metadata"] as? [String: String])?["msgId"])
        // Nothing would be written later either: no trace producer exists without enableTrace.
        let sends = try await broker.requestCount(.sendMessageV2)
        XCTAssertEqual(sends, 7, "the seven messages of the scenario, and no trace message")
        let traceTopicExists = try await broker.topicExists(TraceRecord.defaultTopic)
        XCTAssertFalse(traceTopicExists)
    }

    func testATraceTopicThatRefusesWritesFailsNoCreateAndNoDelivery() async throws {
        try await start()
        try await broker.createTopic("refusing-trace", perm: Permission.read)
        let result = try scenario("roundtrip", ["instance": "traced", "properties": properties(["enableTrace": "true", "traceTopic": "refusing-trace"])])
        XCTAssertNotNil((result["create_metadata"] as? [String: String])?["msgId"], "create answered OK")
        XCTAssertEqual(result["following"] as? String, "last", "every delivery went on")
        let stored = try await broker.messages(topic: "refusing-trace")
        XCTAssertEqual(stored.count, 0)
    }
}

/// `enableTrace` and `traceTopic` in the component metadata.
final class MessageTraceMetadataTests: XCTestCase {
    private func parse(_ extra: [String: String]) throws -> BindingMetadata {
        try BindingMetadata(properties: ["topics": "orders", "nameServer": "127.0.0.1:9876"].merging(extra) { $1 })
    }

    private func assertInvalid(_ extra: [String: String], mentions words: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(extra), file: file, line: line) { error in
            guard let error = error as? ComponentError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertEqual(error.kind, .invalidArgument, file: file, line: line)
            for word in words { XCTAssertTrue(error.message.contains(word), "\(error.message) lacks \(word)", file: file, line: line) }
        }
    }

    func testTraceIsOffByDefaultAndGoesToTheBrokersTraceTopic() throws {
        let metadata = try parse([:])
        XCTAssertFalse(metadata.enableTrace)
        XCTAssertEqual(metadata.traceTopic, "RMQ_SYS_TRACE_TOPIC")
        let traced = try parse(["EnableTrace": "TRUE", "traceTopic": "my-trace"])
        XCTAssertTrue(traced.enableTrace)
        XCTAssertEqual(traced.traceTopic, "my-trace")
    }

    func testBadTraceValuesNameTheirField() {
        assertInvalid(["enableTrace": "sometimes"], mentions: ["field enableTrace", "sometimes", "true or false"])
        assertInvalid(["traceTopic": "trace topic!"], mentions: ["field traceTopic", "trace topic!"])
        assertInvalid(["traceTopic": String(repeating: "t", count: 128)], mentions: ["field traceTopic"])
    }

    func testTraceIsRefusedWithTheHTTPAccessProtocol() throws {
        let http = ["accessProto": "http", "endpoint": "http://mq.example.com", "accessKey": "a", "secretKey": "s"]
        assertInvalid(http.merging(["enableTrace": "true"]) { $1 }, mentions: ["field enableTrace", "accessProto http", "accessProto tcp"])
        XCTAssertFalse(try parse(http.merging(["enableTrace": "false"]) { $1 }).enableTrace)
    }
}
