import Foundation
import Logging
import RocketMQHTTP
@testable import MQHTTPTestServer
import XCTest
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The HTTP test server driven through the real ``MQHTTPClient`` and, where the client cannot go
/// wrong on purpose, through hand-made requests on a plain socket.
final class MQHTTPTestServerTests: XCTestCase {
    static let accessKey = "LTAI5tTestAK"
    static let secretKey = "TestSecret123"

    // MARK: Round trip

    func testAPublishedMessageIsConsumedAndAckedWithEveryCharacterIntact() async throws {
        let server = try await makeServer()
        let client = try makeClient(server)
        let body = "  a & b < c > d \"double\" 'single'\r\nsecond line\ttab  "
        let properties = ["KEYS": "order-1", "color": "blue green"]

        let receipt = try await client.publish(topic: "TopicA", message: MQHTTPPublishRequest(
            body: body, tag: "TagA", properties: MQHTTPProperties.encode(properties)))
        XCTAssertEqual(receipt.messageID.count, 32)
        XCTAssertEqual(receipt.messageID, receipt.messageID.uppercased())
        XCTAssertEqual(receipt.bodyMD5, MQHTTPSigner.bodyMD5(of: Array(body.utf8)).uppercased())

        let stored = server.messages(topic: "TopicA")
        XCTAssertEqual(stored.count, 1)
        XCTAssertEqual(stored.first?.id, receipt.messageID)
        XCTAssertEqual(stored.first?.body, body)
        XCTAssertEqual(stored.first?.tag, "TagA")
        XCTAssertEqual(stored.first?.properties, properties)
        XCTAssertNil(stored.first?.startDeliverTime)

        let before = Self.nowMillis()
        let messages = try await client.consume(topic: "TopicA", group: "GID_A", count: 16, waitSeconds: 0, tag: nil)
        XCTAssertEqual(messages.count, 1)
        let message = try XCTUnwrap(messages.first)
        XCTAssertEqual(message.messageID, receipt.messageID)
        XCTAssertEqual(message.body, body)
        XCTAssertEqual(message.tag, "TagA")
        XCTAssertEqual(message.properties.map(MQHTTPProperties.decode), properties)
        XCTAssertEqual(message.bodyMD5, receipt.bodyMD5)
        XCTAssertEqual(message.consumedTimes, 1)
        XCTAssertEqual(message.publishTime, stored.first?.publishTime)
        XCTAssertGreaterThanOrEqual(message.firstConsumeTime, before)
        XCTAssertEqual(message.nextConsumeTime - message.firstConsumeTime, 5_000, "NextConsumeTime is now + invisibleFor")
        XCTAssertEqual(server.deliveryCount(messageID: message.messageID, group: "GID_A"), 1)
        XCTAssertFalse(server.isAcked(messageID: message.messageID, group: "GID_A"))

        let failures = try await client.ack(topic: "TopicA", group: "GID_A", handles: [message.receiptHandle])
        XCTAssertEqual(failures, [])
        XCTAssertTrue(server.isAcked(messageID: message.messageID, group: "GID_A"))
        let again = try await client.consume(topic: "TopicA", group: "GID_A", count: 16, waitSeconds: 0, tag: nil)
        XCTAssertEqual(again, [], "an acked message is gone for its group")
        let second = try await client.ack(topic: "TopicA", group: "GID_A", handles: [message.receiptHandle])
        XCTAssertEqual(second.map(\.code), ["ReceiptHandleError"], "a receipt handle is single-use")

        let otherGroup = try await client.consume(topic: "TopicA", group: "GID_B", count: 16, waitSeconds: 0, tag: nil)
        XCTAssertEqual(otherGroup.map(\.messageID), [receipt.messageID], "every group sees every message")

        let requests = server.requests
        XCTAssertEqual(requests.map(\.method), ["POST", "GET", "DELETE", "GET", "DELETE", "GET"])
        XCTAssertEqual(requests.first?.uri, "/topics/TopicA/messages")
        XCTAssertEqual(requests.first?.header("x-mq-version"), "2015-06-06")
    }

    func testTheTagFilterHandsOutOnlyMatchingMessagesInPublishOrder() async throws {
        let server = try await makeServer()
        let client = try makeClient(server)
        var ids: [String: String] = [:]
        for tag in ["A", "B", "", "C"] {
            ids[tag] = try await client.publish(topic: "TopicA", message: MQHTTPPublishRequest(body: "tag \(tag)", tag: tag, properties: nil)).messageID
        }
        XCTAssertNil(server.messages(topic: "TopicA")[2].tag, "an empty tag is no tag")

        let onlyA = try await client.consume(topic: "TopicA", group: "G1", count: 16, waitSeconds: 0, tag: "A")
        XCTAssertEqual(onlyA.map(\.messageID), [ids["A"]])
        let aOrC = try await client.consume(topic: "TopicA", group: "G2", count: 16, waitSeconds: 0, tag: "A||C")
        XCTAssertEqual(aOrC.map(\.messageID), [ids["A"], ids["C"]])
        let star = try await client.consume(topic: "TopicA", group: "G3", count: 16, waitSeconds: 0, tag: "*")
        XCTAssertEqual(star.map(\.messageID), [ids["A"], ids["B"], ids[""], ids["C"]])
        let firstTwo = try await client.consume(topic: "TopicA", group: "G4", count: 2, waitSeconds: 0, tag: nil)
        XCTAssertEqual(firstTwo.map(\.messageID), [ids["A"], ids["B"]], "numOfMessages bounds the answer")
        let rest = try await client.consume(topic: "TopicA", group: "G4", count: 16, waitSeconds: 0, tag: nil)
        XCTAssertEqual(rest.map(\.messageID), [ids[""], ids["C"]])
    }

    func testTheSignatureCoversTheRawURIWithItsEscapedTag() async throws {
        let server = try await makeServer()
        let client = try makeClient(server)
        _ = try await client.publish(topic: "TopicA", message: MQHTTPPublishRequest(body: "x", tag: "Tag B", properties: nil))
        let messages = try await client.consume(topic: "TopicA", group: "GID_A", count: 1, waitSeconds: 0, tag: "TagA||Tag B")
        XCTAssertEqual(messages.count, 1)
        XCTAssertEqual(server.requests.last?.uri, "/topics/TopicA/messages?consumer=GID_A&numOfMessages=1&tag=TagA%7C%7CTag+B")
    }

    // MARK: Long polling and visibility

    func testALongPollIsAnsweredByALaterPublish() async throws {
        let server = try await makeServer()
        let client = try makeClient(server)
        let started = Date()
        let poll = Task { try await client.consume(topic: "TopicA", group: "GID_A", count: 4, waitSeconds: 20, tag: nil) }
        await server.waitForHeldPolls(atLeast: 1)
        XCTAssertEqual(server.heldPollCount, 1)
        let receipt = try await client.publish(topic: "TopicA", message: MQHTTPPublishRequest(body: "wake up", tag: nil, properties: nil))
        let messages = try await poll.value
        XCTAssertEqual(messages.map(\.messageID), [receipt.messageID])
        XCTAssertEqual(server.heldPollCount, 0)
        XCTAssertLessThan(Date().timeIntervalSince(started), 10, "answered by the publish, not by the end of the wait")
    }

    func testALongPollOfAnotherTagIsNotWokenAndEndsWithNoMessage() async throws {
        let server = try await makeServer()
        let client = try makeClient(server)
        let poll = Task { try await client.consume(topic: "TopicA", group: "GID_A", count: 1, waitSeconds: 1, tag: "Wanted") }
        await server.waitForHeldPolls(atLeast: 1)
        _ = try await client.publish(topic: "TopicA", message: MQHTTPPublishRequest(body: "other", tag: "Other", properties: nil))
        let messages = try await poll.value
        XCTAssertEqual(messages, [], "MessageNotExist once the wait is over")
    }

    func testAnUnackedMessageComesBackAfterInvisibleForAndItsOldHandleDies() async throws {
        let server = try await makeServer(invisibleFor: .milliseconds(600))
        let client = try makeClient(server)
        let receipt = try await client.publish(topic: "TopicA", message: MQHTTPPublishRequest(body: "retry me", tag: nil, properties: nil))
        let firstPoll = try await client.consume(topic: "TopicA", group: "GID_A", count: 1, waitSeconds: 0, tag: nil)
        let first = try XCTUnwrap(firstPoll.first)
        let hidden = try await client.consume(topic: "TopicA", group: "GID_A", count: 1, waitSeconds: 0, tag: nil)
        XCTAssertEqual(hidden, [], "invisible while in flight")

        // A long poll wakes up when the message turns visible again (no sleeping here).
        let secondPoll = try await client.consume(topic: "TopicA", group: "GID_A", count: 1, waitSeconds: 10, tag: nil)
        let second = try XCTUnwrap(secondPoll.first)
        XCTAssertGreaterThanOrEqual(Self.nowMillis(), first.nextConsumeTime)
        XCTAssertEqual(second.messageID, receipt.messageID)
        XCTAssertEqual(second.consumedTimes, 2)
        XCTAssertEqual(second.firstConsumeTime, first.firstConsumeTime)
        XCTAssertNotEqual(second.receiptHandle, first.receiptHandle)
        XCTAssertEqual(server.deliveryCount(messageID: receipt.messageID, group: "GID_A"), 2)

        let stale = try await client.ack(topic: "TopicA", group: "GID_A", handles: [first.receiptHandle, second.receiptHandle])
        XCTAssertEqual(stale, [MQHTTPAckFailure(code: "ReceiptHandleError", message: "The receipt handle you provide is not valid.",
                                                receiptHandle: first.receiptHandle)])
        XCTAssertTrue(server.isAcked(messageID: receipt.messageID, group: "GID_A"), "the valid handle of the same request still acks")
    }

    func testAnAckAfterNextConsumeTimeIsMessageNotExist() async throws {
        let server = try await makeServer(invisibleFor: .milliseconds(300), topics: [("TopicA", nil), ("Idle", nil)])
        let client = try makeClient(server)
        _ = try await client.publish(topic: "TopicA", message: MQHTTPPublishRequest(body: "too slow", tag: nil, properties: nil))
        let consumed = try await client.consume(topic: "TopicA", group: "GID_A", count: 1, waitSeconds: 0, tag: nil)
        let message = try XCTUnwrap(consumed.first)
        // Let the visibility timeout pass by long polling an empty topic for a second.
        let idle = try await client.consume(topic: "Idle", group: "GID_A", count: 1, waitSeconds: 1, tag: nil)
        XCTAssertEqual(idle, [])
        XCTAssertGreaterThan(Self.nowMillis(), message.nextConsumeTime)

        let failures = try await client.ack(topic: "TopicA", group: "GID_A", handles: [message.receiptHandle, "made-up-handle"])
        XCTAssertEqual(failures.map(\.code), ["MessageNotExist", "ReceiptHandleError"])
        XCTAssertEqual(failures.map(\.receiptHandle), [message.receiptHandle, "made-up-handle"])
        XCTAssertFalse(server.isAcked(messageID: message.messageID, group: "GID_A"))
    }

    func testAStartDeliverTimeInTheFutureHidesTheMessageUntilThen() async throws {
        let server = try await makeServer()
        let client = try makeClient(server)
        let start = Self.nowMillis() + 1_000
        let receipt = try await client.publish(topic: "TopicA", message: MQHTTPPublishRequest(
            body: "later", tag: nil, properties: MQHTTPProperties.encode([MQHTTPProperties.startDeliverTimeKey: "\(start)"])))
        XCTAssertEqual(server.messages(topic: "TopicA").first?.startDeliverTime, start)
        let early = try await client.consume(topic: "TopicA", group: "GID_A", count: 1, waitSeconds: 0, tag: nil)
        XCTAssertEqual(early, [])
        let messages = try await client.consume(topic: "TopicA", group: "GID_A", count: 1, waitSeconds: 10, tag: nil)
        XCTAssertEqual(messages.map(\.messageID), [receipt.messageID])
        XCTAssertGreaterThanOrEqual(Self.nowMillis(), start)
        XCTAssertEqual(messages.first?.properties.map(MQHTTPProperties.decode)?[MQHTTPProperties.startDeliverTimeKey], "\(start)")
    }

    func testAConnectionClosedUnderAHeldPollDropsThePoll() async throws {
        let server = try await makeServer()
        let client = try makeClient(server)
        let started = Date()
        let poll = Task { try await client.consume(topic: "TopicA", group: "GID_A", count: 1, waitSeconds: 20, tag: nil) }
        await server.waitForHeldPolls(atLeast: 1)
        poll.cancel()  // AsyncHTTPClient closes the connection of a cancelled request
        _ = try? await poll.value
        await server.waitForNoHeldPolls()
        XCTAssertLessThan(Date().timeIntervalSince(started), 10, "dropped when the connection closed, not at the end of the wait")

        let receipt = try await client.publish(topic: "TopicA", message: MQHTTPPublishRequest(body: "for the living", tag: nil, properties: nil))
        let messages = try await client.consume(topic: "TopicA", group: "GID_A", count: 1, waitSeconds: 0, tag: nil)
        XCTAssertEqual(messages.map(\.messageID), [receipt.messageID], "not handed to the dropped poll")
        XCTAssertEqual(messages.first?.consumedTimes, 1)
    }

    func testShutdownAnswersAHeldPoll() async throws {
        let server = MQHTTPTestServer(credentials: [Self.accessKey: Self.secretKey])
        try await server.start()
        server.createTopic("TopicA")
        let client = try makeClient(server)
        let poll = Task { try await client.consume(topic: "TopicA", group: "GID_A", count: 1, waitSeconds: 30, tag: nil) }
        await server.waitForHeldPolls(atLeast: 1)
        let started = Date()
        await server.shutdown()
        do {
            let messages = try await poll.value
            XCTAssertEqual(messages, [])
        } catch let error as MQHTTPError {
            guard case .transport = error else { return XCTFail("unexpected \(error)") }
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }

    // MARK: Instances and topics

    func testTheInstanceSeparatesStorage() async throws {
        let server = try await makeServer(topics: [("TopicA", nil), ("TopicA", "MQ_INST_1"), ("OnlyDefault", nil)])
        let plain = try makeClient(server)
        let inInstance = try makeClient(server, instance: "MQ_INST_1")

        let receipt = try await inInstance.publish(topic: "TopicA", message: MQHTTPPublishRequest(body: "in instance", tag: nil, properties: nil))
        XCTAssertEqual(server.requests.last?.uri, "/topics/TopicA/messages?ns=MQ_INST_1")
        XCTAssertEqual(server.messages(topic: "TopicA", instance: "MQ_INST_1").map(\.id), [receipt.messageID])
        XCTAssertEqual(server.messages(topic: "TopicA", instance: "MQ_INST_1").first?.instance, "MQ_INST_1")
        XCTAssertEqual(server.messages(topic: "TopicA"), [])

        let fromDefault = try await plain.consume(topic: "TopicA", group: "GID_A", count: 16, waitSeconds: 0, tag: nil)
        XCTAssertEqual(fromDefault, [])
        let fromInstance = try await inInstance.consume(topic: "TopicA", group: "GID_A", count: 16, waitSeconds: 0, tag: nil)
        XCTAssertEqual(fromInstance.map(\.messageID), [receipt.messageID])

        await assertService(404, "TopicNotExist") {
            _ = try await inInstance.publish(topic: "OnlyDefault", message: MQHTTPPublishRequest(body: "x", tag: nil, properties: nil))
        }
        await assertService(404, "TopicNotExist") {
            _ = try await plain.consume(topic: "Nowhere", group: "GID_A", count: 1, waitSeconds: 0, tag: nil)
        }
    }

    // MARK: Authentication

    func testAWrongSecretIsSignatureDoesNotMatch() async throws {
        let server = try await makeServer()
        let client = try makeClient(server, secretKey: "not-the-secret")
        do {
            _ = try await client.publish(topic: "TopicA", message: MQHTTPPublishRequest(body: "x", tag: nil, properties: nil))
            XCTFail("published with a wrong secret")
        } catch let error as MQHTTPError {
            guard case .service(let status, let code, _, let requestID) = error else { return XCTFail("unexpected \(error)") }
            XCTAssertEqual(status, 403)
            XCTAssertEqual(code, "SignatureDoesNotMatch")
            XCTAssertNotNil(requestID)
            XCTAssertTrue(error.isPermissionDenied)
            XCTAssertFalse(error.isRetryable)
        }
        XCTAssertEqual(server.messages(topic: "TopicA"), [])
        XCTAssertEqual(server.requests.count, 1, "refused requests are recorded too")
    }

    func testAnUnknownAccessKeyIsInvalidAccessKeyId() async throws {
        let server = try await makeServer()
        let client = try makeClient(server, accessKey: "LTAI5tSomeoneElse")
        await assertService(403, "InvalidAccessKeyId") {
            _ = try await client.consume(topic: "TopicA", group: "GID_A", count: 1, waitSeconds: 0, tag: nil)
        }
    }

    // MARK: Fault switches

    func testFaultSwitchesReachTheClientAsServiceAndMalformedErrors() async throws {
        let server = try await makeServer()
        let client = try makeClient(server)
        let message = MQHTTPPublishRequest(body: "x", tag: nil, properties: nil)

        server.failNext(2, status: 500, code: "InternalError", message: "injected")
        for _ in 0..<2 {
            do {
                _ = try await client.publish(topic: "TopicA", message: message)
                XCTFail("the fault was not served")
            } catch let error as MQHTTPError {
                guard case .service(500, "InternalError", "injected", let requestID) = error else { return XCTFail("unexpected \(error)") }
                XCTAssertNotNil(requestID)
                XCTAssertTrue(error.isRetryable)
            }
        }
        XCTAssertEqual(server.messages(topic: "TopicA"), [], "a faulted request does nothing")

        server.answerNextWithMalformedBody()
        do {
            _ = try await client.consume(topic: "TopicA", group: "GID_A", count: 1, waitSeconds: 0, tag: nil)
            XCTFail("a malformed answer was accepted")
        } catch let error as MQHTTPError {
            guard case .malformedResponse(200, _) = error else { return XCTFail("unexpected \(error)") }
        }

        _ = try await client.publish(topic: "TopicA", message: message)
        XCTAssertEqual(server.messages(topic: "TopicA").count, 1, "faults are used up")
    }

    // MARK: Hand-made requests

    func testAHandMadeRequestWithAWrongSignatureGets403AndAnErrorBody() async throws {
        let server = try await makeServer()
        // Signed over the unescaped tag, sent escaped: the server signs what it received.
        let refused = try RawHTTP.exchange(port: server.port, RawHTTP.signedRequest(
            method: "GET", uri: "/topics/TopicA/messages?consumer=GID_A&numOfMessages=1&tag=A%7C%7CB",
            signedURI: "/topics/TopicA/messages?consumer=GID_A&numOfMessages=1&tag=A||B"))
        XCTAssertEqual(refused.status, 403)
        let error = try MQHTTPXML.decode(MQHTTPErrorBody.self, from: refused.body)
        XCTAssertEqual(error.code, "SignatureDoesNotMatch")
        XCTAssertEqual(error.requestID, refused.headers["x-mq-request-id"])
        XCTAssertEqual(error.hostID, server.endpoint)
        XCTAssertTrue(String(decoding: refused.body, as: UTF8.self).hasPrefix("<Error xmlns=\"http://mq.aliyuncs.com/doc/v1/\">"))

        // The same request signed right, Python-SDK style (no Content-MD5, no Content-Type).
        let accepted = try RawHTTP.exchange(port: server.port, RawHTTP.signedRequest(
            method: "GET", uri: "/topics/TopicA/messages?consumer=GID_A&numOfMessages=1&tag=A%7C%7CB", contentMD5: .absent, contentType: nil))
        XCTAssertEqual(accepted.status, 404)
        XCTAssertEqual(try MQHTTPXML.decode(MQHTTPErrorBody.self, from: accepted.body),
                       MQHTTPErrorBody(code: "MessageNotExist", message: "Message not exist.", requestID: accepted.headers["x-mq-request-id"],
                                       hostID: server.endpoint))
    }

    func testHandMadeRequestsAreRefusedWithTheServiceCodes() async throws {
        let server = try await makeServer()
        let consume = "/topics/TopicA/messages?consumer=GID_A&numOfMessages=1"
        let cases: [(String, [UInt8], Int, String)] = [
            ("no Authorization", RawHTTP.request(method: "GET", uri: consume, headers: [("Date", MQHTTPSigner.httpDate(Date()))]),
             400, "MissingAuthorizationHeader"),
            ("no Date", RawHTTP.request(method: "GET", uri: consume, headers: [("Authorization", "MQ \(Self.accessKey):x")]),
             400, "MissingDateHeader"),
            ("an hour old", RawHTTP.signedRequest(method: "GET", uri: consume, date: Date().addingTimeInterval(-3600)), 400, "TimeExpired"),
            ("a wrong Content-MD5", RawHTTP.signedRequest(method: "POST", uri: "/topics/TopicA/messages", body: Array("<Message><MessageBody>x</MessageBody></Message>".utf8),
                                                          contentMD5: .value(MQHTTPSigner.contentMD5(of: Array("other".utf8)))), 400, "InvalidDigest"),
            ("another version", RawHTTP.signedRequest(method: "GET", uri: consume, version: "2020-01-01"), 400, "InvalidArgument"),
            ("another path", RawHTTP.signedRequest(method: "GET", uri: "/queues/TopicA/messages?consumer=GID_A&numOfMessages=1"), 400, "InvalidRequestURL"),
            ("17 messages", RawHTTP.signedRequest(method: "GET", uri: "/topics/TopicA/messages?consumer=GID_A&numOfMessages=17"), 400, "InvalidArgument"),
            ("no consumer", RawHTTP.signedRequest(method: "GET", uri: "/topics/TopicA/messages?numOfMessages=1"), 400, "InvalidArgument"),
            ("orderly", RawHTTP.signedRequest(method: "GET", uri: consume + "&trans=order"), 400, "InvalidArgument"),
            ("not XML", RawHTTP.signedRequest(method: "POST", uri: "/topics/TopicA/messages", body: Array("<Message><MessageBody>".utf8)),
             400, "MalformedXML"),
            ("no handles", RawHTTP.signedRequest(method: "DELETE", uri: "/topics/TopicA/messages?consumer=GID_A", body: Array("<ReceiptHandles/>".utf8)),
             400, "MissingReceiptHandle"),
            ("a bad escape", RawHTTP.signedRequest(method: "GET", uri: consume + "&tag=%ZZ"), 400, "InvalidQueryString"),
        ]
        for (name, request, status, code) in cases {
            let answer = try RawHTTP.exchange(port: server.port, request)
            XCTAssertEqual(answer.status, status, name)
            XCTAssertEqual(try? MQHTTPXML.decode(MQHTTPErrorBody.self, from: answer.body).code, code, name)
            XCTAssertNotNil(answer.headers["x-mq-request-id"], name)
        }
        XCTAssertEqual(server.messages(topic: "TopicA"), [])
    }

    func testAnOversizedBodyIs413AndTheServerLivesOn() async throws {
        let server = try await makeServer()
        let request = RawHTTP.signedRequest(method: "POST", uri: "/topics/TopicA/messages", body: [], contentMD5: .absent,
                                            extraHeaders: [("Content-Length", "\(6 * 1024 * 1024)")])
        let answer = try RawHTTP.exchange(port: server.port, request)
        XCTAssertEqual(answer.status, 413)
        XCTAssertEqual(try MQHTTPXML.decode(MQHTTPErrorBody.self, from: answer.body).code, "InvalidArgument")
        XCTAssertEqual(server.requests.count, 1)

        let client = try makeClient(server)
        _ = try await client.publish(topic: "TopicA", message: MQHTTPPublishRequest(body: "after", tag: nil, properties: nil))
        XCTAssertEqual(server.messages(topic: "TopicA").count, 1)
    }

    func testGarbageBytesGetA400OrACloseAndTheServerLivesOn() async throws {
        let server = try await makeServer()
        let garbage: [UInt8] = [0, 1, 2, 0xFF, 0xFE] + Array("\u{7}NOT HTTP AT ALL\r\n\r\n".utf8) + [0x80, 0x81]
        let answer = try RawHTTP.exchange(port: server.port, garbage)
        XCTAssertTrue(answer.raw.isEmpty || answer.status == 400, "got \(String(decoding: answer.raw, as: UTF8.self))")

        let client = try makeClient(server)
        let receipt = try await client.publish(topic: "TopicA", message: MQHTTPPublishRequest(body: "still here", tag: nil, properties: nil))
        let messages = try await client.consume(topic: "TopicA", group: "GID_A", count: 1, waitSeconds: 0, tag: nil)
        XCTAssertEqual(messages.map(\.messageID), [receipt.messageID])
    }

    func testHostileXMLIsRefusedOrDefusedQuickly() async throws {
        let server = try await makeServer()
        let entities = (1...9).map { level in
            "<!ENTITY lol\(level) \"" + String(repeating: "&lol\(level - 1);", count: 10) + "\">"
        }.joined()
        let billionLaughs = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol0 \"lol\">\(entities)]><Message><MessageBody>&lol9;</MessageBody></Message>"
        let externalEntity = "<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY secret SYSTEM \"file:///etc/passwd\">]><Message><MessageBody>&secret;</MessageBody></Message>"
        let deepNesting = "<Message><MessageBody>" + String(repeating: "<a>", count: 100_000)
        let started = Date()
        for body in [billionLaughs, externalEntity, deepNesting] {
            let answer = try RawHTTP.exchange(port: server.port, RawHTTP.signedRequest(method: "POST", uri: "/topics/TopicA/messages", body: Array(body.utf8)))
            if answer.status == 201 {
                let stored = try XCTUnwrap(server.messages(topic: "TopicA").last?.body)
                XCTAssertFalse(stored.contains("lol") || stored.contains("root:"), "an entity was expanded: \(stored.prefix(80))")
            } else {
                XCTAssertEqual(answer.status, 400, String(body.prefix(60)))
                XCTAssertEqual(try? MQHTTPXML.decode(MQHTTPErrorBody.self, from: answer.body).code, "MalformedXML")
            }
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }

    // MARK: Helpers

    static func nowMillis() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    private func makeServer(invisibleFor: Duration = .seconds(5), topics: [(String, String?)] = [("TopicA", nil)]) async throws -> MQHTTPTestServer {
        let server = MQHTTPTestServer(credentials: [Self.accessKey: Self.secretKey], invisibleFor: invisibleFor)
        try await server.start()
        addTeardownBlock { await server.shutdown() }
        for (topic, instance) in topics {
            server.createTopic(topic, instance: instance)
        }
        return server
    }

    private func makeClient(_ server: MQHTTPTestServer, accessKey: String = accessKey, secretKey: String = secretKey,
                            instance: String? = nil) throws -> MQHTTPClient {
        let client = try MQHTTPClient(
            configuration: MQHTTPConfiguration(endpoint: server.endpoint, accessKey: accessKey, secretKey: secretKey, instance: instance),
            logger: Logger(label: "mq-http-test-client"))
        addTeardownBlock { await client.shutdown() }
        return client
    }

    private func assertService(_ status: Int, _ code: String, file: StaticString = #filePath, line: UInt = #line,
                               _ body: () async throws -> Void) async {
        do {
            try await body()
            XCTFail("expected HTTP \(status) \(code)", file: file, line: line)
        } catch MQHTTPError.service(let gotStatus, let gotCode, _, _) {
            XCTAssertEqual(gotStatus, status, file: file, line: line)
            XCTAssertEqual(gotCode, code, file: file, line: line)
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
    }
}

/// The delivery rules of the test server's store, with no sockets and no clock: every time is given.
final class MQHTTPMessageStoreTests: XCTestCase {
    let topic = MQHTTPTopicKey(instance: "", topic: "T")
    var group: MQHTTPGroupKey { MQHTTPGroupKey(topic: topic, group: "G") }

    func testVisibilityHandlesAndExpiryFollowTheGivenTimes() {
        var store = MQHTTPMessageStore()
        store.createTopic(topic)
        let message = store.publish(topic, body: "b", tag: nil, properties: [:], startDeliverTime: nil, now: 1_000)

        let first = store.take(group, filter: .all, count: 16, now: 1_000, invisibleFor: 100)
        XCTAssertEqual(first.map(\.messageID), [message.id])
        XCTAssertEqual(first.first?.nextConsumeTime, 1_100)
        XCTAssertEqual(store.take(group, filter: .all, count: 16, now: 1_099, invisibleFor: 100), [])
        XCTAssertEqual(store.nextVisibleTime(group, filter: .all, now: 1_099), 1_100)
        XCTAssertEqual(store.ack(first[0].receiptHandle, group: group, now: 1_100), .expired, "NextConsumeTime itself is too late")

        let second = store.take(group, filter: .all, count: 16, now: 1_100, invisibleFor: 100)
        XCTAssertEqual(second.first?.consumedTimes, 2)
        XCTAssertEqual(second.first?.firstConsumeTime, 1_000)
        XCTAssertEqual(store.ack(first[0].receiptHandle, group: group, now: 1_150), .invalidHandle, "superseded")
        XCTAssertEqual(store.ack(second[0].receiptHandle, group: MQHTTPGroupKey(topic: topic, group: "Other"), now: 1_150), .invalidHandle,
                       "another group's handle")
        XCTAssertEqual(store.ack(second[0].receiptHandle, group: group, now: 1_199), .acked)
        XCTAssertEqual(store.ack(second[0].receiptHandle, group: group, now: 1_199), .invalidHandle, "single-use")
        XCTAssertNil(store.nextVisibleTime(group, filter: .all, now: 1_199))
        XCTAssertEqual(store.take(group, filter: .all, count: 16, now: 5_000, invisibleFor: 100), [], "acked for good")
        XCTAssertEqual(store.delivery(messageID: message.id, group: "G")?.acked, true)
    }

    func testAStartDeliverTimeHidesAMessageFromEveryGroupUntilThen() {
        var store = MQHTTPMessageStore()
        store.createTopic(topic)
        _ = store.publish(topic, body: "later", tag: "A", properties: [:], startDeliverTime: 2_000, now: 1_000)
        XCTAssertEqual(store.take(group, filter: .all, count: 1, now: 1_999, invisibleFor: 100), [])
        XCTAssertEqual(store.nextVisibleTime(group, filter: .all, now: 1_999), 2_000)
        XCTAssertNil(store.nextVisibleTime(group, filter: MQHTTPTagFilter("B"), now: 1_999), "no wake-up for a tag that never matches")
        XCTAssertEqual(store.take(group, filter: MQHTTPTagFilter("B||A"), count: 1, now: 2_000, invisibleFor: 100).count, 1)
    }

    func testTheTagParameterParsesAsTheServiceDocuments() {
        XCTAssertEqual(MQHTTPTagFilter(nil), .all)
        XCTAssertEqual(MQHTTPTagFilter(""), .all)
        XCTAssertEqual(MQHTTPTagFilter("*"), .all)
        XCTAssertEqual(MQHTTPTagFilter("A||B"), .anyOf(["A", "B"]))
        XCTAssertTrue(MQHTTPTagFilter("A").matches("A"))
        XCTAssertFalse(MQHTTPTagFilter("A").matches(nil))
        XCTAssertTrue(MQHTTPTagFilter(nil).matches(nil))
    }
}

/// Hand-made HTTP/1.1 over a blocking loopback socket: one request, `Connection: close`, read to EOF.
enum RawHTTP {
    struct Response {
        var raw: [UInt8]
        var status: Int
        /// Lower-cased names.
        var headers: [String: String]
        var body: [UInt8]
    }

    /// What to send as Content-MD5.
    enum ContentMD5 {
        case ofBody
        case absent
        case value(String)
    }

    enum Failure: Error {
        case socket(String)
    }

    static func request(method: String, uri: String, headers: [(String, String)], body: [UInt8] = []) -> [UInt8] {
        var text = "\(method) \(uri) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if !body.isEmpty, !headers.contains(where: { $0.0.lowercased() == "content-length" }) {
            text += "Content-Length: \(body.count)\r\n"
        }
        return Array((text + "\r\n").utf8) + body
    }

    /// A request signed like the SDKs do; `signedURI` signs something other than what is sent.
    static func signedRequest(method: String, uri: String, signedURI: String? = nil, body: [UInt8] = [], date: Date = Date(),
                              contentMD5: ContentMD5 = .ofBody, contentType: String? = MQHTTPSigner.contentType,
                              version: String = MQHTTPSigner.protocolVersion, extraHeaders: [(String, String)] = []) -> [UInt8] {
        let md5: String?
        switch contentMD5 {
        case .ofBody: md5 = MQHTTPSigner.contentMD5(of: body)
        case .absent: md5 = nil
        case .value(let value): md5 = value
        }
        let dateText = MQHTTPSigner.httpDate(date)
        let signer = MQHTTPSigner(accessKey: MQHTTPTestServerTests.accessKey, secretKey: MQHTTPTestServerTests.secretKey)
        let stringToSign = MQHTTPSigner.stringToSign(method: method, contentMD5: md5 ?? "", contentType: contentType ?? "", date: dateText,
                                                     mqHeaders: [("X-Mq-Version", version)], resource: signedURI ?? uri)
        var headers: [(String, String)] = [("Date", dateText), ("X-Mq-Version", version), ("Authorization", signer.authorization(of: stringToSign))]
        if let md5 { headers.append(("Content-Md5", md5)) }
        if let contentType { headers.append(("Content-Type", contentType)) }
        return request(method: method, uri: uri, headers: headers + extraHeaders, body: body)
    }

    static func exchange(port: Int, _ bytes: [UInt8]) throws -> Response {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let sendFlags = Int32(MSG_NOSIGNAL)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        let sendFlags: Int32 = 0
        var noSigPipe: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &noSigPipe, socklen_t(MemoryLayout<Int32>.size))
        #endif
        guard fd >= 0 else { throw Failure.socket("socket: errno \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 15, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure.socket("connect: errno \(errno)") }

        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, sendFlags) }
            if count <= 0 { break }  // the server may close early (garbage, oversized): read what it said
            sent += count
        }
        var raw: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            raw += chunk[0..<count]
        }
        return parse(raw)
    }

    static func parse(_ raw: [UInt8]) -> Response {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = (0..<max(0, raw.count - 3)).first(where: { Array(raw[$0..<$0 + 4]) == separator }) else {
            return Response(raw: raw, status: 0, headers: [:], body: [])
        }
        let lines = String(decoding: raw[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let status = lines.first.flatMap { $0.split(separator: " ").dropFirst().first.flatMap { Int($0) } } ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(raw[(end + 4)...])
        if let length = headers["content-length"].flatMap({ Int($0) }), length < body.count { body = Array(body.prefix(length)) }
        return Response(raw: raw, status: status, headers: headers, body: body)
    }
}
