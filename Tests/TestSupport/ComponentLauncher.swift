import DaprComponents
import Foundation
import XCTest

/// The real `dapr-rocketmq` executable on a temporary socket folder, for the tests that drive the
/// binary: started with `DAPR_COMPONENTS_SOCKETS_FOLDER` set to `folder`, waited for until it
/// serves, and killed, with every other process the test handed over, when the launcher goes
/// (or at `killAll()`).
public final class ComponentLauncher {
    public let folder: TemporaryFolder
    private var processes: [ChildProcess] = []

    public init() throws {
        folder = try TemporaryFolder()
    }

    deinit {
        killAll()
    }

    /// The socket of the default socket name.
    public var socketPath: String { socketPath(named: ComponentSocket.defaultName) }

    public func socketPath(named name: String) -> String { folder.path + "/" + name + ".sock" }

    /// Starts the executable without waiting for anything.
    public func start(_ arguments: [String], environment: [String: String] = [:]) throws -> ChildProcess {
        let process = try ChildProcess(RepositoryPaths.componentExecutable, arguments,
                                       environment: ["DAPR_COMPONENTS_SOCKETS_FOLDER": folder.path].merging(environment) { $1 })
        processes.append(process)
        return process
    }

    /// Starts the executable and waits (bounded) until `socket` (the default one if nil) accepts
    /// connections; the test fails if it never does.
    @discardableResult
    public func launch(_ arguments: [String], environment: [String: String] = [:], socket: String? = nil,
                       file: StaticString = #filePath, line: UInt = #line) throws -> ChildProcess {
        let process = try start(arguments, environment: environment)
        let socket = socket ?? socketPath
        let serving = process.waitForOutput(timeout: 60) { _ in ComponentSocket.isListening(socket) }
        XCTAssertTrue(serving, "never served \(socket): \(process.standardError)", file: file, line: line)
        return process
    }

    /// Another process of the test (a client), killed with the component.
    public func track(_ process: ChildProcess) {
        processes.append(process)
    }

    /// grpcurl (plaintext) with `flags` over the default socket, running `command` ("list",
    /// "describe x", a method), waited for (bounded).
    public func grpcurl(_ flags: [String], _ command: String..., file: StaticString = #filePath, line: UInt = #line)
        throws -> (code: Int32, output: String, errors: String) {
        let grpcurl = try XCTUnwrap(ChildProcess.which("grpcurl"), "grpcurl is needed (scripts/install-dependencies.sh)", file: file, line: line)
        let process = try ChildProcess(grpcurl, ["-plaintext", "-unix"] + flags + [socketPath] + command)
        track(process)
        XCTAssertTrue(process.waitForExit(timeout: 60), "grpcurl \(command) never ended", file: file, line: line)
        return (process.exitCode, process.standardOutput, process.standardError)
    }

    public func killAll() {
        processes.forEach { $0.kill() }
        processes = []
    }
}
