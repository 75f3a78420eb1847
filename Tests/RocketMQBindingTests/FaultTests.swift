import DaprComponents
import DaprProto
import Foundation
import GRPCCore
import GRPCTestClient
import Logging
import RocketMQBinding
import RocketMQTestBroker
import TestSupport
import XCTest

/// The delivery contract under faults: broker connections dropped, brokers restarted, name servers
/// down, the component killed, garbage from the network, secrets in logs, and resources over many
/// stream and Init cycles.
final class FaultTests: XCTestCase {
    private var folder: TemporaryFolder!
    private var broker: RocketMQTestBroker!
    private var processes: [ChildProcess] = []

    override func setUp() async throws {
        folder = try TemporaryFolder()
        var configuration = RocketMQTestBrokerConfiguration()
        configuration.delayTimeScale = 0.005
        configuration.logger.logLevel = .critical
        broker = try await RocketMQTestBroker.start(configuration)
    }

    override func tearDown() async throws {
        processes.forEach { $0.kill() }
        processes = []
        try? await broker.shutdown()
        folder = nil
    }

    private var socketPath: String { folder.path + "/rocketmq.sock" }

    private func properties(_ extra: [String: String] = [:]) -> [String: String] {
        ["topics": "faults", "nameServer": broker.nameServerAddress, "consumerGroup": "faults-app", "consumeFromWhere": "first"]
            .merging(extra) { $1 }
    }

    /// The real component, on the temporary socket folder.
    private func launchComponent(logLevel: String = "warning") throws -> ChildProcess {
        let component = try ChildProcess(RepositoryPaths.componentExecutable, ["--log-level", logLevel],
                                         environment: ["DAPR_COMPONENTS_SOCKETS_FOLDER": folder.path])
        processes.append(component)
        let deadline = Date().addingTimeInterval(30)
        while !ComponentSocket.isListening(socketPath), Date() < deadline, component.process.isRunning {
            Thread.sleep(forTimeInterval: 0.01)
        }
        XCTAssertTrue(ComponentSocket.isListening(socketPath), component.standardError)
        return component
    }

    private func python(_ scenario: String, _ arguments: [String: Any]) throws -> ChildProcess {
        let client = try startScenario(socket: socketPath, scenario, arguments)
        processes.append(client)
        return client
    }

    private func result(_ scenario: String, _ arguments: [String: Any]) throws -> [String: Any] {
        try runScenario(socket: socketPath, scenario, arguments, timeout: 600)
    }

    private static func invoke(_ channel: ClientChannel, _ method: String, _ request: ProtoMessage, instance: String) async throws -> [UInt8] {
        try await channel.unary("/dapr.proto.components.v1.\(method)", request.encoded(), metadata: ["x-component-instance": instance], timeout: .seconds(60))
    }

    func testAConnectionDroppedMidSendIsRetriedOrReportedNeverAFalseSuccess() async throws {
        _ = try launchComponent()
        let channel = ClientChannel(target: "unix:" + socketPath)
        _ = try await Self.invoke(channel, "OutputBinding/Init", BindingInitRequest(properties: properties(["sendTimeoutMs": "1000"])), instance: "drop")
        try await broker.setResponseDelay(.milliseconds(300))
        let sendsBefore = try await broker.requestCount(.sendMessageV2)
        let outcomes = try await withThrowingTaskGroup(of: Result<[String: String], GRPCStatus>.self) { group in
            for index in 0..<20 {
                group.addTask {
                    do {
                        let bytes = try await Self.invoke(channel, "OutputBinding/Invoke", InvokeRequest(data: Array("drop-\(index)".utf8), operation: "create"), instance: "drop")
                        return .success(try InvokeResponse(decoding: bytes).metadata)
                    } catch let status as GRPCStatus {
                        return .failure(status)
                    }
                }
            }
            // Once the sends are at the broker (held by the delay), cut every connection.
            while try await broker.requestCount(.sendMessageV2) < sendsBefore + 20 { try await Task.sleep(for: .milliseconds(5)) }
            try await broker.dropAllConnections()
            try await broker.setResponseDelay(nil)
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let stored = Set(try await broker.messages(topic: "faults").map(\.msgId))
        for outcome in outcomes {
            switch outcome {
            case .success(let metadata):
                XCTAssertTrue(stored.contains(metadata["msgId"] ?? "?"), "reported success for \(metadata) but the broker does not have it")
            case .failure(let status):
                XCTAssertTrue([.unavailable, .deadlineExceeded].contains(status.code), "\(status)")
                XCTAssertFalse(status.message.isEmpty)
            }
        }
        await channel.close()
    }

    func testTheConsumerResumesAfterABrokerRestartWithoutLoss() async throws {
        _ = try launchComponent()
        let consumer = try python("consume", ["instance": "restart", "properties": properties(["consumerThreadNums": "32"]),
                                              "count": 2000, "error_rate": 0.0])
        // Restart the broker once consumption is under way.
        let deadline = Date().addingTimeInterval(120)
        while try await broker.requestCount(.pullMessage) < 20, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        try await broker.restart()
        XCTAssertTrue(consumer.waitForExit(timeout: 600), consumer.standardError)
        let line = try XCTUnwrap(consumer.standardOutput.split(separator: "\n").last)
        let result = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(result["distinct_succeeded"] as? Int, 2000)
        XCTAssertEqual(result["missing"] as? [String], [])
        XCTAssertEqual(result["duplicates_after_success"] as? Int, 0, "only unacked messages may come twice")
        // A send whose reply the restart cut off is retried and may be stored twice (sends are
        // at-least-once, as in Apache's clients); the copy must keep the message's unique key.
        XCTAssertNotNil(result["stored_twice"] as? Int)
        XCTAssertEqual(result["stored_twice_under_another_msg_id"] as? Int, 0, "a retried send keeps its msgId")
    }

    func testNameServerDownAtInitIsUnavailableThenRecoversWithoutARestart() async throws {
        _ = try launchComponent()
        try await broker.stop()
        // Waiting can fix a name server that is down: Init succeeds (daprd would not start
        // otherwise), and create says UNAVAILABLE, naming it, until the binding has connected.
        let down = try result("statuses", ["instance": "ns", "calls": [
            ["output", properties(["retries": "1"])], ["input", properties(["retries": "1"])], ["create", [:]],
        ]])
        let statuses = try XCTUnwrap(down["statuses"] as? [[String]])
        XCTAssertEqual(statuses.map { $0[0] }, ["OK", "OK", "UNAVAILABLE"])
        XCTAssertTrue(statuses[2][1].contains(broker.nameServerAddress), statuses[2][1])
        try await broker.restart()
        let back = try result("roundtrip", ["instance": "ns", "properties": properties()])
        XCTAssertEqual(back["data_hex"] as? String, "0068656c6c6fff")
    }

    func testKillingTheComponentMidStreamLosesNoneOfTenThousandMessages() async throws {
        for index in 0..<10_000 {
            try await broker.publish(topic: "faults", queueId: Int32(index % 4), body: Array("k-\(index)".utf8))
        }
        var component = try launchComponent()
        let arguments: [String: Any] = ["instance": "kill", "properties": properties(["consumerThreadNums": "64"]), "expected": 10_000]
        let first = try python("ack-all", arguments)
        XCTAssertTrue(first.waitForOutput(timeout: 300) { $0.components(separatedBy: "acked ").count > 3000 }, first.standardError)
        component.signal(SIGKILL)
        XCTAssertTrue(component.waitForExit(timeout: 30))
        XCTAssertTrue(first.waitForExit(timeout: 60))
        let seen = Set(first.standardOutput.split(separator: "\n").filter { $0.hasPrefix("acked ") }.map { String($0.dropFirst(6)) })
        XCTAssertGreaterThan(seen.count, 3000)
        XCTAssertLessThan(seen.count, 10_000, "the kill came mid-stream")

        component = try launchComponent()  // over the stale socket the killed process left
        let seenFile = folder.path + "/seen.txt"
        try seen.joined(separator: "\n").write(toFile: seenFile, atomically: true, encoding: .utf8)
        let second = try python("ack-all", arguments.merging(["seen": seenFile]) { $1 })
        XCTAssertTrue(second.waitForExit(timeout: 600), second.standardError)
        XCTAssertTrue(second.standardOutput.contains(#"{"remaining": 0}"#), "messages were lost: \(second.standardOutput.suffix(300))")
    }

    func testStreamAndInitCyclesKeepDescriptorsThreadsAndMemoryBounded() async throws {
        let component = try launchComponent()
        let figures = { () -> (fds: Int, threads: Int, rssKiB: Int) in
            let pid = component.process.processIdentifier
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            func field(_ name: String) -> Int {
                status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
                    .flatMap { Int($0.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") } ?? -1
            }
            return (fds, field("Threads"), field("VmRSS"))
        }
        // A first round warms up the pools, so the comparison is between steady states.
        _ = try result("cycles", ["instance": "warm", "properties": properties(), "reads": 5, "inits": 10])
        let before = figures()
        _ = try result("cycles", ["instance": "cycles", "properties": properties(), "reads": 100, "inits": 1000])
        let after = figures()
        XCTAssertLessThanOrEqual(after.fds - before.fds, 8, "file descriptors: \(before) → \(after)")
        XCTAssertLessThanOrEqual(after.threads - before.threads, 4, "threads: \(before) → \(after)")
        // Under AddressSanitizer (scripts/test-asan.sh) freed memory is held in quarantine and
        // redzones grow every block, so resident size says nothing about leaks there.
        if ProcessInfo.processInfo.environment["ASAN_OPTIONS"] == nil {
            XCTAssertLessThanOrEqual(after.rssKiB - before.rssKiB, 64 * 1024, "memory: \(before) → \(after)")
        }
    }

    func testSecretsNeverReachTheLogsEvenAtTrace() async throws {
        try await broker.shutdown()
        var configuration = RocketMQTestBrokerConfiguration()
        configuration.acl = .init(accessKey: "rmqUser", secretKey: "s3cr3t-Value-91")
        configuration.logger.logLevel = .critical
        broker = try await RocketMQTestBroker.start(configuration)
        let component = try launchComponent(logLevel: "trace")
        let secret = properties(["accessKey": "rmqUser", "secretKey": "s3cr3t-Value-91", "securityToken": "t0ken-Value-77"])
        let wrong = properties(["accessKey": "rmqUser", "secretKey": "wr0ng-Value-55"])
        let outcome = try result("statuses", ["instance": "secret", "calls": [
            ["output", secret], ["create", [:]], ["input", secret], ["output", wrong], ["create", [:]],
        ]])
        XCTAssertEqual((outcome["statuses"] as? [[String]])?.map { $0[0] }, ["OK", "OK", "OK", "PERMISSION_DENIED", "FAILED_PRECONDITION"])
        component.signal(SIGTERM)
        XCTAssertTrue(component.waitForExit(timeout: 30))
        let logs = component.standardError + component.standardOutput
        XCTAssertTrue(logs.contains("trace") || logs.contains("debug"), "the component logged at trace level")
        for value in ["s3cr3t-Value-91", "t0ken-Value-77", "wr0ng-Value-55"] {
            XCTAssertFalse(logs.contains(value), "\(value) appeared in the logs")
            XCTAssertFalse("\(outcome)".contains(value), "\(value) appeared in an error")
        }
    }

    func testGarbageFromANameServerIsAnErrorAndOtherInstancesKeepWorking() async throws {
        let garbage = try GarbageServer()
        defer { garbage.stop() }
        _ = try launchComponent()
        let outcome = try result("statuses", ["instance": "garbage", "calls": [
            ["output", properties(["nameServer": "127.0.0.1:\(garbage.port)", "retries": "1"])], ["create", [:]],
        ]])
        XCTAssertEqual((outcome["statuses"] as? [[String]])?.map { $0[0] }, ["OK", "UNAVAILABLE"], "\(outcome)")
        let healthy = try result("roundtrip", ["instance": "healthy", "properties": properties()])
        XCTAssertEqual(healthy["data_hex"] as? String, "0068656c6c6fff", "the process keeps serving other instances")
    }
}

/// A TCP server on an ephemeral loopback port that answers every connection with bytes that are
/// not a RocketMQ frame (an absurd frame length, then junk) and closes mid-frame.
final class GarbageServer: @unchecked Sendable {
    let port: Int
    private let descriptor: Int32
    private let thread: Thread

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        descriptor = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        thread = Thread {
            while true {
                let connection = accept(listener, nil, nil)
                if connection < 0 { return }
                var junk: [UInt8] = [0x7F, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x00, 0x05] + Array("{not json".utf8)
                _ = write(connection, &junk, junk.count)
                close(connection)
            }
        }
        thread.start()
    }

    func stop() {
        shutdown(descriptor, Int32(SHUT_RDWR))
        close(descriptor)
    }
}
