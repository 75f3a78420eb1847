import ArgumentParser
import DaprComponents
@testable import dapr_rocketmq
import Foundation
import Logging
import TestSupport
import XCTest

/// The executable's command line: parsed in process (flags, environment variables, the same
/// checks for both), then the built binary itself (--version, --help, usage errors, the start-up
/// log). Every process started here is killed at the end.
final class CommandLineTests: XCTestCase {
    private var launcher: ComponentLauncher!

    override func setUp() async throws {
        launcher = try ComponentLauncher()
    }

    override func tearDown() async throws {
        launcher = nil
    }

    private var folder: TemporaryFolder { launcher.folder }

    private func settings(_ arguments: [String], _ environment: [String: String] = [:]) throws -> Settings {
        try DaprRocketMQ.parse(arguments).settings(environment: environment)
    }

    /// The message of the usage error that `body` throws.
    private func usageError(_ body: () throws -> Settings, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            let settings = try body()
            XCTFail("accepted: \(settings)", file: file, line: line)
            return ""
        } catch {
            XCTAssertEqual(DaprRocketMQ.exitCode(for: error), .validationFailure, "\(error)", file: file, line: line)
            return DaprRocketMQ.message(for: error)
        }
    }

    // MARK: - Parsing

    func testFlagsInAnyOrderWithOrWithoutEqualsAndTheLastDemoBrokerFlagWins() throws {
        XCTAssertEqual(try settings([]), Settings(socketName: "rocketmq", logLevel: .info, demoBroker: false))
        XCTAssertEqual(try settings(["--log-level=debug", "--demo-broker", "--socket-name", "x", "--no-demo-broker"]),
                       Settings(socketName: "x", logLevel: .debug, demoBroker: false))
        XCTAssertEqual(try settings(["--no-demo-broker", "--socket-name=y", "--demo-broker", "--log-level", "ERROR"]),
                       Settings(socketName: "y", logLevel: .error, demoBroker: true))
        // scripts/run.sh passes --demo-broker first; the user's --no-demo-broker may come anywhere later.
        XCTAssertFalse(try settings(["--demo-broker", "--log-level", "info", "--no-demo-broker", "--socket-name", "z"]).demoBroker)
    }

    func testAFlagWinsOverItsVariableAndAnEmptyVariableIsUnset() throws {
        let environment = ["DAPR_ROCKETMQ_SOCKET_NAME": "from-env", "DAPR_ROCKETMQ_LOG_LEVEL": "warning", "DAPR_ROCKETMQ_DEMO_BROKER": "yes"]
        XCTAssertEqual(try settings([], environment), Settings(socketName: "from-env", logLevel: .warning, demoBroker: true))
        XCTAssertEqual(try settings(["--socket-name", "flag", "--log-level", "trace", "--no-demo-broker"], environment),
                       Settings(socketName: "flag", logLevel: .trace, demoBroker: false))
        for (text, value) in [("true", true), ("1", true), ("YES", true), ("false", false), ("0", false), ("No", false)] {
            XCTAssertEqual(try settings([], ["DAPR_ROCKETMQ_DEMO_BROKER": text]).demoBroker, value, text)
        }
        XCTAssertEqual(try settings(["--demo-broker"], ["DAPR_ROCKETMQ_DEMO_BROKER": "false"]).demoBroker, true)
        let empty = ["DAPR_ROCKETMQ_SOCKET_NAME": "", "DAPR_ROCKETMQ_LOG_LEVEL": "", "DAPR_ROCKETMQ_DEMO_BROKER": ""]
        XCTAssertEqual(try settings([], empty), Settings())
    }

    func testAFlagAndItsVariableAreCheckedAlikeAndTheErrorNamesWhichOneWasBad() throws {
        for bad in ["a/b", ".", "..", "/", ""] {
            let flag = usageError { try settings(["--socket-name", bad]) }
            XCTAssertTrue(flag.hasPrefix("The value '\(bad)' is invalid for '--socket-name <name>': "), flag)
            guard !bad.isEmpty else { continue }  // an empty variable is unset
            let variable = usageError { try settings([], ["DAPR_ROCKETMQ_SOCKET_NAME": bad]) }
            XCTAssertTrue(variable.hasPrefix("The value '\(bad)' is invalid for DAPR_ROCKETMQ_SOCKET_NAME: "), variable)
            XCTAssertEqual(flag.components(separatedBy: ">': ").last, variable.components(separatedBy: "_NAME: ").last, "the same reason")
        }
        XCTAssertTrue(usageError { try settings(["--socket-name", ""]) }.hasSuffix("a socket name must not be empty"))
        XCTAssertEqual(usageError { try settings(["--log-level", "loud"]) },
                       "The value 'loud' is invalid for '--log-level <level>': allowed: trace, debug, info, notice, warning, error, critical")
        XCTAssertEqual(usageError { try settings([], ["DAPR_ROCKETMQ_LOG_LEVEL": "loud"]) },
                       "The value 'loud' is invalid for DAPR_ROCKETMQ_LOG_LEVEL: allowed: trace, debug, info, notice, warning, error, critical")
        XCTAssertEqual(usageError { try settings([], ["DAPR_ROCKETMQ_DEMO_BROKER": "maybe"]) },
                       "The value 'maybe' is invalid for DAPR_ROCKETMQ_DEMO_BROKER: allowed: true, 1, yes, false, 0, no")
        // Every occurrence of a flag is checked: a later good value does not hide a bad one.
        XCTAssertTrue(usageError { try settings(["--log-level", "loud", "--log-level=warning"]) }.contains("'loud'"))
        XCTAssertTrue(usageError { try settings(["--socket-name=a/b", "--socket-name", "ok"]) }.contains("'a/b'"))
        // A good flag hides a bad variable: the variable is not used.
        XCTAssertEqual(try settings(["--socket-name", "ok"], ["DAPR_ROCKETMQ_SOCKET_NAME": "a/b"]).socketName, "ok")
        _ = usageError { try settings(["--unknown"]) }
        _ = usageError { try settings(["--log-level"]) }
    }

    func testTheStateFolderComesFromItsFlagOrVariableAndAnExistingFileIsRefused() throws {
        XCTAssertNil(try settings([]).stateFolder, "unset: the default beside the socket")
        XCTAssertEqual(try settings(["--state-dir", "/var/lib/rocketmq"]).stateFolder, "/var/lib/rocketmq")
        XCTAssertEqual(try settings([], ["DAPR_ROCKETMQ_STATE_DIR": "/from/env"]).stateFolder, "/from/env")
        XCTAssertEqual(try settings(["--state-dir=/flag"], ["DAPR_ROCKETMQ_STATE_DIR": "/from/env"]).stateFolder, "/flag")
        XCTAssertNil(try settings([], ["DAPR_ROCKETMQ_STATE_DIR": ""]).stateFolder, "an empty variable is unset")
        XCTAssertEqual(try settings(["--state-dir", folder.path]).stateFolder, folder.path, "an existing folder")
        let file = folder.path + "/a-file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        XCTAssertEqual(usageError { try settings(["--state-dir", file]) },
                       "The value '\(file)' is invalid for '--state-dir <folder>': \(file) exists and is not a folder")
        XCTAssertEqual(usageError { try settings([], ["DAPR_ROCKETMQ_STATE_DIR": file]) },
                       "The value '\(file)' is invalid for DAPR_ROCKETMQ_STATE_DIR: \(file) exists and is not a folder")
        XCTAssertTrue(usageError { try settings(["--state-dir", ""]) }.hasSuffix("a folder path must not be empty"))
        XCTAssertEqual(ComponentSocket(name: "rocketmq-swift", environment: ["DAPR_COMPONENTS_SOCKETS_FOLDER": "/sockets"]).defaultStateFolder,
                       "/sockets/.dapr-rocketmq/rocketmq-swift.state", "beside the instance journal, where daprd's scan does not look")
    }

    func testTheHelpKeepsTheFoldersTheVariablesAndTheExitStatus() {
        let help = DaprRocketMQ.helpMessage(columns: 400)
        for text in ["DAPR_COMPONENTS_SOCKETS_FOLDER", "DAPR_COMPONENT_SOCKETS_FOLDER", "/tmp/dapr-components-sockets",
                     "<folder>/<name>.sock", "bindings.<name>", "DAPR_ROCKETMQ_SOCKET_NAME", "DAPR_ROCKETMQ_LOG_LEVEL",
                     "DAPR_ROCKETMQ_DEMO_BROKER", "--demo-broker/--no-demo-broker", "--version", "TEST broker",
                     "2 for a bad flag or a bad environment variable", "rocketmq-swift", "--state-dir", "DAPR_ROCKETMQ_STATE_DIR"] {
            XCTAssertTrue(help.contains(text), "\(text) missing from:\n\(help)")
        }
    }

    // MARK: - The binary

    /// Runs the binary to its exit (bounded).
    private func runToExit(_ arguments: [String], environment: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) throws -> ChildProcess {
        let process = try launcher.start(arguments, environment: environment)
        XCTAssertTrue(process.waitForExit(timeout: 60), "still running: \(arguments)", file: file, line: line)
        return process
    }

    /// Starts the binary, waits (bounded) until it serves `socket`, stops it with SIGTERM and
    /// waits for its exit, so that its whole log has been read.
    private func serveAndStop(_ arguments: [String], environment: [String: String] = [:], socket: String,
                              file: StaticString = #filePath, line: UInt = #line) throws -> ChildProcess {
        let process = try launcher.launch(arguments + ["--log-level", "info"], environment: environment, socket: socket, file: file, line: line)
        process.signal(SIGTERM)
        XCTAssertTrue(process.waitForExit(timeout: 60), file: file, line: line)
        XCTAssertEqual(process.exitCode, 0, process.standardError, file: file, line: line)
        return process
    }

    private func git(_ arguments: [String]) -> String? {
        guard let git = ChildProcess.which("git"),
              let process = try? ChildProcess(git, ["-C", RepositoryPaths.root.path] + arguments),
              process.waitForExit(timeout: 60), process.exitCode == 0 else { return nil }
        return process.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testVersionPrintsTheVersionAndTheCommitOfTheCheckout() throws {
        let process = try runToExit(["--version"])
        XCTAssertEqual(process.exitCode, 0, process.standardError)
        let hasGit = FileManager.default.fileExists(atPath: RepositoryPaths.root.appendingPathComponent(".git").path)
        let commit = hasGit ? git(["rev-parse", "--short=12", "HEAD"]) ?? "unknown" : "unknown"
        let printed = process.standardOutput
        if commit != "unknown", printed != "dapr-rocketmq \(Version.number) (\(commit))\n", try headMovedAfterTheBuild(printed) {
            throw XCTSkip("commits were made after the binary was built (\(printed.trimmingCharacters(in: .newlines)), HEAD \(commit)): build again")
        }
        XCTAssertEqual(printed, "dapr-rocketmq \(Version.number) (\(commit))\n")
        XCTAssertTrue(Version.number.split(separator: ".").count == 3 && Version.number.allSatisfy { $0.isNumber || $0 == "." }, Version.number)
    }

    /// True when `versionLine` names an ancestor of HEAD and every commit after it was made after
    /// the binary was linked: a checkout shared with others moved on between the build and the test.
    private func headMovedAfterTheBuild(_ versionLine: String) throws -> Bool {
        guard let open = versionLine.lastIndex(of: "("), let close = versionLine.lastIndex(of: ")"), open < close else { return false }
        let built = String(versionLine[versionLine.index(after: open)..<close])
        guard git(["merge-base", "--is-ancestor", built, "HEAD"]) != nil,
              let times = git(["log", "--format=%ct", "\(built)..HEAD"]) else { return false }
        let linked = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: RepositoryPaths.componentExecutable)[.modificationDate] as? Date)
        let commitTimes = times.split(separator: "\n").compactMap { TimeInterval($0) }
        return !commitTimes.isEmpty && commitTimes.allSatisfy { $0 >= linked.timeIntervalSince1970.rounded(.down) }
    }

    func testHelpExitsZeroAndUsageErrorsExitTwoNamingTheFlagOrVariable() throws {
        let help = try runToExit(["--help"])
        XCTAssertEqual(help.exitCode, 0)
        XCTAssertTrue(help.standardOutput.contains("DAPR_ROCKETMQ_SOCKET_NAME"), help.standardOutput)

        let variable = try runToExit([], environment: ["DAPR_ROCKETMQ_SOCKET_NAME": "a/b"])
        XCTAssertEqual(variable.exitCode, 2)
        XCTAssertTrue(variable.standardError.contains("Error: The value 'a/b' is invalid for DAPR_ROCKETMQ_SOCKET_NAME"), variable.standardError)
        XCTAssertTrue(variable.standardError.contains("Usage: dapr-rocketmq"), variable.standardError)

        let flag = try runToExit(["--log-level=warning", "--socket-name=a/b"])
        XCTAssertEqual(flag.exitCode, 2)
        XCTAssertTrue(flag.standardError.contains("Error: The value 'a/b' is invalid for '--socket-name <name>'"), flag.standardError)

        let unknown = try runToExit(["--no-such-flag"])
        XCTAssertEqual(unknown.exitCode, 2)
        XCTAssertTrue(unknown.standardError.contains("--no-such-flag"), unknown.standardError)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [], "nothing was served")
    }

    func testTheStartUpLogNamesTheComponentTypeAndWarnsWhenItShadowsTheBuiltIn() throws {
        let plain = try serveAndStop([], socket: folder.path + "/rocketmq.sock")
        XCTAssertTrue(plain.standardError.contains(
            "serving Dapr bindings as component type bindings.rocketmq (InputBinding, OutputBinding) on \(folder.path)/rocketmq.sock"), plain.standardError)
        XCTAssertTrue(plain.standardError.contains("warning"), plain.standardError)
        XCTAssertTrue(plain.standardError.contains("shadows daprd's built-in bindings.rocketmq"), plain.standardError)
        XCTAssertTrue(plain.standardError.contains("--socket-name rocketmq-swift"), plain.standardError)

        let named = try serveAndStop([], environment: ["DAPR_ROCKETMQ_SOCKET_NAME": "rocketmq-swift"], socket: folder.path + "/rocketmq-swift.sock")
        XCTAssertTrue(named.standardError.contains(
            "serving Dapr bindings as component type bindings.rocketmq-swift (InputBinding, OutputBinding) on \(folder.path)/rocketmq-swift.sock"),
            named.standardError)
        XCTAssertFalse(named.standardError.contains("shadows"), named.standardError)
    }

    func testTheLastDemoBrokerFlagWinsInTheBinary() throws {
        let on = try serveAndStop(["--no-demo-broker", "--demo-broker", "--socket-name", "on"], socket: folder.path + "/on.sock")
        XCTAssertTrue(on.standardError.contains("DEMO MODE"), on.standardError)
        let off = try serveAndStop(["--demo-broker", "--socket-name", "off", "--no-demo-broker"], environment: ["DAPR_ROCKETMQ_DEMO_BROKER": "true"],
                                   socket: folder.path + "/off.sock")
        XCTAssertFalse(off.standardError.contains("DEMO MODE"), off.standardError)
        XCTAssertTrue(off.standardError.contains("serving Dapr bindings"), off.standardError)
    }
}
