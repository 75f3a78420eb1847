import DaprComponents
import Foundation
import TestSupport
import XCTest

/// daprd never initialises a restarted component again (docs/daprd.md §F). The real
/// `dapr-rocketmq` binary, killed with SIGKILL and started again on the same socket folder, must
/// say so to the caller and in its log, instead of a bare "not initialised". Every process is
/// killed at the end.
final class ComponentRestartTests: XCTestCase {
    private var launcher: ComponentLauncher!

    override func setUp() async throws {
        launcher = try ComponentLauncher()
    }

    override func tearDown() async throws {
        launcher = nil
    }

    /// Starts the component with its demo broker and waits (bounded) until it serves.
    private func launch(file: StaticString = #filePath, line: UInt = #line) throws -> ChildProcess {
        try launcher.launch(["--demo-broker", "--log-level", "warning"], file: file, line: line)
    }

    private func grpcurl(_ instance: String, _ method: String, _ body: String? = nil) throws -> (code: Int32, output: String, errors: String) {
        try launcher.grpcurl(["-H", "x-component-instance: \(instance)"] + (body.map { ["-d", $0] } ?? []), "dapr.proto.components.v1." + method)
    }

    /// SIGKILL, then waits until its whole log has been read.
    private func crash(_ process: ChildProcess) {
        process.kill()
        XCTAssertTrue(process.waitForExit(timeout: 30))
    }

    private func occurrences(of text: String, in log: String) -> Int {
        log.components(separatedBy: text).count - 1
    }

    func testAfterASigkillTheNextProcessesTellTheCallerToRestartDaprdAndLogItOnce() throws {
        let first = try launch()
        let before = Date()
        let initialised = try grpcurl("orders-out", "OutputBinding/Init", #"{"metadata":{"properties":{"topics":"restart-topic"}}}"#)
        XCTAssertEqual(initialised.code, 0, initialised.errors)
        let after = Date()
        let created = try grpcurl("orders-out", "OutputBinding/Invoke", #"{"operation":"create","data":"aGk="}"#)
        XCTAssertEqual(created.code, 0, created.errors)
        let firstPID = first.process.processIdentifier
        crash(first)

        let journal = try String(contentsOfFile: launcher.folder.path + "/.dapr-rocketmq/rocketmq.instances", encoding: .utf8)
        XCTAssertTrue(journal.contains(#""instance":"orders-out""#), journal)
        XCTAssertFalse(journal.contains("restart-topic"), "names and times only, never metadata: \(journal)")

        let expected = "instance orders-out (OutputBinding) was initialised by daprd at "
        let tail = "in an earlier process of this component (pid \(firstPID)); daprd never re-initialises a pluggable component"
            + " after it restarts: restart daprd (on Kubernetes, restart the pod)"
        let second = try launch()
        for _ in 0..<2 {
            let refused = try grpcurl("orders-out", "OutputBinding/Invoke", #"{"operation":"create","data":"aGk="}"#)
            XCTAssertNotEqual(refused.code, 0)
            XCTAssertTrue(refused.errors.contains("Code: FailedPrecondition"), refused.errors)
            XCTAssertTrue(refused.errors.contains(expected) && refused.errors.contains(tail), refused.errors)
            let time = refused.errors.range(of: expected).map { refused.errors[$0.upperBound...].prefix { $0 != " " } } ?? ""
            let initTime = try XCTUnwrap(try? Date(String(time), strategy: .iso8601), "no time in: \(refused.errors)")
            XCTAssertTrue(initTime >= before.addingTimeInterval(-1) && initTime <= after, "\(time) is the time of the Init")
        }
        let stranger = try grpcurl("stranger", "OutputBinding/Invoke", #"{"operation":"create"}"#)
        XCTAssertTrue(stranger.errors.contains("OutputBinding instance stranger is not initialised: call Init first"), stranger.errors)
        crash(second)
        XCTAssertEqual(occurrences(of: expected, in: second.standardError), 1, "one error line for two calls:\n\(second.standardError)")
        XCTAssertEqual(occurrences(of: "stranger", in: second.standardError), 0, "a plain call before Init is not logged as a restart")

        // A second restart in a row: still the first process's Init.
        let third = try launch()
        let stillRefused = try grpcurl("orders-out", "OutputBinding/ListOperations")
        XCTAssertTrue(stillRefused.errors.contains(expected) && stillRefused.errors.contains(tail), stillRefused.errors)
        // Until daprd (restarted) initialises it again.
        let again = try grpcurl("orders-out", "OutputBinding/Init", #"{"metadata":{"properties":{"topics":"restart-topic"}}}"#)
        XCTAssertEqual(again.code, 0, again.errors)
        let served = try grpcurl("orders-out", "OutputBinding/Invoke", #"{"operation":"create","data":"aGk="}"#)
        XCTAssertEqual(served.code, 0, served.errors)
        crash(third)
        XCTAssertEqual(occurrences(of: expected, in: third.standardError), 1, third.standardError)
    }
}
