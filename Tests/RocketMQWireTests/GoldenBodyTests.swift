import TestSupport
import NIOCore
import RocketMQWire
import XCTest

/// The bodies inside the captured frames: pulled messages, batches, compressed sends, routes, send results.
final class GoldenBodyTests: XCTestCase {
    func testEveryPullBodyDecodesIntoExactlyTheRecordedMessages() throws {
        var checked = 0
        var recorded = 0
        var compressed = 0
        for record in try GoldenCorpus.allRecords() {
            guard let expected = record.fields["decoded_messages"] as? [[String: Any]] else { continue }
            let command = try RemotingCommand.decode(frame: record.frame)
            let messages = try StoredMessageDecoder.decodeAll(command.body)
            XCTAssertEqual(messages.count, expected.count, record.name)
            recorded += expected.count
            for (message, want) in zip(messages, expected) {
                let name = "\(record.name) offset \(message.queueOffset)"
                XCTAssertEqual(message.msgId, want["msgId"] as? String, name)
                XCTAssertEqual(message.offsetMsgId, want["offsetMsgId"] as? String, name)
                XCTAssertEqual(message.topic, want["topic"] as? String, name)
                XCTAssertEqual(Int(message.queueId), want["queueId"] as? Int, name)
                XCTAssertEqual(Int(message.queueOffset), want["queueOffset"] as? Int, name)
                XCTAssertEqual(Int(message.commitLogOffset), want["commitLogOffset"] as? Int, name)
                XCTAssertEqual(Int(message.storeSize), want["storeSize"] as? Int, name)
                XCTAssertEqual(Int(message.bodyCRC), want["bodyCRC"] as? Int, name)
                XCTAssertEqual(Int(message.flag), want["flag"] as? Int, name)
                XCTAssertEqual(Int(message.sysFlag), want["sysFlag"] as? Int, name)
                XCTAssertEqual(Int(message.bornTimestamp), want["bornTimestamp"] as? Int, name)
                XCTAssertEqual(message.bornHost.description, want["bornHost"] as? String, name)
                XCTAssertEqual(Int(message.storeTimestamp), want["storeTimestamp"] as? Int, name)
                XCTAssertEqual(message.storeHost.description, want["storeHost"] as? String, name)
                XCTAssertEqual(Int(message.reconsumeTimes), want["reconsumeTimes"] as? Int, name)
                XCTAssertEqual(Int(message.preparedTransactionOffset), want["preparedTransactionOffset"] as? Int, name)
                XCTAssertEqual(message.tags, want["tags"] as? String, name)
                XCTAssertEqual(message.keys, want["keys"] as? String, name)
                XCTAssertEqual(message.properties, want["properties"] as? [String: String], name)
                XCTAssertEqual(message.body.count, want["body_len"] as? Int, name)
                if let hex = want["body_hex"] as? String, message.body.count <= 4096 {
                    XCTAssertEqual(hexString(message.body), hex, name)
                }
                if let storedLength = want["stored_body_len"] as? Int {
                    XCTAssertEqual(message.storedBody.count, storedLength, name)
                    XCTAssertTrue(message.isCompressed, name)
                    XCTAssertEqual(Compression.bodyCRC(message.storedBody), message.bodyCRC, name)
                    compressed += 1
                }
                checked += 1
            }
            // The encoder reproduces the frame body byte for byte.
            XCTAssertEqual(try StoredMessageEncoder.encodeAll(messages), command.body, record.name)
        }
        XCTAssertEqual(checked, recorded)
        XCTAssertGreaterThan(checked, 30)
        XCTAssertGreaterThan(compressed, 0)
    }

    func testTheCompressedSendInflatesToTheRecordedText() throws {
        let records = try GoldenCorpus.allRecords().filter { $0.fields["body_compressed"] != nil }
        XCTAssertEqual(records.count, 1)
        for record in records {
            let info = try XCTUnwrap(record.fields["body_compressed"] as? [String: Any])
            let command = try RemotingCommand.decode(frame: record.frame)
            let header = try SendMessageRequestHeader(command: command)
            XCTAssertEqual(Int(header.sysFlag), info["sysFlag"] as? Int)
            XCTAssertEqual(header.sysFlag & MessageSysFlag.compressionTypeMask, MessageSysFlag.compressionZlibType)
            XCTAssertEqual(Array(command.body.prefix(2)), [0x78, 0x5E], "zlib level 5 header")
            let inflated = try Compression.inflate(command.body, limit: 1 << 20)
            XCTAssertEqual(inflated.count, info["decompressed_len"] as? Int)
            XCTAssertEqual(String(decoding: inflated, as: UTF8.self), info["decompressed_text"] as? String)
            XCTAssertThrowsError(try Compression.inflate(command.body, limit: 4999)) {
                XCTAssertEqual($0 as? Compression.Failure, .outputLimitExceeded(limit: 4999))
            }
            // Our deflate at level 5 makes the Java client's bytes exactly.
            XCTAssertEqual(try Compression.deflate(inflated), command.body)
        }
    }

    func testTheBatchBodyDecodesIntoTheRecordedBatchAndReencodes() throws {
        let records = try GoldenCorpus.allRecords().filter { $0.fields["decoded_batch"] != nil }
        XCTAssertEqual(records.count, 1)
        for record in records {
            let command = try RemotingCommand.decode(frame: record.frame)
            let expected = try XCTUnwrap(record.fields["decoded_batch"] as? [[String: Any]])
            let batch = try MessageBatch.decode(command.body)
            XCTAssertEqual(batch.count, expected.count)
            for (message, want) in zip(batch, expected) {
                XCTAssertEqual(Int(message.flag), want["flag"] as? Int)
                XCTAssertEqual(message.properties, want["properties"] as? [String: String])
                XCTAssertEqual(hexString(message.body), want["body_hex"] as? String)
            }
            XCTAssertEqual(try MessageBatch.encode(batch), command.body)
            let header = try SendMessageRequestHeader(command: command)
            XCTAssertEqual(header.batch, true)
            XCTAssertEqual(header.properties, "WAIT\u{1}true")
        }
    }

    func testEveryRouteBodyParsesAndReencodesInItsOwnStyle() throws {
        var standard = 0
        var bare = 0
        for record in try GoldenCorpus.allRecords() where record.requestCode == 105 && record.code == 0 {
            let route = try TopicRouteData(body: record.body)
            XCTAssertFalse(route.queueDatas.isEmpty, record.name)
            // The main pair's broker, or the ACL pair's (producer-acl.jsonl).
            XCTAssertTrue(["127.0.0.1:10961", "127.0.0.1:10921"].contains(route.brokerDatas.first?.masterAddress ?? ""), record.name)
            let text = String(decoding: record.body, as: UTF8.self)
            let isStandard = text.contains(#"{"0":"#)
            XCTAssertEqual(route.encoded(standardJSON: isStandard), record.body, record.name)
            if isStandard { standard += 1 } else { bare += 1 }
            if let delivered = record.deliveredBody {
                let proxied = try TopicRouteData(body: delivered).brokerDatas.first?.masterAddress ?? ""
                XCTAssertTrue(["127.0.0.1:20961", "127.0.0.1:20921"].contains(proxied), record.name)
            }
        }
        XCTAssertGreaterThan(standard, 50)
        XCTAssertEqual(bare, 1, "the version-probe answer to version 400")
    }

    func testVersionProbeAnswersFollowTheVersionRule() throws {
        let records = try GoldenCorpus.records("namesrv-route-version-probe.jsonl")
        let requests = Dictionary(uniqueKeysWithValues: records.filter { !$0.isResponse }.map { ($0.seq, $0) })
        for response in records where response.isResponse {
            let requestSeq = try XCTUnwrap(response.fields["request_seq"] as? Int)
            let request = try RemotingCommand.decode(frame: try XCTUnwrap(requests[requestSeq]).frame)
            let header = try GetRouteInfoRequestHeader(command: request)
            let expectStandard = request.version >= 401 || header.acceptStandardJsonOnly == true
            let route = try TopicRouteData(body: response.body)
            XCTAssertEqual(route.encoded(standardJSON: expectStandard), response.body, response.name)
            XCTAssertEqual(route.publishQueues(topic: header.topic).count, 4)
        }
    }

    func testSendResponsesCarryOffsetMessageIdsOfTheStoreHost() throws {
        var checked = 0
        for record in try GoldenCorpus.allRecords() where record.isResponse && [10, 310, 320].contains(record.requestCode ?? 0) && record.code == 0 {
            let command = try RemotingCommand.decode(frame: record.frame)
            let header = try SendMessageResponseHeader(command: command)
            XCTAssertEqual(header.messageRegion, "DefaultRegion")
            XCTAssertEqual(header.traceOn, "true")
            for id in header.msgId.split(separator: ",") {
                let decoded = try MessageID.decodeOffsetMessageID(String(id))
                XCTAssertTrue(["127.0.0.1:10961", "127.0.0.1:10921"].contains(decoded.storeHost.description), record.name)
                XCTAssertEqual(MessageID.offsetMessageID(storeHost: decoded.storeHost, commitLogOffset: decoded.commitLogOffset), String(id))
            }
            checked += 1
        }
        XCTAssertGreaterThan(checked, 5)
    }

    func testEveryCapturedTypedHeaderDecodes() throws {
        var decoded = 0
        for record in try GoldenCorpus.allRecords() {
            let command = try RemotingCommand.decode(frame: record.frame)
            guard !command.isResponse else {
                if record.requestCode == 11, [0, 19, 20, 21].contains(record.code) {
                    let h = try PullMessageResponseHeader(command: command)
                    XCTAssertGreaterThanOrEqual(h.maxOffset, h.minOffset, record.name)
                    decoded += 1
                }
                continue
            }
            switch command.requestCode {
            case .sendMessage, .sendMessageV2, .sendBatchMessage:
                let h = try SendMessageRequestHeader(command: command)
                // Re-encoding the typed header gives the same fields back.
                XCTAssertEqual(command.code == 10 ? h.extFields : h.v2ExtFields, command.extFields.filter { $0.key != "AccessKey" && $0.key != "Signature" }, record.name)
            case .pullMessage:
                let h = try PullMessageRequestHeader(command: command)
                XCTAssertEqual(h.extFields, command.extFields.filter { $0.key != "ReqT" }, record.name)
            case .queryConsumerOffset: _ = try QueryConsumerOffsetRequestHeader(command: command)
            case .updateConsumerOffset: _ = try UpdateConsumerOffsetRequestHeader(command: command)
            case .getMaxOffset, .getMinOffset: _ = try QueueOffsetRequestHeader(command: command)
            case .searchOffsetByTimestamp: _ = try SearchOffsetRequestHeader(command: command)
            case .consumerSendMsgBack:
                let h = try ConsumerSendMsgBackRequestHeader(command: command)
                XCTAssertEqual(h.extFields, command.extFields, record.name)
            case .getConsumerListByGroup: _ = try GetConsumerListByGroupRequestHeader(command: command)
            case .notifyConsumerIdsChanged:
                XCTAssertEqual(command.flag, 2)
                _ = try NotifyConsumerIdsChangedRequestHeader(command: command)
            case .unregisterClient: _ = try UnregisterClientRequestHeader(command: command)
            case .getRouteinfoByTopic: _ = try GetRouteInfoRequestHeader(command: command)
            case .heartBeat:
                let heartbeat = try HeartbeatData(body: command.body)
                XCTAssertEqual(heartbeat.encoded(), command.body, record.name)
            default: continue
            }
            decoded += 1
        }
        XCTAssertGreaterThan(decoded, 400)
    }

    func testConsumerListBodiesRoundTrip() throws {
        var checked = 0
        for record in try GoldenCorpus.allRecords() where record.isResponse && record.requestCode == 38 {
            let body = try ConsumerListBody(body: record.body)
            XCTAssertFalse(body.consumerIdList.isEmpty)
            XCTAssertEqual(body.encoded(), record.body, record.name)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 10)
    }

    func testMissingHeaderFieldsAreNamed() {
        XCTAssertThrowsError(try PullMessageRequestHeader(extFields: ["topic": "T"])) {
            XCTAssertEqual($0 as? RemotingHeaderError, .missingField(header: "PullMessageRequestHeader", field: "consumerGroup"))
        }
        XCTAssertThrowsError(try SendMessageRequestHeader(v2ExtFields: ["a": "P", "b": "T", "c": "TBW102", "d": "4", "e": "x"])) {
            XCTAssertEqual($0 as? RemotingHeaderError, .invalidField(header: "SendMessageRequestHeaderV2", field: "e", value: "x"))
        }
        XCTAssertThrowsError(try SendMessageRequestHeader(v2ExtFields: ["a": "P"])) {
            XCTAssertEqual($0 as? RemotingHeaderError, .missingField(header: "SendMessageRequestHeaderV2", field: "b"))
        }
        XCTAssertThrowsError(try OffsetResponseHeader(extFields: [:])) {
            XCTAssertEqual($0 as? RemotingHeaderError, .missingField(header: "OffsetResponseHeader", field: "offset"))
        }
    }
}

final class GoldenPropertyOrderTests: XCTestCase {
    /// The broker re-serialises properties from a Java HashMap; `MessageProperties.encode(_:)` uses
    /// the same iteration order, so the test broker stores byte-identical property strings.
    func testStoredPropertyStringsFollowJavaHashMapOrder() throws {
        var checked = 0
        for record in try GoldenCorpus.allRecords() where record.fields["decoded_messages"] != nil {
            let command = try RemotingCommand.decode(frame: record.frame)
            for message in try StoredMessageDecoder.decodeAll(command.body) {
                // Replay what the broker did: the request's properties in order, then CLUSTER.
                let pairs = MessageProperties.decodePairs(message.propertiesText)
                let replay = pairs.filter { $0.key != "CLUSTER" } + pairs.filter { $0.key == "CLUSTER" }
                XCTAssertEqual(MessageProperties.encodeInJavaHashMapOrder(replay), message.propertiesText, "\(record.name) \(message.queueOffset)")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 30)
    }
}
