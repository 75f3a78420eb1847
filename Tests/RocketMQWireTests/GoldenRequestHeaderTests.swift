import TestSupport
import RocketMQWire
import XCTest

/// The typed request headers are the one definition of a request: the client builds what it sends
/// from them and the test broker decodes them. Here every captured request whose code has one is
/// rebuilt from the typed header alone and must be the captured frame byte for byte: the headers
/// write Java's keys, spellings and key order.
final class GoldenRequestHeaderTests: XCTestCase {
    /// Keys no 4.9.8 header class declares: the ACL hook's, and `ReqT`, which some captured runs add.
    private static let foreignKeys: Set<String> = ["AccessKey", "Signature", "SecurityToken", "ReqT"]

    /// `command` rebuilt from its typed header, with the captured envelope (opaque, flag, language,
    /// version, serialization) and body.
    private func rebuilt<H: CommandCustomHeader>(_ type: H.Type, _ command: RemotingCommand) throws -> RemotingCommand {
        let header = try H(command: command)
        var request = RemotingCommand.request(
            code: command.requestCode, header: header, body: command.body, opaque: command.opaque, oneway: command.isOneway,
            serializeType: command.serializeType)
        request.language = command.language
        request.version = command.version
        request.flag = command.flag
        return request
    }

    func testEveryCapturedRequestWithATypedHeaderIsRebuiltByteForByte() throws {
        var rebuiltByCode: [RequestCode: Int] = [:]
        var serializations = Set<SerializeType>()
        for record in try GoldenCorpus.allRecords() where !record.isResponse {
            let command = try RemotingCommand.decode(frame: record.frame)
            guard Self.foreignKeys.isDisjoint(with: command.extFields.keys) else { continue }
            let request: RemotingCommand
            switch command.requestCode {
            case .sendMessage, .sendMessageV2, .sendBatchMessage: request = try rebuilt(SendMessageRequestHeader.self, command)
            case .pullMessage: request = try rebuilt(PullMessageRequestHeader.self, command)
            case .queryConsumerOffset: request = try rebuilt(QueryConsumerOffsetRequestHeader.self, command)
            case .updateConsumerOffset: request = try rebuilt(UpdateConsumerOffsetRequestHeader.self, command)
            case .getMaxOffset: request = try rebuilt(GetMaxOffsetRequestHeader.self, command)
            case .getMinOffset: request = try rebuilt(GetMinOffsetRequestHeader.self, command)
            case .searchOffsetByTimestamp: request = try rebuilt(SearchOffsetRequestHeader.self, command)
            case .consumerSendMsgBack: request = try rebuilt(ConsumerSendMsgBackRequestHeader.self, command)
            case .getConsumerListByGroup: request = try rebuilt(GetConsumerListByGroupRequestHeader.self, command)
            case .unregisterClient: request = try rebuilt(UnregisterClientRequestHeader.self, command)
            case .getRouteinfoByTopic: request = try rebuilt(GetRouteInfoRequestHeader.self, command)
            case .notifyConsumerIdsChanged: request = try rebuilt(NotifyConsumerIdsChangedRequestHeader.self, command)
            default: continue
            }
            XCTAssertEqual(hexString(try request.encodedFrame()), hexString(record.frame), record.name)
            rebuiltByCode[command.requestCode, default: 0] += 1
            serializations.insert(command.serializeType)
        }
        // Every code the client sends with a header, and the broker's push, in both serializations.
        // (GET_MIN_OFFSET was only captured with `ReqT`.)
        XCTAssertEqual(Set(rebuiltByCode.keys), [
            .sendMessageV2, .sendBatchMessage, .pullMessage, .queryConsumerOffset, .updateConsumerOffset, .getMaxOffset,
            .searchOffsetByTimestamp, .consumerSendMsgBack, .getConsumerListByGroup, .unregisterClient, .getRouteinfoByTopic,
            .notifyConsumerIdsChanged,
        ])
        XCTAssertEqual(serializations, [.json, .rocketmq])
        XCTAssertGreaterThan(rebuiltByCode.values.reduce(0, +), 500)
    }

    /// An order that names optional fields which are not set: the fields that are set keep Java's
    /// order (docs/protocol-remoting.md §10.4, a pull without `subscription`).
    func testAnUnsetOptionalFieldKeepsTheOthersInJavaOrder() throws {
        let header = PullMessageRequestHeader(
            consumerGroup: "G1", topic: "TopicTest", queueId: 0, queueOffset: 0, sysFlag: 2, commitOffset: 0,
            suspendTimeoutMillis: 15000, subscription: nil, bname: "broker-a")
        var command = RemotingCommand.request(code: .pullMessage, header: header, opaque: 11)
        command.language = .java
        XCTAssertEqual(command.extFieldsOrder, PullMessageRequestHeader.javaExtFieldsOrder)
        XCTAssertNil(command.extFields["subscription"])
        XCTAssertEqual(
            String(decoding: try command.encodedHeader(), as: UTF8.self),
            #"{"code":11,"extFields":{"queueId":"0","maxMsgNums":"32","sysFlag":"2","suspendTimeoutMillis":"15000","commitOffset":"0","bname":"broker-a","topic":"TopicTest","queueOffset":"0","expressionType":"TAG","subVersion":"0","consumerGroup":"G1"},"flag":0,"language":"JAVA","opaque":11,"serializeTypeCurrentRPC":"JSON","version":409}"#
        )
    }

    /// One header, two spellings: SEND_MESSAGE (10) writes the V1 names, 310 and 320 the letters,
    /// and `init(command:)` reads whichever the code says.
    func testTheSendHeaderIsSpelledByTheRequestCode() throws {
        let header = SendMessageRequestHeader(
            producerGroup: "P1", topic: "TopicTest", queueId: 0, bornTimestamp: 1_700_000_000_000, properties: "TAGS\u{1}TagA",
            bname: "broker-a")
        let v1 = RemotingCommand.request(code: .sendMessage, header: header)
        XCTAssertEqual(v1.extFields, header.extFields)
        XCTAssertEqual(v1.extFieldsOrder, SendMessageRequestHeader.javaExtFieldsOrder)
        for code in [RequestCode.sendMessageV2, .sendBatchMessage] {
            let v2 = RemotingCommand.request(code: code, header: header)
            XCTAssertEqual(v2.extFields, header.v2ExtFields)
            XCTAssertEqual(v2.extFieldsOrder, ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "m", "n"], "no `l` when it is not set")
            XCTAssertEqual(try SendMessageRequestHeader(command: v2), header)
        }
        XCTAssertEqual(try SendMessageRequestHeader(command: v1), header)
        var retry = header
        retry.maxReconsumeTimes = 16
        XCTAssertEqual(RemotingCommand.request(code: .sendMessageV2, header: retry).extFieldsOrder, SendMessageRequestHeader.v2FieldOrder)
    }

    /// RESET_CONSUMER_CLIENT_OFFSET's header (docs/protocol-remoting.md §2.16); no capture has one.
    func testTheResetOffsetHeaderRoundTrips() throws {
        let header = ResetOffsetRequestHeader(topic: "T", group: "G", timestamp: 0, isForce: true)
        let command = RemotingCommand.request(code: .resetConsumerClientOffset, header: header, oneway: true)
        XCTAssertEqual(command.extFields, ["topic": "T", "group": "G", "timestamp": "0", "isForce": "true"])
        XCTAssertEqual(try command.decodeHeader(ResetOffsetRequestHeader.self), header)
        XCTAssertThrowsError(try ResetOffsetRequestHeader(extFields: ["topic": "T", "timestamp": "0"])) {
            XCTAssertEqual($0 as? RemotingHeaderError, .missingField(header: "ResetOffsetRequestHeader", field: "group"))
        }
    }
}

final class SystemPropertyListTests: XCTestCase {
    /// docs/protocol-remoting.md §4.2: every key of the table, and nothing a user would name.
    func testTheSystemPropertiesAreTheKeysOfTheProtocolTable() {
        XCTAssertEqual(MessagePropertyKey.systemProperties.count, 38)
        for key in ["KEYS", "TAGS", "WAIT", "DELAY", "UNIQ_KEY", "REAL_TOPIC", "CLUSTER", "SHARDING_KEY", "TIMER_DELIVER_MS", "__transactionId__"] {
            XCTAssertTrue(MessagePropertyKey.isSystemProperty(key), key)
        }
        for key in ["traceparent", "tags", "color", ""] {
            XCTAssertFalse(MessagePropertyKey.isSystemProperty(key), key)
        }
    }
}
