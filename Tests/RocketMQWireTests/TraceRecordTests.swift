import RocketMQWire
import XCTest

/// Trace records byte for byte as the Java client's `TraceDataEncoder` writes them: fields ended
/// by U+0001, records by U+0002, in its field order (docs/protocol-remoting.md §11.1).
final class TraceRecordTests: XCTestCase {
    /// Joins Java's fields with its separators, so each expected string reads as the Java layout.
    private func javaLayout(_ fields: [String], fieldAfterLast: Bool = false) -> String {
        fields.joined(separator: "\u{1}") + (fieldAfterLast ? "\u{1}" : "") + "\u{2}"
    }

    private let pub = TraceRecord.Pub(
        timestamp: 1_733_450_000_123, regionID: "DefaultRegion", group: "orders-producer", topic: "orders",
        messageID: "7F00000100012A9F0000000000000001", tags: "tagA", keys: "k1 k2", storeHost: "10.0.0.5:10911",
        bodyLength: 7, costMillis: 3, messageType: .normal, offsetMessageID: "0A00000500002A9F0000000000000A10", success: true)

    func testAPubRecordHasFourteenFieldsInTheJavaOrder() {
        XCTAssertEqual(TraceRecord.pub(pub).encoded, javaLayout([
            "Pub", "1733450000123", "DefaultRegion", "orders-producer", "orders", "7F00000100012A9F0000000000000001", "tagA", "k1 k2",
            "10.0.0.5:10911", "7", "3", "0", "0A00000500002A9F0000000000000A10", "true"]))
        XCTAssertEqual(Array(TraceRecord.pub(pub).encoded.utf8.prefix(5)), [0x50, 0x75, 0x62, 0x01, 0x31], "Pub, then U+0001")
        XCTAssertEqual(TraceRecord.pub(pub).encoded.utf8.last, 0x02)
    }

    func testUnsetTagsAndKeysAreWrittenAsJavaWritesANullString() {
        var untagged = pub
        untagged.tags = nil
        untagged.keys = nil
        untagged.messageType = .delay
        untagged.success = false
        let text = TraceRecord.pub(untagged).encoded
        XCTAssertTrue(text.contains("orders\u{1}7F00000100012A9F0000000000000001\u{1}null\u{1}null\u{1}10.0.0.5:10911"), text)
        XCTAssertTrue(text.hasSuffix("\u{1}3\u{1}3\u{1}0A00000500002A9F0000000000000A10\u{1}false\u{2}"), text)
        XCTAssertEqual(try TraceRecord.decodeAll(text), [.pub(untagged)])
        XCTAssertEqual(TraceRecord.pub(untagged).indexKeys, ["7F00000100012A9F0000000000000001"], "no key \"null\"")
    }

    func testASubBeforeRecordHasEightFields() {
        let record = TraceRecord.subBefore(.init(timestamp: 1_733_450_000_200, regionID: "DefaultRegion", group: "orders-app",
                                                 requestID: "7F0000010001B00B0000000000000002", messageID: "7F00000100012A9F0000000000000001",
                                                 retryTimes: 2, keys: "k1 k2"))
        XCTAssertEqual(record.encoded, javaLayout([
            "SubBefore", "1733450000200", "DefaultRegion", "orders-app", "7F0000010001B00B0000000000000002",
            "7F00000100012A9F0000000000000001", "2", "k1 k2"]))
        XCTAssertEqual(try TraceRecord.decodeAll(record.encoded), [record])
    }

    func testASubAfterRecordEndsWithTheTimestampAndGroupAfterTheContextCode() {
        let record = TraceRecord.subAfter(.init(requestID: "7F0000010001B00B0000000000000002", messageID: "7F00000100012A9F0000000000000001",
                                                costMillis: 12, success: false, keys: nil, result: .failed,
                                                timestamp: 1_733_450_000_212, group: "orders-app"))
        XCTAssertEqual(record.encoded, javaLayout([
            "SubAfter", "7F0000010001B00B0000000000000002", "7F00000100012A9F0000000000000001", "12", "false", "null", "4",
            "1733450000212", "orders-app"]))
        XCTAssertEqual(try TraceRecord.decodeAll(record.encoded), [record])
    }

    func testTheCloudLayoutOfSubAfterStopsAfterTheContextCode() throws {
        let text = javaLayout(["SubAfter", "R1", "M1", "5", "true", "k", "0"], fieldAfterLast: true)
        let record = TraceRecord.subAfter(.init(requestID: "R1", messageID: "M1", costMillis: 5, success: true, keys: "k", result: .success,
                                                timestamp: nil, group: nil))
        XCTAssertEqual(record.encoded, text)
        XCTAssertEqual(try TraceRecord.decodeAll(text), [record])
    }

    func testOneBodyHoldsManyRecordsAndUnknownTypesAreSkipped() throws {
        let endTransaction = javaLayout(["EndTransaction", "1", "DefaultRegion", "g", "t", "M9", "null", "null", "h:1", "1", "T", "COMMIT_MESSAGE", "false"])
        let subAfter = TraceRecord.subAfter(.init(requestID: "R", messageID: pub.messageID, costMillis: 1, success: true, keys: "k1 k2",
                                                  result: .success, timestamp: 5, group: "orders-app"))
        let body = TraceRecord.pub(pub).encoded + endTransaction + subAfter.encoded
        XCTAssertEqual(try TraceRecord.decodeAll(body), [.pub(pub), subAfter])
    }

    func testOlderPubLayoutsDecode() throws {
        // Thirteen fields: no offset id; fifteen: a client host after the success flag.
        let thirteen = javaLayout(["Pub", "1", "R", "g", "t", "M", "null", "null", "h:1", "4", "2", "0", "true"])
        let fifteen = javaLayout(["Pub", "1", "R", "g", "t", "M", "tag", "key", "h:1", "4", "2", "4", "OFF", "TRUE", "10.0.0.9"])
        guard case .pub(let old) = try TraceRecord.decodeAll(thirteen).first,
              case .pub(let newer) = try TraceRecord.decodeAll(fifteen).first else { return XCTFail("both decode as Pub") }
        XCTAssertEqual(old.offsetMessageID, "")
        XCTAssertTrue(old.success)
        XCTAssertEqual(newer.offsetMessageID, "OFF")
        XCTAssertTrue(newer.success, "Java's parseBoolean ignores case")
        XCTAssertEqual(newer.clientHost, "10.0.0.9")
        XCTAssertEqual(newer.messageType, .order)
    }

    func testTheIndexKeysAreTheMessageIDThenEachKey() {
        XCTAssertEqual(TraceRecord.pub(pub).indexKeys, ["7F00000100012A9F0000000000000001", "k1", "k2"])
    }

    func testMalformedRecordsNameTheirProblem() {
        XCTAssertThrowsError(try TraceRecord.decodeAll(javaLayout(["Pub", "1", "R"]))) { error in
            XCTAssertEqual(error as? TraceRecord.Failure, .tooFewFields(type: "Pub", count: 3, minimum: 13))
        }
        XCTAssertThrowsError(try TraceRecord.decodeAll(javaLayout(["SubBefore", "soon", "R", "g", "r", "m", "0", "k"]))) { error in
            XCTAssertEqual(error as? TraceRecord.Failure, .invalidField(type: "SubBefore", index: 1, value: "soon"))
        }
        XCTAssertThrowsError(try TraceRecord.decodeAll(javaLayout(["SubAfter", "r", "m", "1", "true", "k", "9", "1", "g"]))) { error in
            XCTAssertEqual(error as? TraceRecord.Failure, .invalidField(type: "SubAfter", index: 6, value: "9"))
        }
    }
}
