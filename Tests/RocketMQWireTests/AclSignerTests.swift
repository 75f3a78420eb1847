import TestSupport
import RocketMQWire
import XCTest

final class AclSignerTests: XCTestCase {
    func testRouteRequestVectorOfSection6() {
        let ext = ["topic": "TopicTest", "AccessKey": "ak123"]
        XCTAssertEqual(AclSigner.content(extFields: ext), "ak123TopicTest")
        XCTAssertEqual(AclSigner.signature(extFields: ext, body: [], secretKey: "sk456"), "YBx1LwQHFgmJtu4n0kEKzNZ6a6M=")
    }

    func testSendMessageVectorIncludesTheSecurityTokenLikeJava() {
        var ext = ["queueId": "0", "flag": "0", "sysFlag": "0", "reconsumeTimes": "0", "batch": "false",
                   "unitMode": "false", "defaultTopic": "TBW102", "defaultTopicQueueNums": "4", "producerGroup": "P1",
                   "bname": "broker-a", "topic": "TopicTest", "bornTimestamp": "1700000000000", "properties": "TAGS\u{1}TagA",
                   "AccessKey": "ak123"]
        let body = Array("hello".utf8)
        ext["SecurityToken"] = "tok789"
        XCTAssertEqual(AclSigner.signature(extFields: ext, body: body, secretKey: "sk456"), "83lrN0A/NL/6QvRLBqtrhdDPejs=")
        ext["SecurityToken"] = nil
        XCTAssertNotEqual(AclSigner.signature(extFields: ext, body: body, secretKey: "sk456"), "83lrN0A/NL/6QvRLBqtrhdDPejs=")
        var fromGoWithoutToken = ext
        fromGoWithoutToken["Signature"] = "ignored"
        XCTAssertEqual(AclSigner.signature(extFields: fromGoWithoutToken, body: body, secretKey: "sk456"), "pipwCV+GJPG7oYCB+who5lwXg68=")
    }

    func testEveryCapturedSignatureIsReproducedByteForByte() throws {
        var verified = 0
        for record in try GoldenCorpus.records("producer-acl.jsonl") where !record.isResponse {
            let command = try RemotingCommand.decode(frame: record.frame)
            guard let signature = command.extFields["Signature"] else { continue }
            let secrets = ["rmqUserSecret1", "wrongSecret"]
            let matching = secrets.filter {
                AclSigner.signature(extFields: command.extFields, body: command.body, secretKey: $0) == signature
            }
            XCTAssertEqual(matching.count, 1, "\(record.name): no secret reproduces \(signature)")
            verified += 1
        }
        XCTAssertEqual(verified, 16)
    }

    func testSignThenVerifyAndTamperingIsDetected() {
        var command = RemotingCommand.request(code: .sendMessageV2, extFields: ["b": "AclTopic"], body: [1, 2, 3])
        AclSigner.sign(&command, accessKey: "rmqUser", secretKey: "s3cret")
        XCTAssertNil(AclSigner.verify(command, accessKey: "rmqUser", secretKey: "s3cret"))
        XCTAssertEqual(AclSigner.verify(command, accessKey: "rmqUser", secretKey: "other"), .signatureMismatch(accessKey: "rmqUser"))
        command.body = [1, 2, 4]
        XCTAssertEqual(AclSigner.verify(command, accessKey: "rmqUser", secretKey: "s3cret"), .signatureMismatch(accessKey: "rmqUser"))
        XCTAssertEqual(AclSigner.verify(RemotingCommand.request(code: .heartBeat), accessKey: "rmqUser", secretKey: "s3cret"), .missingAccessKey)
    }

    func testUppercaseKeysSortBeforeLowercaseLikeJavaTreeMap() {
        XCTAssertEqual(AclSigner.content(extFields: ["a": "1", "B": "2", "AccessKey": "3"]), "321")
    }

    func testBase64MatchesKnownEncodings() {
        XCTAssertEqual(AclSigner.base64([]), "")
        XCTAssertEqual(AclSigner.base64(Array("f".utf8)), "Zg==")
        XCTAssertEqual(AclSigner.base64(Array("fo".utf8)), "Zm8=")
        XCTAssertEqual(AclSigner.base64(Array("foobar".utf8)), "Zm9vYmFy")
    }
}
