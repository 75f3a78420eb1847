import DaprComponents
import DaprProto
import Foundation
import Logging
import NIOConcurrencyHelpers
import RocketMQClient
@testable import RocketMQBinding
import XCTest

/// The binding's answers to what the real daprd does, tested without sockets: the request metadata
/// it forwards, the keys of the components users move from, the size of what it can receive, its
/// Init budget and its closing nacks.
final class DaprdFitTests: XCTestCase {
    private let component = try! BindingMetadata(properties: ["topics": "orders", "nameServer": "127.0.0.1:9876"])

    // MARK: - Forwarded headers

    /// What daprd's gRPC API puts beside an application's own keys (docs/daprd.md §F).
    private let grpcAPIHeaders = [
        "dapr-authority": "localhost:50001", "user-agent": "grpc-go/1.71.1", "content-type": "application/grpc",
        "grpc-accept-encoding": "identity,deflate,gzip", "authorization": "Bearer app-credential",
        "dapr-api-token": "api-credential", "x-forwarded-for": "10.1.2.3", ":authority": "localhost:50001",
    ]

    func testOnlyApplicationMetadataBecomesMessageProperties() throws {
        let request = try CreateRequest(data: [1], metadata: grpcAPIHeaders.merging([
            "color": "red", "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "tracestate": "",
            "baggage": "userId=alice", "rocketmq-tag": "tagA",
        ]) { $1 }, component: component)
        XCTAssertEqual(request.messages.first?.properties, [
            "color": "red", "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "baggage": "userId=alice",
        ], "transport and credential headers and an empty tracestate are never stored")
        XCTAssertEqual(request.messages.first?.tags, "tagA")
    }

    func testTheDaprdHTTPAPIShapeKeepsANonEmptyTraceContext() throws {
        let request = try CreateRequest(data: [1], metadata: ["traceparent": "00-aa-bb-01", "tracestate": "vendor=1"], component: component)
        XCTAssertEqual(request.messages.first?.properties, ["traceparent": "00-aa-bb-01", "tracestate": "vendor=1"])
    }

    func testMspPropertiesLetsOnlyTheNamedPropertiesAndTheTraceContextTravel() throws {
        let restricted = try BindingMetadata(properties: ["topics": "orders", "nameServer": "127.0.0.1:9876", "mspProperties": "Color, size"])
        XCTAssertEqual(restricted.propertyAllowList, ["color", "size"])
        let request = try CreateRequest(data: [1], metadata: grpcAPIHeaders.merging([
            "color": "red", "size": "L", "shape": "round", "traceparent": "00-aa-bb-01",
        ]) { $1 }, component: restricted)
        XCTAssertEqual(request.messages.first?.properties, ["color": "red", "size": "L", "traceparent": "00-aa-bb-01"])
        XCTAssertEqual(["color": "red", "shape": "round", "tracestate": "x"].allowing(restricted.propertyAllowList),
                       ["color": "red", "tracestate": "x"], "delivered properties follow the same list")
        XCTAssertThrowsError(try BindingMetadata(properties: ["topics": "t", "nameServer": "h:1", "mspProperties": " , "])) { error in
            XCTAssertTrue("\(error)".contains("mspProperties"), "\(error)")
        }
    }

    func testTheVerdictOfEachKindOfKey() {
        for key in ["dapr-authority", ":authority", "User-Agent", "content-type", "grpc-timeout", "authorization", "dapr-api-token",
                    "x-forwarded-host", "x-envoy-upstream", "cookie", "x-component-instance"] {
            XCTAssertEqual(ForwardedHeaders.verdict(key: key, value: "v", allowList: nil), .dropped, key)
        }
        for key in ["color", "traceparent", "orderId", "dapr", "grpc"] {
            XCTAssertEqual(ForwardedHeaders.verdict(key: key, value: "v", allowList: nil), .property, key)
        }
        XCTAssertEqual(ForwardedHeaders.verdict(key: "tracestate", value: "", allowList: nil), .dropped)
        XCTAssertEqual(ForwardedHeaders.verdict(key: "color", value: "v", allowList: ["size"]), .dropped)
        XCTAssertEqual(ForwardedHeaders.verdict(key: "baggage", value: "v", allowList: ["size"]), .property)
    }

    // MARK: - Keys of the built-in binding and of pubsub.rocketmq

    private func parse(_ properties: [String: String]) throws -> BindingMetadata {
        try BindingMetadata(properties: ["topics": "orders", "nameServer": "127.0.0.1:9876"].merging(properties) { $1 })
    }

    func testPubsubKeysAreHonouredUnderTheirOwnNames() throws {
        let metadata = try parse([
            "nameSpace": "ns1", "fromWhere": "ConsumeFromFirstOffset", "sendTimeOutSec": "7", "pullBatchSize": "8",
            "consumerModel": "Clustering", "groupName": "legacy-group", "content-type": "text/plain", "maxReconsumeTimes": "-1",
            "consumeTimeout": "2",
        ])
        XCTAssertEqual(metadata.instanceID, "ns1")
        XCTAssertEqual(metadata.consumerModel, .clustering)
        XCTAssertEqual(try parse(["consumerModel": "BroadCasting"]).consumerModel, .broadcasting, "pubsub.rocketmq's value, any case")
        XCTAssertEqual(metadata.consumeFrom, .first)
        XCTAssertEqual(metadata.sendTimeoutMillis, 7000)
        XCTAssertEqual(metadata.consumerBatchSize, 8)
        XCTAssertEqual(metadata.consumerGroup, "legacy-group")
        XCTAssertEqual(metadata.contentType, "text/plain")
        XCTAssertEqual(metadata.maxReconsumeTimes, 16, "-1 is the clients' default, 16")
        XCTAssertEqual(metadata.consumeTimeout, .seconds(120))
        XCTAssertEqual(metadata.warnings, [])
        XCTAssertEqual(try parse(["fromWhere": "consumefromlastoffset"]).consumeFrom, .last)
        XCTAssertEqual(try parse(["fromWhere": "CONSUMEFROMTIMESTAMP"]).consumeFrom, .timestamp)
        XCTAssertEqual(try parse(["sendTimeOut": "2500000000"]).sendTimeoutMillis, 2500, "the deprecated key is in nanoseconds")
        XCTAssertEqual(try parse(["sendTimeoutMs": "900", "sendTimeOutSec": "7"]).sendTimeoutMillis, 900, "the component's own key wins")
        XCTAssertEqual(try parse([:]).consumeTimeout, .seconds(15 * 60))
    }

    func testKeysThatMeanSomethingElseHereAreAnsweredWithAWarningNamingThem() throws {
        let metadata = try parse(["backOffMaxRetries": "3", "backOffPolicy": "exponential", "pullInterval": "100",
                                  "logLevel": "debug", "producerQueueSelector": "hash", "instanceName": "i1", "autoCommit": "false"])
        XCTAssertEqual(metadata.warnings.count, 7, "\(metadata.warnings)")
        for key in ["backOffMaxRetries", "backOffPolicy", "pullInterval", "logLevel", "producerQueueSelector", "instanceName", "autoCommit"] {
            XCTAssertTrue(metadata.warnings.contains { $0.contains("field \(key):") }, "no warning names \(key): \(metadata.warnings)")
        }
        XCTAssertTrue(metadata.warnings.first { $0.contains("backOffMaxRetries") }?.contains("%DLQ%") == true)
    }

    func testInvalidMigratedValuesNameTheirField() {
        for (properties, field) in [(["consumerModel": "x"], "consumerModel"),
                                    (["sendTimeOutSec": "0"], "sendTimeOutSec"), (["sendTimeOut": "5"], "sendTimeOut"),
                                    (["fromWhere": "yesterday"], "consumeFromWhere"), (["consumeTimeout": "0"], "consumeTimeout"),
                                    (["pullBatchSize": "5000"], "consumerBatchSize"), (["nameSpace": "a b"], "instanceId")] {
            XCTAssertThrowsError(try parse(properties), "\(properties)") { error in
                guard let error = error as? ComponentError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.kind, .invalidArgument)
                XCTAssertTrue(error.message.contains(field), "\(error.message) does not name \(field)")
            }
        }
    }

    // MARK: - The read answer under daprd's 4 MiB limit

    private func object(_ size: Int, id: String) -> (object: [String: Any], text: String) {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: size)
        return (["msgId": id, "topic": "orders", "body": Data(body).base64EncodedString()], String(decoding: body, as: UTF8.self))
    }

    func testALargeTextMessageIsAnsweredWithoutItsBodyTextAndTheAnswerStaysUnderTheLimit() throws {
        var answer = ReadAnswer()
        let large = object(2_000_000, id: "large")
        XCTAssertEqual(try answer.add(large.object, bodyText: large.text), .added)
        let small = object(10, id: "small")
        XCTAssertEqual(try answer.add(small.object, bodyText: small.text), .added)
        let response = answer.response(metadata: ["count": "\(answer.count)"])
        XCTAssertLessThanOrEqual(response.encoded().count, ReadAnswer.limit)
        let decoded = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.data)) as? [[String: Any]])
        XCTAssertEqual(decoded.map { $0["msgId"] as? String }, ["large", "small"])
        XCTAssertNil(decoded[0]["bodyText"], "2 MB of text twice would not fit")
        XCTAssertEqual(decoded[1]["bodyText"] as? String, small.text)
    }

    func testAMessageThatCannotFitEvenAloneIsSaidSoAndOneThatFitsAloneWaits() throws {
        var answer = ReadAnswer()
        let huge = object(4_000_000, id: "huge")
        XCTAssertEqual(try answer.add(huge.object, bodyText: huge.text), .neverFits)
        XCTAssertEqual(answer.count, 0)
        let big = object(2_500_000, id: "big")
        XCTAssertEqual(try answer.add(big.object, bodyText: nil), .added)
        XCTAssertEqual(try answer.add(big.object, bodyText: nil), .full, "a second one fits alone, not beside the first")
        XCTAssertEqual(answer.count, 1)
        XCTAssertLessThanOrEqual(answer.response(metadata: ["count": "1"]).encoded().count, ReadAnswer.limit)
    }

    func testAnEmptyAnswerIsAnEmptyArray() {
        XCTAssertEqual(ReadAnswer().response(metadata: [:]).data, Array("[]".utf8))
    }

    // MARK: - Init's budget

    private var logger: Logger {
        var logger = Logger(label: "gate-test")
        logger.logLevel = .critical
        return logger
    }

    func testAProbeThatNeverAnswersLeavesInitWithinItsBudgetAndConnectsInTheBackground() async throws {
        let release = NIOLockedValueBox<CheckedContinuation<Void, Never>?>(nil)
        let probes = NIOLockedValueBox(0)
        let gate = ConnectionGate("a silent name server", logger: logger) {
            let number = probes.withLockedValue { $0 += 1; return $0 }
            if number == 1 { await withCheckedContinuation { continuation in release.withLockedValue { $0 = continuation } } }
        }
        let started = ContinuousClock.now
        try await gate.start()
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(2))
        XCTAssertThrowsError(try gate.requireReady()) { error in
            XCTAssertEqual((error as? ComponentError)?.kind, .unavailable)
            XCTAssertTrue("\(error)".contains("a silent name server"), "\(error)")
        }
        // The first probe answers late: the gate opens without a second probe overlapping it.
        while release.withLockedValue({ $0 }) == nil { await Task.yield() }
        release.withLockedValue { $0 }?.resume()
        let deadline = ContinuousClock.now + .seconds(10)
        while (try? gate.requireReady()) == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        XCTAssertNoThrow(try gate.requireReady())
        XCTAssertEqual(probes.withLockedValue { $0 }, 1)
        gate.close()
    }

    func testErrorsThatWaitingCannotFixStillFailInitAndTransientOnesRetry() async throws {
        let refused = ConnectionGate("a broker", logger: logger) { throw ComponentError(.permissionDenied, "AclException") }
        do {
            try await refused.start()
            XCTFail("refused credentials fail Init")
        } catch let error as ComponentError {
            XCTAssertEqual(error.kind, .permissionDenied)
        }

        let attempts = NIOLockedValueBox(0)
        let flaky = ConnectionGate("a restarting broker", logger: logger) {
            if attempts.withLockedValue({ $0 += 1; return $0 }) < 3 { throw RocketMQError.unreachable(address: "127.0.0.1:1", reason: "refused") }
        }
        try await flaky.start()
        XCTAssertThrowsError(try flaky.requireReady())
        let deadline = ContinuousClock.now + .seconds(10)
        while (try? flaky.requireReady()) == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        XCTAssertNoThrow(try flaky.requireReady())
        XCTAssertEqual(attempts.withLockedValue { $0 }, 3)
        flaky.close()
        XCTAssertThrowsError(try flaky.requireReady(), "a closed gate serves nothing")
    }

    // MARK: - Closing nacks

    func testDaprdsClosingNackIsRecognisedAndRemembered() {
        let nacks = ClosingNacks()
        XCTAssertFalse(nacks.isClosingNack("app failed"))
        XCTAssertFalse(nacks.closing)
        XCTAssertTrue(nacks.isClosingNack("input binding is closed"))
        XCTAssertTrue(nacks.closing)
        XCTAssertTrue(ClosingNacks().isClosingNack("rpc error: Input Binding Is Closed"))
    }
}
