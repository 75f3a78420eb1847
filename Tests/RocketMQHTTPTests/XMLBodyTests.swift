import RocketMQHTTP
import XCTest

/// The bodies of docs/protocol-mq-http.md §4: decoded by local name, whatever the namespace, order or
/// layout.
final class XMLBodyTests: XCTestCase {
    func testAConsumeAnswerDecodesWithNamespaceAndPrettyPrinting() throws {
        let xml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Messages xmlns="http://mq.aliyuncs.com/doc/v1/">
          <Message>
            <MessageId>1E05791C117818B4AAC23B1BB0CE0000</MessageId>
            <ReceiptHandle>1E05791C117818B4AAC23B1BB0CE0000-MTM=</ReceiptHandle>
            <MessageBodyMD5>499A5A2ECE2B4C0B2F7F4A5E3C1E5D5A</MessageBodyMD5>
            <MessageBody>  two spaces either side  </MessageBody>
            <PublishTime>1570761624543</PublishTime>
            <NextConsumeTime>1570761924543</NextConsumeTime>
            <FirstConsumeTime>1570761624543</FirstConsumeTime>
            <ConsumedTimes>1</ConsumedTimes>
            <MessageTag>TagA</MessageTag>
            <Properties>KEYS:k1|a:1|</Properties>
          </Message>
          <Message>
            <Properties>b:2|</Properties>
            <ConsumedTimes>3</ConsumedTimes>
            <NextConsumeTime>2</NextConsumeTime>
            <PublishTime>1</PublishTime>
            <MessageBody>line one
        line two &amp; &lt;three&gt;</MessageBody>
            <ReceiptHandle>h2</ReceiptHandle>
            <MessageId>id2</MessageId>
          </Message>
        </Messages>
        """
        let messages = try MQHTTPXML.decode(MQHTTPReceivedMessages.self, from: Array(xml.utf8)).messages
        XCTAssertEqual(messages.count, 2)
        XCTAssertEqual(messages[0].messageID, "1E05791C117818B4AAC23B1BB0CE0000")
        XCTAssertEqual(messages[0].body, "  two spaces either side  ")
        XCTAssertEqual(messages[0].publishTime, 1_570_761_624_543)
        XCTAssertEqual(messages[0].nextConsumeTime, 1_570_761_924_543)
        XCTAssertEqual(messages[0].tag, "TagA")
        XCTAssertEqual(messages[0].properties, "KEYS:k1|a:1|")
        XCTAssertEqual(messages[1].body, "line one\nline two & <three>")
        XCTAssertEqual(messages[1].consumedTimes, 3)
        XCTAssertNil(messages[1].tag)
        XCTAssertEqual(messages[1].receiptHandle, "h2")
    }

    func testAPrefixedNamespaceIsReadByLocalName() throws {
        let xml = #"<mq:Error xmlns:mq="http://mq.aliyuncs.com/doc/v1"><mq:Code>MessageNotExist</mq:Code><mq:Message>Message not exist.</mq:Message><mq:RequestId>R1</mq:RequestId></mq:Error>"#
        let error = try MQHTTPXML.decode(MQHTTPErrorBody.self, from: Array(xml.utf8))
        XCTAssertEqual(error, MQHTTPErrorBody(code: "MessageNotExist", message: "Message not exist.", requestID: "R1"))
    }

    func testTheVerbatimErrorOfTheJavaSDKIssueDecodes() throws {
        let xml = """
        <?xml version="1.0" ?>
        <Error xmlns="http://mq.aliyuncs.com/doc/v1">
          <Code>MessageNotExist</Code>
          <Message>Message not exist.</Message>
          <RequestId>5DF07C9B31383790319F4D26</RequestId>
          <HostId>http://1480897041841542.mqrest.cn-beijing.aliyuncs.com</HostId>
        </Error>
        """
        let error = try MQHTTPXML.decode(MQHTTPErrorBody.self, from: Array(xml.utf8))
        XCTAssertEqual(error.code, "MessageNotExist")
        XCTAssertEqual(error.requestID, "5DF07C9B31383790319F4D26")
        XCTAssertEqual(error.hostID, "http://1480897041841542.mqrest.cn-beijing.aliyuncs.com")
    }

    func testPerHandleAckFailuresDecode() throws {
        let xml = #"<Errors xmlns="http://mq.aliyuncs.com/doc/v1/"><Error><ErrorCode>ReceiptHandleError</ErrorCode><ErrorMessage>The receipt handle you provide is not valid.</ErrorMessage><ReceiptHandle>h</ReceiptHandle></Error><Error><ErrorCode>MessageNotExist</ErrorCode><ErrorMessage>late</ErrorMessage><ReceiptHandle></ReceiptHandle></Error></Errors>"#
        let failures = try MQHTTPXML.decode(MQHTTPAckFailures.self, from: Array(xml.utf8)).failures
        XCTAssertEqual(failures, [
            MQHTTPAckFailure(code: "ReceiptHandleError", message: "The receipt handle you provide is not valid.", receiptHandle: "h"),
            MQHTTPAckFailure(code: "MessageNotExist", message: "late", receiptHandle: ""),
        ])
    }

    func testAnEmptyMessagesElementIsNoMessages() throws {
        XCTAssertEqual(try MQHTTPXML.decode(MQHTTPReceivedMessages.self, from: Array("<Messages/>".utf8)).messages, [])
    }

    func testSpecialCharactersSurviveARoundTrip() throws {
        let body = "a & b < c > d \"quoted\" 'single'\r\nnext\tline  "
        let encoded = MQHTTPXML.encode(MQHTTPPublishRequest(body: body, tag: nil, properties: nil), root: MQHTTPXML.messageRoot)
        XCTAssertFalse(String(decoding: encoded, as: UTF8.self).contains("MessageTag"), "an absent tag is left out")
        XCTAssertEqual(try MQHTTPXML.decode(MQHTTPPublishRequest.self, from: encoded).body, body)
    }

    func testBrokenXMLIsAnErrorNotACrash() {
        for broken in ["<Messages><Message>", "not xml at all", "", "<Messages><Message><MessageId>x</MessageId></Message></Messages>"] {
            XCTAssertThrowsError(try MQHTTPXML.decode(MQHTTPReceivedMessages.self, from: Array(broken.utf8)), broken)
        }
    }

    func testOnlyXMLCharactersAreRepresentable() {
        XCTAssertTrue(MQHTTPXML.isRepresentable("text\twith\nlines\r and é 🚀"))
        XCTAssertFalse(MQHTTPXML.isRepresentable("nul\u{0}byte"))
        XCTAssertFalse(MQHTTPXML.isRepresentable("bell\u{7}"))
    }

    func testTheReaderResolvesReferencesCDATAAndLineEnds() throws {
        let xml = "\u{FEFF}<?xml version=\"1.0\"?><!-- before --><r a='x>y' b=\"/\"><t>&lt;&gt;&amp;&apos;&quot;&#65;&#x1F680;&#xD;</t>"
            + "<t2><![CDATA[<not a tag> & raw]]><!-- skipped --><?pi skipped?> tail</t2><t3>one\r\ntwo\rthree</t3><e/></r><!-- after -->"
        let root = try MQHTTPXMLElement.parse(Array(xml.utf8))
        XCTAssertEqual(root.name, "r")
        XCTAssertEqual(root.text(of: "t"), "<>&'\"A🚀\r", "a CR written as a reference survives")
        XCTAssertEqual(root.text(of: "t2"), "<not a tag> & raw tail")
        XCTAssertEqual(root.text(of: "t3"), "one\ntwo\nthree", "literal line ends become line feeds, as XML 1.0 §2.11 says")
        XCTAssertEqual(root.text(of: "e"), "")
        XCTAssertNil(root.text(of: "missing"))
    }

    func testTheReaderRefusesWhatIsNotWellFormedWithAReason() {
        let cases: [(String, String)] = [
            ("<!DOCTYPE r [<!ENTITY x \"y\">]><r>&x;</r>", "document type"),
            ("<r>&x;</r>", "unknown entity"),
            ("<r>a & b</r>", "starts no reference"),
            ("<r>&#0;</r>", "not a character"),
            ("<r>&#xD800;</r>", "not a character"),
            ("<r><a></b></r>", "does not close"),
            ("<r>", "not closed"),
            ("<r/>text", "after the root"),
            ("text<r/>", "no root"),
            ("<r a='x></r>", "not closed"),
            ("<r><></r>", "without a name"),
            (String(repeating: "<a>", count: 40) + String(repeating: "</a>", count: 40), "deeper than 32"),
        ]
        for (xml, reason) in cases {
            XCTAssertThrowsError(try MQHTTPXMLElement.parse(Array(xml.utf8)), xml) { error in
                XCTAssertTrue("\(error)".contains(reason), "\(xml): \(error)")
            }
        }
        XCTAssertThrowsError(try MQHTTPXMLElement.parse([0x3C, 0x72, 0x3E, 0xFF, 0xFE, 0x3C, 0x2F, 0x72, 0x3E])) { error in
            XCTAssertTrue("\(error)".contains("not UTF-8"), "\(error)")
        }
    }

    func testAMessageWithoutItsTimesOrWithABadNumberIsRefusedByName() {
        let missing = "<Messages><Message><MessageId>i</MessageId><ReceiptHandle>h</ReceiptHandle><NextConsumeTime>2</NextConsumeTime></Message></Messages>"
        XCTAssertThrowsError(try MQHTTPXML.decode(MQHTTPReceivedMessages.self, from: Array(missing.utf8))) { error in
            XCTAssertTrue("\(error)".contains("PublishTime"), "\(error)")
        }
        let bad = "<Messages><Message><MessageId>i</MessageId><ReceiptHandle>h</ReceiptHandle><PublishTime>1x</PublishTime><NextConsumeTime>2</NextConsumeTime></Message></Messages>"
        XCTAssertThrowsError(try MQHTTPXML.decode(MQHTTPReceivedMessages.self, from: Array(bad.utf8))) { error in
            XCTAssertTrue("\(error)".contains("<PublishTime> is not an integer"), "\(error)")
        }
    }

    func testEveryBodyRoundTrips() throws {
        let message = MQHTTPReceivedMessage(
            messageID: "id", receiptHandle: "h&<", bodyMD5: "md5", body: " body\r\n 'q' \"d\" ", publishTime: 1, nextConsumeTime: 2,
            firstConsumeTime: 1, consumedTimes: 3, tag: "T", properties: "a:1|")
        let messages = MQHTTPReceivedMessages(messages: [message, message])
        XCTAssertEqual(try MQHTTPXML.decode(MQHTTPReceivedMessages.self, from: MQHTTPXML.encode(messages, root: MQHTTPXML.messagesRoot, namespace: MQHTTPXML.namespace)), messages)
        let receipt = MQHTTPPublishReceipt(messageID: "id", bodyMD5: "m", receiptHandle: "h")
        XCTAssertEqual(try MQHTTPXML.decode(MQHTTPPublishReceipt.self, from: MQHTTPXML.encode(receipt, root: MQHTTPXML.messageRoot)), receipt)
        let handles = MQHTTPReceiptHandles(handles: ["a", "b"])
        XCTAssertEqual(try MQHTTPXML.decode(MQHTTPReceiptHandles.self, from: MQHTTPXML.encode(handles, root: MQHTTPXML.receiptHandlesRoot)), handles)
        let failures = MQHTTPAckFailures(failures: [MQHTTPAckFailure(code: "C", message: "M", receiptHandle: "h")])
        XCTAssertEqual(try MQHTTPXML.decode(MQHTTPAckFailures.self, from: MQHTTPXML.encode(failures, root: MQHTTPXML.errorsRoot)), failures)
        let error = MQHTTPErrorBody(code: "C", message: "M", requestID: "R", hostID: "H")
        XCTAssertEqual(try MQHTTPXML.decode(MQHTTPErrorBody.self, from: MQHTTPXML.encode(error, root: MQHTTPXML.errorRoot)), error)
        XCTAssertEqual(String(decoding: MQHTTPXML.encode(MQHTTPReceivedMessages(messages: []), root: "Messages", namespace: "n"), as: UTF8.self),
                       #"<Messages xmlns="n"></Messages>"#)
    }
}
