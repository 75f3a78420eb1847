import Foundation
import XCTest

/// A process started by a test: output captured, killed when the test is done with it.
public final class ChildProcess: @unchecked Sendable {
    public let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let errors = Pipe()
    private let lock = NSLock()
    private var stdoutData = Data()
    private var stderrData = Data()
    private let exited = DispatchSemaphore(value: 0)
    private var readers: [DispatchSemaphore] = []

    /// Reads `handle` to its end on a thread of its own; the returned semaphore fires at the end.
    private static func drain(_ handle: FileHandle, _ append: @escaping @Sendable (Data) -> Void) -> DispatchSemaphore {
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                append(data)
            }
            done.signal()
        }
        return done
    }

    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        // Plain reader threads, not readability handlers: a dispatch source whose descriptor is
        // closed under it can crash libdispatch. Each thread ends at end of file.
        readers = [
            Self.drain(output.fileHandleForReading) { [weak self] data in self?.lock.withLock { self?.stdoutData.append(data) } },
            Self.drain(errors.fileHandleForReading) { [weak self] data in self?.lock.withLock { self?.stderrData.append(data) } },
        ]
        process.terminationHandler = { [exited] _ in exited.signal() }
        try process.run()
    }

    /// A program of the project's tool environment (`.venv/bin`, made by
    /// scripts/install-dependencies.sh: python3 with grpcio, grpcurl), else one found on PATH.
    public static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let folders = [RepositoryPaths.root.appendingPathComponent(".venv/bin").path] + path.split(separator: ":").map(String.init)
        return folders.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public var standardOutput: String { lock.withLock { String(decoding: stdoutData, as: UTF8.self) } }
    public var standardError: String { lock.withLock { String(decoding: stderrData, as: UTF8.self) } }

    /// Waits for exit; false if it is still running after `timeout` (then it is killed).
    @discardableResult
    public func waitForExit(timeout: TimeInterval) -> Bool {
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            kill()
            return false
        }
        exited.signal()  // leave the semaphore signalled for later waits
        // The child is gone; its output ends once any grandchild holding the pipes is gone too.
        for reader in readers {
            if reader.wait(timeout: .now() + 5) == .success { reader.signal() }
        }
        return true
    }

    public var exitCode: Int32 { process.terminationStatus }

    /// Closes the child's standard input (a "you may finish now" signal for scripts that wait on it).
    public func closeInput() {
        try? input.fileHandleForWriting.close()
    }

    /// Polls the captured output until `predicate` holds, at most `timeout`.
    public func waitForOutput(timeout: TimeInterval, _ predicate: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if predicate(standardOutput) { return true }
            if !process.isRunning { return predicate(standardOutput) }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    public func signal(_ signal: Int32) {
        if process.isRunning { Foundation.kill(process.processIdentifier, signal) }
    }

    public func kill() {
        signal(SIGKILL)
        exited.wait()
        exited.signal()
    }

    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }
}

/// A fresh folder for sockets, removed at the end of the test.
public final class TemporaryFolder {
    public let path: String

    public init() throws {
        path = NSTemporaryDirectory() + "dapr-rocketmq-test-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

public enum RepositoryPaths {
    /// The repository root, found from this file's location.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let pythonClient = root.appendingPathComponent("Tests/Clients/dapr_client.py").path
    public static let rocketMQScenarios = root.appendingPathComponent("Tests/Clients/rocketmq_scenarios.py").path
    /// The component executable built beside the test bundle.
    public static var componentExecutable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dapr-rocketmq").path
    }
}

/// Runs a Python grpcio client script (`dapr_client.py` by default) and decodes its last JSON line.
public func runPythonClient(socket: String, _ arguments: [String], script: String = RepositoryPaths.pythonClient,
                            timeout: TimeInterval = 120, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
    let python = try XCTUnwrap(ChildProcess.which("python3"), "python3 is needed (scripts/install-dependencies.sh)", file: file, line: line)
    let client = try ChildProcess(python, [script, socket] + arguments)
    XCTAssertTrue(client.waitForExit(timeout: timeout), "python client timed out", file: file, line: line)
    XCTAssertEqual(client.exitCode, 0, "python client failed: \(client.standardError)", file: file, line: line)
    let lastLine = try XCTUnwrap(client.standardOutput.split(separator: "\n").last, "no output; stderr: \(client.standardError)", file: file, line: line)
    return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lastLine.utf8)) as? [String: Any], file: file, line: line)
}

/// Runs one scenario of `rocketmq_scenarios.py` with `arguments` as its JSON and decodes its result.
public func runScenario(socket: String, _ name: String, _ arguments: [String: Any], timeout: TimeInterval = 300,
                        file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
    try runPythonClient(socket: socket, [name, scenarioJSON(arguments)], script: RepositoryPaths.rocketMQScenarios,
                        timeout: timeout, file: file, line: line)
}

/// Starts one scenario of `rocketmq_scenarios.py` with `arguments` as its JSON, without waiting:
/// for the scenarios that report while they run and end when their standard input closes.
public func startScenario(socket: String, _ name: String, _ arguments: [String: Any],
                          file: StaticString = #filePath, line: UInt = #line) throws -> ChildProcess {
    let python = try XCTUnwrap(ChildProcess.which("python3"), "python3 is needed (scripts/install-dependencies.sh)", file: file, line: line)
    return try ChildProcess(python, [RepositoryPaths.rocketMQScenarios, socket, name, scenarioJSON(arguments)])
}

private func scenarioJSON(_ arguments: [String: Any]) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: arguments), as: UTF8.self)
}
