import Foundation
import MQHTTPTestServer
import RocketMQHTTP
import XCTest

/// The worked example and test vectors of docs/protocol-mq-http.md §7, byte for byte.
final class MQHTTPSpecVectorTests: XCTestCase {
    let signer = MQHTTPSigner(accessKey: "LTAI5tExampleAK", secretKey: "ExampleSecret123")
    let date = "Thu, 07 Mar 2024 18:49:58 GMT"
    let version = [(name: "x-mq-version", value: "2015-06-06")]

    func testThePublishExampleSignsAndEncodesAsTheGoSDK() throws {
        let properties = MQHTTPProperties.encode([MQHTTPProperties.keysKey: "order-1"])
        let body = MQHTTPXML.encode(MQHTTPPublishRequest(body: "hello", tag: "TagA", properties: properties), root: MQHTTPXML.messageRoot)
        XCTAssertEqual(String(decoding: body, as: UTF8.self),
                       "<Message><MessageBody>hello</MessageBody><MessageTag>TagA</MessageTag><Properties>KEYS:order-1|</Properties></Message>")
        XCTAssertEqual(body.count, 118)
        XCTAssertEqual(MQHTTPSigner.bodyMD5(of: body), "97858a452f2c3f04595bc76a3fecc717")
        let md5 = MQHTTPSigner.contentMD5(of: body)
        XCTAssertEqual(md5, "OTc4NThhNDUyZjJjM2YwNDU5NWJjNzZhM2ZlY2M3MTc=")

        let resource = "/" + MQHTTPResource.publish(topic: "TopicA", instance: "MQ_INST_123_Example")
        let stringToSign = MQHTTPSigner.stringToSign(method: "POST", contentMD5: md5, contentType: MQHTTPSigner.contentType,
                                                     date: date, mqHeaders: version, resource: resource)
        XCTAssertEqual(stringToSign, "POST\nOTc4NThhNDUyZjJjM2YwNDU5NWJjNzZhM2ZlY2M3MTc=\ntext/xml;charset=utf-8\nThu, 07 Mar 2024 18:49:58 GMT\nx-mq-version:2015-06-06\n/topics/TopicA/messages?ns=MQ_INST_123_Example")
        XCTAssertEqual(signer.authorization(of: stringToSign), "MQ LTAI5tExampleAK:58yCKG839ov9xWBINGYd7xrH5uQ=")
    }

    func testTheConsumeAndAckVectors() throws {
        let emptyMD5 = MQHTTPSigner.contentMD5(of: [])
        XCTAssertEqual(emptyMD5, "ZDQxZDhjZDk4ZjAwYjIwNGU5ODAwOTk4ZWNmODQyN2U=")

        let shortPoll = "/" + MQHTTPResource.consume(topic: "TopicA", group: "GID_A", instance: "MQ_INST_123_Example", count: 1, waitSeconds: 0, tag: nil)
        XCTAssertEqual(shortPoll, "/topics/TopicA/messages?consumer=GID_A&ns=MQ_INST_123_Example&numOfMessages=1")
        XCTAssertEqual(sign("GET", emptyMD5, MQHTTPSigner.contentType, shortPoll), "MQ LTAI5tExampleAK:p8emBWlwzE74bqUjmlYKw97dG6w=")

        let longPoll = "/" + MQHTTPResource.consume(topic: "TopicA", group: "GID_A", instance: "MQ_INST_123_Example", count: 16, waitSeconds: 30, tag: "TagA||TagB")
        XCTAssertEqual(longPoll, "/topics/TopicA/messages?consumer=GID_A&ns=MQ_INST_123_Example&numOfMessages=16&waitseconds=30&tag=TagA%7C%7CTagB")
        XCTAssertEqual(sign("GET", emptyMD5, MQHTTPSigner.contentType, longPoll), "MQ LTAI5tExampleAK:atEkEDwFe56eiGSxKr9F2mTvJJE=")

        let handles = MQHTTPXML.encode(MQHTTPReceiptHandles(handles: ["rh-1"]), root: MQHTTPXML.receiptHandlesRoot)
        XCTAssertEqual(String(decoding: handles, as: UTF8.self), "<ReceiptHandles><ReceiptHandle>rh-1</ReceiptHandle></ReceiptHandles>")
        XCTAssertEqual(handles.count, 68)
        let ackMD5 = MQHTTPSigner.contentMD5(of: handles)
        XCTAssertEqual(ackMD5, "ODhkM2RjZTQyMDM4OWZiODNiNzQzMWNlZDM2ZjZiZWI=")
        let ack = "/" + MQHTTPResource.ack(topic: "TopicA", group: "GID_A", instance: "MQ_INST_123_Example")
        XCTAssertEqual(ack, "/topics/TopicA/messages?consumer=GID_A&ns=MQ_INST_123_Example")
        XCTAssertEqual(sign("DELETE", ackMD5, MQHTTPSigner.contentType, ack), "MQ LTAI5tExampleAK:MbG0+5yutvuBBsuBTiOXGgjVRBg=")

        let pythonStyle = "/" + MQHTTPResource.consume(topic: "TopicA", group: "GID_A", instance: nil, count: 1, waitSeconds: 0, tag: nil)
        let pythonString = MQHTTPSigner.stringToSign(method: "GET", contentMD5: "", contentType: "", date: date, mqHeaders: version, resource: pythonStyle)
        XCTAssertEqual(pythonString, "GET\n\n\nThu, 07 Mar 2024 18:49:58 GMT\nx-mq-version:2015-06-06\n/topics/TopicA/messages?consumer=GID_A&numOfMessages=1")
        XCTAssertEqual(signer.authorization(of: pythonString), "MQ LTAI5tExampleAK:TfduVj/gCZ+3HnBNqetSzbpx6W8=")
    }

    func testParametersFollowTheSDKRules() {
        XCTAssertEqual(MQHTTPResource.consume(topic: "T", group: "G", instance: nil, count: 0, waitSeconds: 31, tag: ""),
                       "topics/T/messages?consumer=G&numOfMessages=16", "count outside 1...16 is 16; wait outside 1...30 and an empty tag are left out")
        XCTAssertEqual(MQHTTPResource.queryEscape("a b*é~._-"), "a+b%2A%C3%A9~._-")
        XCTAssertEqual(MQHTTPResource.queryUnescape("a+b%2A%C3%A9~._-"), "a b*é~._-")
        XCTAssertNil(MQHTTPResource.queryUnescape("bad%2"))
        XCTAssertEqual(MQHTTPResource.publish(topic: "T", instance: ""), "topics/T/messages")
    }

    func testTheDateIsRFC1123InGMT() {
        let date = Date(timeIntervalSince1970: 1_709_837_398)  // 2024-03-07 18:49:58 UTC
        XCTAssertEqual(MQHTTPSigner.httpDate(date), "Thu, 07 Mar 2024 18:49:58 GMT")
        XCTAssertEqual(MQHTTPSigner.parseHTTPDate("Thu, 07 Mar 2024 18:49:58 GMT"), date)
    }

    func testPropertiesRoundTripAndParseLeniently() {
        XCTAssertEqual(MQHTTPProperties.encode(["b": "2", "a": "1"]), "a:1|b:2|")
        XCTAssertEqual(MQHTTPProperties.decode("KEYS:k1|a:1|"), ["KEYS": "k1", "a": "1"])
        XCTAssertEqual(MQHTTPProperties.decode("|:x|y:|a:b:c|ok:1"), ["ok": "1"], "malformed items are dropped, as the SDKs do")
        XCTAssertEqual(MQHTTPProperties.forbiddenCharacter(in: "a|b"), "|")
        XCTAssertNil(MQHTTPProperties.forbiddenCharacter(in: "plain value"))
    }

    private func sign(_ method: String, _ md5: String, _ type: String, _ resource: String) -> String {
        signer.authorization(of: MQHTTPSigner.stringToSign(method: method, contentMD5: md5, contentType: type, date: date, mqHeaders: version, resource: resource))
    }
}
