import DaprComponents
import DaprProto
import Foundation
import GRPCCore
import GRPCTestClient
import TestSupport
import Logging
import XCTest

/// The server layer on its own, in process, with test bindings, driven by real gRPC clients:
/// grpcurl (Go) and Python grpcio.
final class ComponentServerTests: XCTestCase {
    private var folder: TemporaryFolder!
    private var server: ComponentServer!
    private var socket: ComponentSocket!

    override func setUp() async throws {
        folder = try TemporaryFolder()
        socket = ComponentSocket(name: "test", environment: ["DAPR_COMPONENTS_SOCKETS_FOLDER": folder.path])
        var configuration = ComponentServer.Configuration(socket: socket)
        configuration.maxReceiveMessageLength = 1024 * 1024
        configuration.shutdownGracePeriod = .seconds(2)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        server = ComponentServer(configuration: configuration, factory: TestBindingFactory(), logger: logger)
        try server.start()
    }

    override func tearDown() async throws {
        await server?.stop()
        server = nil
        folder = nil
    }

    /// Runs `grpcurl -plaintext -unix FLAGS SOCKET COMMAND...` (grpcurl 1.8 takes the socket path with -unix).
    private func grpcurl(_ flags: [String] = [], _ command: String..., file: StaticString = #filePath, line: UInt = #line) throws -> (code: Int32, output: String, errors: String) {
        let grpcurl = try XCTUnwrap(ChildProcess.which("grpcurl"), "grpcurl is needed (scripts/install-dependencies.sh)", file: file, line: line)
        let process = try ChildProcess(grpcurl, ["-plaintext", "-unix"] + flags + [socket.path] + command)
        XCTAssertTrue(process.waitForExit(timeout: 60), "grpcurl timed out", file: file, line: line)
        return (process.exitCode, process.standardOutput, process.standardError)
    }

    func testGrpcurlListsBothBindingServicesThroughReflection() throws {
        let result = try grpcurl([], "list")
        XCTAssertEqual(result.code, 0, result.errors)
        let services = result.output.split(separator: "\n").map(String.init)
        XCTAssertEqual(Set(services), ["dapr.proto.components.v1.InputBinding", "dapr.proto.components.v1.OutputBinding",
                                       "grpc.reflection.v1alpha.ServerReflection", "grpc.reflection.v1.ServerReflection"])
    }

    func testGrpcurlDescribesServicesAndMessages() throws {
        let service = try grpcurl([], "describe", "dapr.proto.components.v1.InputBinding")
        XCTAssertEqual(service.code, 0, service.errors)
        XCTAssertTrue(service.output.contains("rpc Read ( stream .dapr.proto.components.v1.ReadRequest ) returns ( stream .dapr.proto.components.v1.ReadResponse )"), service.output)
        let message = try grpcurl([], "describe", "dapr.proto.components.v1.ReadResponse")
        XCTAssertEqual(message.code, 0, message.errors)
        XCTAssertTrue(message.output.contains("map<string, string> metadata = 2;"), message.output)
        XCTAssertTrue(message.output.contains("string message_id = 4;"), message.output)
    }

    func testGrpcurlUnaryCallsRouteByComponentInstance() throws {
        let initA = try grpcurl(["-H", "x-component-instance: a", "-d", #"{"metadata":{"properties":{"topics":"A"}}}"#], "dapr.proto.components.v1.OutputBinding/Init")
        XCTAssertEqual(initA.code, 0, initA.errors)
        let initDefault = try grpcurl(["-d", #"{"metadata":{"properties":{"topics":"D"}}}"#], "dapr.proto.components.v1.OutputBinding/Init")
        XCTAssertEqual(initDefault.code, 0, initDefault.errors)

        let invokeA = try grpcurl(["-H", "x-component-instance: a", "-d", #"{"operation":"echo","data":"aGk="}"#], "dapr.proto.components.v1.OutputBinding/Invoke")
        XCTAssertEqual(invokeA.code, 0, invokeA.errors)
        XCTAssertTrue(invokeA.output.contains(#""instance": "a""#), invokeA.output)
        XCTAssertTrue(invokeA.output.contains(#""topics": "A""#), invokeA.output)
        XCTAssertTrue(invokeA.output.contains(#""data": "aGk=""#), invokeA.output)

        let invokeDefault = try grpcurl(["-d", #"{"operation":"echo"}"#], "dapr.proto.components.v1.OutputBinding/Invoke")
        XCTAssertEqual(invokeDefault.code, 0, invokeDefault.errors)
        XCTAssertTrue(invokeDefault.output.contains(#""topics": "D""#), invokeDefault.output)

        let operations = try grpcurl(["-H", "x-component-instance: a"], "dapr.proto.components.v1.OutputBinding/ListOperations")
        XCTAssertTrue(operations.output.contains("\"echo\""), operations.output)
    }

    func testErrorsCarryTheirStatusCodes() throws {
        let notInitialised = try grpcurl(["-H", "x-component-instance: nobody", "-d", #"{"operation":"echo"}"#], "dapr.proto.components.v1.OutputBinding/Invoke")
        XCTAssertNotEqual(notInitialised.code, 0)
        XCTAssertTrue(notInitialised.errors.contains("FailedPrecondition"), notInitialised.errors)

        let badInit = try grpcurl(["-d", #"{"metadata":{"properties":{"fail":"yes"}}}"#], "dapr.proto.components.v1.OutputBinding/Init")
        XCTAssertTrue(badInit.errors.contains("InvalidArgument") && badInit.errors.contains("field fail"), badInit.errors)

    }

    func testPingBeforeInitIsAFailedPreconditionOnBothServices() throws {
        for service in ["InputBinding", "OutputBinding"] {
            let ping = try grpcurl(["-H", "x-component-instance: nobody"], "dapr.proto.components.v1.\(service)/Ping")
            XCTAssertNotEqual(ping.code, 0)
            XCTAssertTrue(ping.errors.contains("Code: FailedPrecondition"), ping.errors)
            XCTAssertTrue(ping.errors.contains("\(service) instance nobody is not initialised: call Init first"), ping.errors)
        }
        let initialised = try grpcurl(["-H", "x-component-instance: somebody"], "dapr.proto.components.v1.OutputBinding/Init")
        XCTAssertEqual(initialised.code, 0, initialised.errors)
        let ping = try grpcurl(["-H", "x-component-instance: somebody"], "dapr.proto.components.v1.OutputBinding/Ping")
        XCTAssertEqual(ping.code, 0, ping.errors)
    }

    /// A restarted component (here: a second server on the same folder) is never initialised by
    /// the daprd that initialised the first; every kind of call says so, and logs it once.
    func testCallsForInstancesOfAnEarlierServerAskToRestartDaprd() async throws {
        for service in ["OutputBinding", "InputBinding"] {
            let initialised = try grpcurl(["-H", "x-component-instance: orders", "-d", #"{"metadata":{"properties":{}}}"#],
                                          "dapr.proto.components.v1.\(service)/Init")
            XCTAssertEqual(initialised.code, 0, initialised.errors)
        }
        await server.stop()
        let log = LogRecorder()
        server = ComponentServer(configuration: ComponentServer.Configuration(socket: socket), factory: TestBindingFactory(), logger: log.logger)
        try server.start()
        XCTAssertTrue(log.messages(.info).contains("serving Dapr bindings as component type bindings.test (InputBinding, OutputBinding) on \(socket.path)"),
                      "\(log.all)")

        let orders = ["-H", "x-component-instance: orders"]
        let calls: [(flags: [String], method: String, direction: String)] = [
            (orders + ["-d", #"{"operation":"echo"}"#], "OutputBinding/Invoke", "OutputBinding"),
            (orders, "OutputBinding/ListOperations", "OutputBinding"),
            (orders, "OutputBinding/Ping", "OutputBinding"),
            (orders, "InputBinding/Ping", "InputBinding"),
            (orders + ["-d", "{}"], "InputBinding/Read", "InputBinding"),
            (orders + ["-d", #"{"operation":"echo"}"#], "OutputBinding/Invoke", "OutputBinding"),
        ]
        for call in calls {
            let result = try grpcurl(call.flags, "dapr.proto.components.v1." + call.method)
            XCTAssertNotEqual(result.code, 0, call.method)
            XCTAssertTrue(result.errors.contains("Code: FailedPrecondition"), "\(call.method): \(result.errors)")
            XCTAssertTrue(result.errors.contains("instance orders (\(call.direction)) was initialised by daprd at "), "\(call.method): \(result.errors)")
            XCTAssertTrue(result.errors.contains("in an earlier process of this component (pid \(getpid())); daprd never re-initialises"
                                                 + " a pluggable component after it restarts: restart daprd (on Kubernetes, restart the pod)"),
                          "\(call.method): \(result.errors)")
        }
        let errors = log.messages(.error)
        XCTAssertEqual(errors.count, 2, "one line per instance and direction: \(errors)")
        XCTAssertEqual(Set(errors.map { $0.hasPrefix("instance orders (OutputBinding) was initialised") }), [true, false], "\(errors)")

        let stranger = try grpcurl(["-H", "x-component-instance: stranger", "-d", #"{"operation":"echo"}"#], "dapr.proto.components.v1.OutputBinding/Invoke")
        XCTAssertTrue(stranger.errors.contains("OutputBinding instance stranger is not initialised: call Init first"), stranger.errors)

        // daprd restarted and initialised it again: served as usual.
        let again = try grpcurl(orders + ["-d", #"{"metadata":{"properties":{"topics":"T"}}}"#], "dapr.proto.components.v1.OutputBinding/Init")
        XCTAssertEqual(again.code, 0, again.errors)
        let invoked = try grpcurl(orders + ["-d", #"{"operation":"echo"}"#], "dapr.proto.components.v1.OutputBinding/Invoke")
        XCTAssertEqual(invoked.code, 0, invoked.errors)
        XCTAssertEqual(log.messages(.error).count, 2)
    }

    func testReflectionV1AndV1AlphaAnswerTheSameOverOneStream() async throws {
        let channel = ClientChannel(target: "unix:" + socket.path)
        for version in ["v1", "v1alpha"] {
            let call = channel.makeCall("/grpc.reflection.\(version).ServerReflection/ServerReflectionInfo")
            try await call.send(ReflectionRequest(kind: .listServices("*")).encoded())
            let services = try ReflectionResponse(decoding: try await receive(call))
            guard case .services(let names) = services.kind else { return XCTFail("\(services)") }
            XCTAssertTrue(names.contains("dapr.proto.components.v1.InputBinding") && names.contains("dapr.proto.components.v1.OutputBinding"))

            try await call.send(ReflectionRequest(kind: .fileByFilename("dapr/proto/components/v1/bindings.proto")).encoded())
            let file = try ReflectionResponse(decoding: try await receive(call))
            guard case .fileDescriptors(let files) = file.kind else { return XCTFail("\(file)") }
            XCTAssertEqual(files.count, 2, "the file and its dependency common.proto")

            try await call.send(ReflectionRequest(kind: .fileContainingSymbol("no.such.Symbol")).encoded())
            let missing = try ReflectionResponse(decoding: try await receive(call))
            XCTAssertEqual(missing.kind, .error(code: StatusCode.notFound.rawValue, message: "symbol no.such.Symbol not found"))

            try await call.send(ReflectionRequest(kind: .allExtensionNumbersOfType("dapr.proto.components.v1.ReadRequest")).encoded())
            let extensions = try ReflectionResponse(decoding: try await receive(call))
            guard case .error(let code, _) = extensions.kind else { return XCTFail("\(extensions)") }
            XCTAssertEqual(code, StatusCode.notFound.rawValue)

            try await call.closeSending()
            let end = try await call.receive()
            XCTAssertNil(end)
            let status = await call.status
            XCTAssertEqual(status.code, .ok)
        }
        await channel.close()
    }

    private func receive(_ call: ClientCall) async throws -> [UInt8] {
        let message = try await call.receive()
        return try XCTUnwrap(message, "the stream ended early")
    }

    func testSocketFolderComesFromDaprdsVariableThenTheInjectorsThenTheDefault() {
        XCTAssertEqual(ComponentSocket(environment: ["DAPR_COMPONENTS_SOCKETS_FOLDER": "/a", "DAPR_COMPONENT_SOCKETS_FOLDER": "/b"]).path, "/a/rocketmq.sock")
        XCTAssertEqual(ComponentSocket(environment: ["DAPR_COMPONENT_SOCKETS_FOLDER": "/b"]).path, "/b/rocketmq.sock")
        XCTAssertEqual(ComponentSocket(name: "x", environment: [:]).path, "/tmp/dapr-components-sockets/x.sock")
    }

    func testDaprdSequenceFromPythonGrpcio() throws {
        let result = try runPythonClient(socket: socket.path, ["daprd-sequence", "orders", "5"])
        XCTAssertEqual(Set(result["services"] as? [String] ?? []).isSuperset(of: ["dapr.proto.components.v1.InputBinding", "dapr.proto.components.v1.OutputBinding"]), true)
        XCTAssertEqual(result["operations"] as? [String], ["echo", "slow"])
        XCTAssertEqual(result["invoke_data"] as? String, "hello")
        XCTAssertEqual((result["invoke_metadata"] as? [String: String])?["instance"], "orders")
        let delivered = try XCTUnwrap(result["delivered"] as? [String: Any])
        XCTAssertEqual(Set(delivered["data"] as? [String] ?? []), Set((0..<5).map { "orders:\($0)" }))
        XCTAssertEqual(delivered["ids_unique"] as? Bool, true)
        XCTAssertEqual(delivered["confirmation"] as? String, "acked:5/0", "every out-of-order ack reached its message")
    }

    func testTwoHundredConcurrentUnaryCalls() throws {
        let result = try runPythonClient(socket: socket.path, ["concurrent-unary", "200"])
        XCTAssertEqual(result["ok"] as? Bool, true)
        XCTAssertEqual(result["count"] as? Int, 200)
    }

    func testTwentyConcurrentReadStreams() throws {
        let result = try runPythonClient(socket: socket.path, ["concurrent-reads", "20", "10"])
        XCTAssertEqual(result["counts"] as? [Int], Array(repeating: 10, count: 20))
        XCTAssertEqual(result["confirmations"] as? [String], Array(repeating: "acked:10/0", count: 20))
    }

    func testMalformedUnknownAndOversizeRequestsGetTheirStatus() throws {
        let result = try runPythonClient(socket: socket.path, ["bad-input", "\(2 * 1024 * 1024)"])
        XCTAssertEqual((result["malformed"] as? [String])?.first, "INVALID_ARGUMENT")
        XCTAssertEqual((result["unknown_method"] as? [String])?.first, "UNIMPLEMENTED")
        XCTAssertEqual((result["oversize"] as? [String])?.first, "RESOURCE_EXHAUSTED")
        XCTAssertEqual((result["before_init"] as? [String])?.first, "FAILED_PRECONDITION")
        XCTAssertEqual((result["still_serving"] as? [String])?.first, "FAILED_PRECONDITION", "the server keeps serving after bad input")
    }

    func testStopEndsOpenReadStreamsAndRemovesTheSocket() async throws {
        let python = try XCTUnwrap(ChildProcess.which("python3"))
        let client = try ChildProcess(python, [RepositoryPaths.pythonClient, socket.path, "open-read", "held"])
        XCTAssertTrue(client.waitForOutput(timeout: 60) { $0.contains("\"open\": true") }, client.standardError)
        await server.stop()
        server = nil
        XCTAssertTrue(client.waitForExit(timeout: 30))
        XCTAssertTrue(client.standardOutput.contains(#""ended": "OK""#), client.standardOutput + client.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: socket.path))
    }
}
