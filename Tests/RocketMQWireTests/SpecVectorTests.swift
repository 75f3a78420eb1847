import TestSupport
import NIOCore
import RocketMQWire
import XCTest

/// The verified vectors of docs/protocol-remoting.md §10 (and §1.3), produced from scratch.
final class SpecVectorTests: XCTestCase {
    private func javaRequest(code: RequestCode, opaque: Int32, ext: [String: String], type: SerializeType = .json) -> RemotingCommand {
        var command = RemotingCommand.request(code: code, extFields: ext, opaque: opaque, serializeType: type)
        command.language = .java
        command.version = 409
        return command
    }

    func testJSONRouteRequestFrameMatchesSection10_1() throws {
        let command = javaRequest(code: .getRouteinfoByTopic, opaque: 7, ext: ["topic": "TopicTest"])
        let expected = "00000087000000837b22636f6465223a3130352c226578744669656c6473223a7b22746f706963223a22546f70696354657374227d2c22666c6167223a302c226c616e6775616765223a224a415641222c226f7061717565223a372c2273657269616c697a655479706543757272656e74525043223a224a534f4e222c2276657273696f6e223a3430397d"
        XCTAssertEqual(hexString(try command.encodedFrame()), expected)
        XCTAssertEqual(try RemotingCommand.decode(frame: hexBytes(expected)), command)
    }

    func testJSONResponseWithoutCustomHeaderLeavesOutExtFields() throws {
        var response = RemotingCommand.response(to: javaRequest(code: .getRouteinfoByTopic, opaque: 7, ext: [:]),
                                                code: .topicNotExist, remark: "no route")
        response.language = .java
        XCTAssertEqual(
            String(decoding: try response.encodedHeader(), as: UTF8.self),
            #"{"code":17,"flag":1,"language":"JAVA","opaque":7,"remark":"no route","serializeTypeCurrentRPC":"JSON","version":409}"#
        )
    }

    func testBinaryRouteRequestFrameMatchesSection1_3() throws {
        let command = javaRequest(code: .getRouteinfoByTopic, opaque: 7, ext: ["topic": "TopicTest"], type: .rocketmq)
        let expected = "0000002d010000290069000199000000070000000000000000000000140005746f70696300000009546f70696354657374"
        XCTAssertEqual(hexString(try command.encodedFrame()), expected)
        let decoded = try RemotingCommand.decode(frame: hexBytes(expected))
        XCTAssertEqual(decoded, command)
        XCTAssertEqual(decoded.language, .java)
    }

    func testSendMessageV2HeaderMatchesSection10_3() throws {
        let ext = ["a": "P1", "b": "TopicTest", "c": "TBW102", "d": "4", "e": "0", "f": "0", "g": "1700000000000",
                   "h": "0", "i": "TAGS\u{1}TagA", "j": "0", "k": "false", "m": "false", "n": "broker-a"]
        let command = javaRequest(code: .sendMessageV2, opaque: 9, ext: ext)
        XCTAssertEqual(
            String(decoding: try command.encodedHeader(), as: UTF8.self),
            #"{"code":310,"extFields":{"a":"P1","b":"TopicTest","c":"TBW102","d":"4","e":"0","f":"0","g":"1700000000000","h":"0","i":"TAGS\u0001TagA","j":"0","k":"false","m":"false","n":"broker-a"},"flag":0,"language":"JAVA","opaque":9,"serializeTypeCurrentRPC":"JSON","version":409}"#
        )
    }

    func testSendMessageV1HeaderUsesJavaHashMapOrderLikeSection10_3() throws {
        let ext = ["queueId": "0", "flag": "0", "sysFlag": "0", "reconsumeTimes": "0", "batch": "false",
                   "unitMode": "false", "defaultTopic": "TBW102", "defaultTopicQueueNums": "4", "producerGroup": "P1",
                   "bname": "broker-a", "topic": "TopicTest", "bornTimestamp": "1700000000000", "properties": "TAGS\u{1}TagA"]
        var command = javaRequest(code: .sendMessage, opaque: 10, ext: ext)
        // Java puts the fields into its HashMap in declaration order; collisions keep that order.
        command.extFieldsOrder = JavaHash.hashMapIterationOrder([
            "producerGroup", "topic", "defaultTopic", "defaultTopicQueueNums", "queueId", "sysFlag", "bornTimestamp",
            "flag", "properties", "reconsumeTimes", "unitMode", "batch", "maxReconsumeTimes", "bname",
        ])
        XCTAssertEqual(
            String(decoding: try command.encodedHeader(), as: UTF8.self),
            #"{"code":10,"extFields":{"queueId":"0","flag":"0","sysFlag":"0","reconsumeTimes":"0","batch":"false","unitMode":"false","defaultTopic":"TBW102","defaultTopicQueueNums":"4","producerGroup":"P1","bname":"broker-a","topic":"TopicTest","bornTimestamp":"1700000000000","properties":"TAGS\u0001TagA"},"flag":0,"language":"JAVA","opaque":10,"serializeTypeCurrentRPC":"JSON","version":409}"#
        )
    }

    /// Java's `HashMap` written out literally: an array of buckets, each keeping insertion order.
    private func referenceHashMapOrder(_ keys: [String]) -> [String] {
        var distinct: [String] = []
        for key in keys where !distinct.contains(key) { distinct.append(key) }
        var buckets = 16
        while distinct.count * 4 > buckets * 3 { buckets *= 2 }
        var table = [[String]](repeating: [], count: buckets)
        for key in distinct {
            let h = UInt32(bitPattern: JavaHash.stringHashCode(key))
            table[Int((h ^ (h >> 16)) & UInt32(buckets - 1))].append(key)
        }
        return table.flatMap { $0 }
    }

    func testHashMapOrderMatchesABucketTableForManyKeySetsIncludingCollisionsAndRepeats() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789é")
        for round in 0..<400 {
            let count = round < 200 ? Int.random(in: 0...16, using: &generator) : Int.random(in: 17...60, using: &generator)
            var keys = (0..<count).map { _ in String((0..<Int.random(in: 1...6, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }) }
            if count > 2 { keys.append(keys[0]) }  // a repeat keeps its first position
            XCTAssertEqual(JavaHash.hashMapIterationOrder(keys), referenceHashMapOrder(keys), "\(keys)")
        }
        // "Aa" and "BB" have the same Java hash: one bucket, insertion order.
        XCTAssertEqual(JavaHash.hashMapIterationOrder(["BB", "Aa"]), ["BB", "Aa"])
        XCTAssertEqual(JavaHash.hashMapIterationOrder(["Aa", "BB"]), ["Aa", "BB"])
    }

    func testPullHeaderUsesJavaHashMapOrderLikeSection10_4() throws {
        let ext = ["queueId": "0", "maxMsgNums": "32", "sysFlag": "2", "suspendTimeoutMillis": "15000", "commitOffset": "0",
                   "bname": "broker-a", "topic": "TopicTest", "queueOffset": "0", "expressionType": "TAG",
                   "subVersion": "0", "consumerGroup": "G1"]
        var command = javaRequest(code: .pullMessage, opaque: 11, ext: ext)
        command.extFieldsOrder = JavaHash.hashMapIterationOrder([
            "consumerGroup", "topic", "queueId", "queueOffset", "maxMsgNums", "sysFlag", "commitOffset",
            "suspendTimeoutMillis", "subscription", "subVersion", "expressionType", "bname",
        ])
        XCTAssertEqual(
            String(decoding: try command.encodedHeader(), as: UTF8.self),
            #"{"code":11,"extFields":{"queueId":"0","maxMsgNums":"32","sysFlag":"2","suspendTimeoutMillis":"15000","commitOffset":"0","bname":"broker-a","topic":"TopicTest","queueOffset":"0","expressionType":"TAG","subVersion":"0","consumerGroup":"G1"},"flag":0,"language":"JAVA","opaque":11,"serializeTypeCurrentRPC":"JSON","version":409}"#
        )
    }

    func testARecordedOrderWithARepeatedKeyStillWritesEachFieldOnce() throws {
        var command = javaRequest(code: .pullMessage, opaque: 12, ext: ["a": "1", "b": "2", "c": "3"])
        command.extFieldsOrder = ["b", "b", "a"]  // as many names as fields, but "c" is missing
        XCTAssertEqual(
            String(decoding: try command.encodedHeader(), as: UTF8.self),
            #"{"code":11,"extFields":{"b":"2","a":"1","c":"3"},"flag":0,"language":"JAVA","opaque":12,"serializeTypeCurrentRPC":"JSON","version":409}"#
        )
        command.serializeType = .rocketmq
        let decoded = try RemotingCommand.decodeHeader(try command.encodedHeader(), serializeType: .rocketmq)
        XCTAssertEqual(decoded.extFieldsOrder, ["b", "a", "c"])
    }

    func testARecordedOrderNamingAFieldThatIsNotSetStillWritesEachFieldOnce() throws {
        var command = javaRequest(code: .pullMessage, opaque: 13, ext: ["a": "1", "b": "2", "c": "3"])
        command.extFieldsOrder = ["b", "x", "a"]  // distinct and as many as the fields, but "x" is not one
        XCTAssertEqual(
            String(decoding: try command.encodedHeader(), as: UTF8.self),
            #"{"code":11,"extFields":{"b":"2","a":"1","c":"3"},"flag":0,"language":"JAVA","opaque":13,"serializeTypeCurrentRPC":"JSON","version":409}"#
        )
    }

    func testARepeatedHeaderMemberDecodesAsItsFirstOccurrence() throws {
        let header = #"{"code":14,"opaque":3,"code":15,"remark":"first","remark":7,"extFields":{"k":"v"},"extFields":null}"#
        let command = try RemotingCommand.decodeHeader(Array(header.utf8), serializeType: .json)
        XCTAssertEqual(command.code, 14)
        XCTAssertEqual(command.opaque, 3)
        XCTAssertEqual(command.remark, "first")
        XCTAssertEqual(command.extFields, ["k": "v"])
    }

    func testGoStyleJSONHeaderWithNumericExtValuesDecodes() throws {
        let header = #"{"code":14,"language":"GO","version":317,"opaque":3,"flag":0,"remark":"","extFields":{"queueId":0,"topic":"T","flag":true,"x":null}}"#
        let command = try RemotingCommand.decodeHeader(Array(header.utf8), serializeType: .json)
        XCTAssertEqual(command.language, .go)
        XCTAssertEqual(command.version, 317)
        XCTAssertEqual(command.remark, "")
        XCTAssertEqual(command.extFields, ["queueId": "0", "topic": "T", "flag": "true"])
    }

    func testDefaultsAreVersion409AndLanguageOther() {
        let command = RemotingCommand.request(code: .heartBeat)
        XCTAssertEqual(command.version, 409)
        XCTAssertEqual(command.language, .other)
        XCTAssertEqual(command.serializeType, .json)
        XCTAssertFalse(command.isResponse)
        XCTAssertFalse(command.isOneway)
        XCTAssertTrue(RemotingCommand.request(code: .updateConsumerOffset, oneway: true).isOneway)
    }

    func testResponseCopiesOpaqueSetsFlagAndKeepsSerializeType() {
        let request = RemotingCommand.request(code: .pullMessage, opaque: 42, serializeType: .rocketmq)
        let response = RemotingCommand.response(to: request, code: .pullNotFound, remark: "OFFSET_OVERFLOW_ONE")
        XCTAssertEqual(response.opaque, 42)
        XCTAssertTrue(response.isResponse)
        XCTAssertEqual(response.serializeType, .rocketmq)
        XCTAssertEqual(response.responseCode, .pullNotFound)
    }

    func testLanguageCodesHaveTheJavaNamesAndBytes() {
        let names = ["JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY", "OTHER", "HTTP", "GO", "PHP", "OMS", "RUST"]
        XCTAssertEqual(LanguageCode.known.map(\.name), names)
        XCTAssertEqual(LanguageCode.known.map(\.code), Array(0...12))
        XCTAssertEqual(LanguageCode(code: 200), .unknown(200))
    }

    func testJavaStringHashCodeMatchesHeartbeatCodeSet() {
        XCTAssertEqual(JavaHash.stringHashCode("TagA"), 2598919)
        XCTAssertEqual(JavaHash.stringHashCode("TagB"), 2598920)
        XCTAssertEqual(JavaHash.stringHashCode(""), 0)
        // Wraps like Java int arithmetic.
        XCTAssertEqual(JavaHash.stringHashCode("polygenelubricants"), Int32.min)
    }
}
