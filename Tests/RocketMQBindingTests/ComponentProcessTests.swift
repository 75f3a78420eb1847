import DaprComponents
import Foundation
import MQHTTPTestServer
import TestSupport
import XCTest

/// The real `dapr-rocketmq` executable, started on a temporary socket folder with its demo test
/// broker, driven by grpcurl and Python grpcio; every process is killed at the end.
final class ComponentProcessTests: XCTestCase {
    private var launcher: ComponentLauncher!

    override func setUp() async throws {
        launcher = try ComponentLauncher()
    }

    override func tearDown() async throws {
        launcher = nil
    }

    private var socketPath: String { launcher.socketPath }

    @discardableResult
    private func launch(_ arguments: [String] = ["--demo-broker"], file: StaticString = #filePath, line: UInt = #line) throws -> ChildProcess {
        try launcher.launch(arguments + ["--log-level", "warning"], file: file, line: line)
    }

    private func scenario(_ name: String, _ arguments: [String: Any]) throws -> [String: Any] {
        try runScenario(socket: socketPath, name, arguments)
    }

    func testGrpcurlListsDescribesAndInvokesWithAndWithoutInstanceHeader() throws {
        try launch()
        let list = try launcher.grpcurl([], "list")
        XCTAssertEqual(list.code, 0, list.errors)
        XCTAssertTrue(list.output.contains("dapr.proto.components.v1.InputBinding") && list.output.contains("dapr.proto.components.v1.OutputBinding"), list.output)
        let describe = try launcher.grpcurl([], "describe", "dapr.proto.components.v1.OutputBinding.Invoke")
        XCTAssertTrue(describe.output.contains("rpc Invoke ( .dapr.proto.components.v1.InvokeRequest ) returns ( .dapr.proto.components.v1.InvokeResponse )"), describe.output)

        for header in [["-H", "x-component-instance: named"], []] {
            let initialised = try launcher.grpcurl(header + ["-d", #"{"metadata":{"properties":{"topics":"grpcurl-topic"}}}"#], "dapr.proto.components.v1.OutputBinding/Init")
            XCTAssertEqual(initialised.code, 0, initialised.errors)
            let operations = try launcher.grpcurl(header, "dapr.proto.components.v1.OutputBinding/ListOperations")
            XCTAssertTrue(operations.output.contains("\"create\"") && operations.output.contains("\"read\""), operations.output)
            let created = try launcher.grpcurl(header + ["-d", #"{"operation":"create","data":"aGk="}"#], "dapr.proto.components.v1.OutputBinding/Invoke")
            XCTAssertEqual(created.code, 0, created.errors)
            XCTAssertTrue(created.output.contains(#""topic": "grpcurl-topic""#), created.output)
        }
        let ping = try launcher.grpcurl(["-H", "x-component-instance: named"], "dapr.proto.components.v1.OutputBinding/Ping")
        XCTAssertEqual(ping.code, 0, ping.errors)
    }

    func testGrpcurlDrivesTheHTTPAccessProtocolThroughTheBinary() async throws {
        let service = MQHTTPTestServer(credentials: ["grpcurl-ak": "grpcurl-sk"])
        try await service.start()
        service.createTopic("http-topic")
        addTeardownBlock { await service.shutdown() }
        try launch([])
        let properties = #"{"metadata":{"properties":{"accessProto":"http","endpoint":"\#(service.endpoint)","accessKey":"grpcurl-ak","secretKey":"grpcurl-sk","topics":"http-topic","consumerGroup":"GID_grpcurl"}}}"#
        let initialised = try launcher.grpcurl(["-d", properties], "dapr.proto.components.v1.OutputBinding/Init")
        XCTAssertEqual(initialised.code, 0, initialised.errors)
        let created = try launcher.grpcurl(["-d", #"{"operation":"create","data":"aGk=","metadata":{"rocketmq-tag":"t1"}}"#], "dapr.proto.components.v1.OutputBinding/Invoke")
        XCTAssertEqual(created.code, 0, created.errors)
        XCTAssertTrue(created.output.contains(#""bodyMD5""#), created.output)
        XCTAssertEqual(service.messages(topic: "http-topic").map(\.body), ["hi"])
        let read = try launcher.grpcurl(["-d", #"{"operation":"read"}"#], "dapr.proto.components.v1.OutputBinding/Invoke")
        XCTAssertEqual(read.code, 0, read.errors)
        let answer = try XCTUnwrap(read.output.range(of: #""data": ""#).map { read.output[$0.upperBound...].prefix { $0 != "\"" } })
        let messages = try XCTUnwrap(JSONSerialization.jsonObject(with: try XCTUnwrap(Data(base64Encoded: String(answer)))) as? [[String: Any]])
        XCTAssertEqual(messages.map { $0["bodyText"] as? String }, ["hi"])
        XCTAssertEqual(messages.first?["tags"] as? String, "t1")
        let wrong = properties.replacingOccurrences(of: "grpcurl-sk", with: "not-the-secret")
        let refused = try launcher.grpcurl(["-d", wrong], "dapr.proto.components.v1.InputBinding/Init")
        XCTAssertTrue(refused.errors.contains("PermissionDenied"), refused.errors)
    }

    func testDaprdSequenceFromPythonAgainstTheBinary() throws {
        try launch()
        let result = try scenario("roundtrip", ["instance": "orders", "properties": ["topics": "seq", "consumerGroup": "seq-app", "consumeFromWhere": "first"]])
        XCTAssertEqual(result["operations"] as? [String], ["create", "read"])
        XCTAssertEqual(result["data_hex"] as? String, "0068656c6c6fff")
        XCTAssertEqual((result["metadata"] as? [String: String])?["topic"], "seq")
        XCTAssertEqual(result["more"] as? [String], (0..<5).map { "more-\($0)" })
        XCTAssertEqual(result["following"] as? String, "last", "acks in reverse order were taken: nothing came again")
    }

    func testTwoHundredConcurrentCreatesAndTwentyConcurrentReadStreams() throws {
        try launch()
        let creates = try scenario("concurrent-creates", ["instance": "load", "count": 200, "properties": ["topics": "load"]])
        XCTAssertEqual(creates["ok"] as? Int, 200)
        XCTAssertEqual(creates["distinct_positions"] as? Int, 200, "every message has its own queue position")
        let streams = try scenario("concurrent-streams", ["streams": 20, "properties": ["consumeFromWhere": "first"]])
        XCTAssertEqual(streams["received"] as? [String], (0..<20).map { "s-\($0)" })
    }

    func testSigtermWithAStreamOpenEndsItRemovesTheSocketAndExitsZero() throws {
        let component = try launch()
        let client = try startScenario(socket: socketPath, "hold", [
            "instance": "held", "properties": ["topics": "held", "consumerGroup": "held-app", "consumeFromWhere": "first"]])
        launcher.track(client)
        XCTAssertTrue(client.waitForOutput(timeout: 60) { $0.contains(#""open": true"#) }, client.standardError)
        component.signal(SIGTERM)
        XCTAssertTrue(component.waitForExit(timeout: 30), "the component did not exit after SIGTERM")
        XCTAssertEqual(component.exitCode, 0, component.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: socketPath), "the socket was removed")
        XCTAssertTrue(client.waitForExit(timeout: 30))
        XCTAssertTrue(client.standardOutput.contains(#""ended": "OK""#), client.standardOutput + client.standardError)
    }

    func testAStaleSocketIsReplacedAndALiveOneRefused() throws {
        // A stale socket: bound once, nothing listening.
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: socketPath.utf8)
            raw[socketPath.utf8.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(stale, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        XCTAssertEqual(bound, 0)
        close(stale)
        XCTAssertTrue(FileManager.default.fileExists(atPath: socketPath))

        try launch([])
        let attributes = try FileManager.default.attributesOfItem(atPath: socketPath)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o666, "other users (daprd) may connect")

        let second = try launcher.start(["--log-level", "warning"])
        XCTAssertTrue(second.waitForExit(timeout: 30), "a second component on a live socket must not start")
        XCTAssertNotEqual(second.exitCode, 0)
        XCTAssertTrue(second.standardError.contains("already serving"), second.standardError)
        XCTAssertTrue(ComponentSocket.isListening(socketPath), "the first component still serves")
    }

    func testBadFlagsAreReportedNotIgnored() throws {
        let component = try launcher.start(["--log-level", "loud"])
        XCTAssertTrue(component.waitForExit(timeout: 30))
        XCTAssertEqual(component.exitCode, 2)
        XCTAssertTrue(component.standardError.contains("The value 'loud' is invalid for '--log-level <level>'"), component.standardError)
    }
}
