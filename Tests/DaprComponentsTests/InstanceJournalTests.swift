@testable import DaprComponents
import Foundation
import Logging
import TestSupport
import XCTest

/// The instance journal without sockets: the state machine, its text, and its file.
final class InstanceJournalTests: XCTestCase {
    private typealias Key = InstanceJournal.Key
    private let ordersOut = Key("orders-out", .output)
    private let ordersIn = Key("orders-out", .input)
    private let t1 = Date(timeIntervalSince1970: 1_800_000_000)
    private let t2 = Date(timeIntervalSince1970: 1_800_000_100)

    func testAnInstanceOfAnEarlierProcessIsReportedOnceAndWithItsTimeAndPid() {
        var first = InstanceJournal()
        first.initialised(ordersOut, at: t1, pid: 41)
        XCTAssertEqual(first.verdict(for: ordersOut), .notInitialised, "initialised in this process: not an earlier process's")

        var second = InstanceJournal(loading: first.text)
        XCTAssertEqual(second.verdict(for: ordersOut), .initialisedByEarlierProcess(.init(initialised: t1, pid: 41, byEarlierProcess: true), firstReport: true))
        XCTAssertEqual(second.verdict(for: ordersOut), .initialisedByEarlierProcess(.init(initialised: t1, pid: 41, byEarlierProcess: true), firstReport: false),
                       "reported once per instance and direction")
        XCTAssertEqual(second.verdict(for: ordersIn), .notInitialised, "the other direction was never initialised")
        XCTAssertEqual(second.verdict(for: Key("nobody", .output)), .notInitialised)
    }

    func testTwoRestartsInARowStillFindTheEntryUntilItIsInitialisedAgain() {
        var first = InstanceJournal()
        first.initialised(ordersOut, at: t1, pid: 41)
        first.initialised(ordersIn, at: t1, pid: 41)
        // The second process is initialised for another instance only, then restarts too.
        var second = InstanceJournal(loading: first.text)
        second.initialised(Key("payments", .output), at: t2, pid: 42)
        var third = InstanceJournal(loading: second.text)
        XCTAssertEqual(third.entries.count, 3)
        guard case .initialisedByEarlierProcess(let entry, _) = third.verdict(for: ordersOut) else { return XCTFail("\(third)") }
        XCTAssertEqual(entry.pid, 41, "still the process daprd initialised")
        XCTAssertEqual(entry.initialised, t1)
        guard case .initialisedByEarlierProcess(let payments, _) = third.verdict(for: Key("payments", .output)) else { return XCTFail("\(third)") }
        XCTAssertEqual(payments.pid, 42)

        // Initialised again (daprd restarted): this process's entry replaces the earlier one.
        third.initialised(ordersOut, at: t2, pid: 43)
        XCTAssertEqual(third.verdict(for: ordersOut), .notInitialised)
        XCTAssertEqual(InstanceJournal(loading: third.text).entries[ordersOut], .init(initialised: t2, pid: 43, byEarlierProcess: true))
        XCTAssertNotNil(InstanceJournal(loading: third.text).entries[ordersIn], "the input direction is kept: not initialised again")
    }

    func testAFailedInitForgetsTheInstance() {
        var first = InstanceJournal()
        first.initialised(ordersOut, at: t1, pid: 41)
        var second = InstanceJournal(loading: first.text)
        XCTAssertTrue(second.initialisationFailed(ordersOut))
        XCTAssertEqual(second.verdict(for: ordersOut), .notInitialised, "a new daprd tried to initialise it: no longer the restart case")
        XCTAssertFalse(second.initialisationFailed(ordersOut), "nothing left to forget")
        XCTAssertNil(InstanceJournal(loading: second.text).entries[ordersOut])
    }

    func testTheTextHoldsNamesTimesAndPidsOnlyAndSkipsWhatItCannotRead() throws {
        var journal = InstanceJournal()
        journal.initialised(Key("b", .input), at: t1, pid: 7)
        journal.initialised(Key("a \"quoted\"/name", .output), at: t2, pid: 8)
        let lines = journal.text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(lines[0].hasPrefix("#"))
        XCTAssertEqual(lines[1], #"{"direction":"OutputBinding","initialised":"2027-01-15T08:01:40Z","instance":"a \"quoted\"/name","pid":8}"#)
        XCTAssertEqual(lines[2], #"{"direction":"InputBinding","initialised":"2027-01-15T08:00:00Z","instance":"b","pid":7}"#)

        let damaged = journal.text + "not json\n{\"instance\":\"x\",\"direction\":\"Sideways\",\"initialised\":\"2027-01-15T08:00:00Z\",\"pid\":1}\n\n"
        let loaded = InstanceJournal(loading: damaged)
        XCTAssertEqual(loaded.malformedLines, 2)
        XCTAssertEqual(Set(loaded.entries.keys), [Key("b", .input), Key("a \"quoted\"/name", .output)])
    }

    func testTheMessagesSayWhatToDo() {
        XCTAssertEqual(InstanceJournal.notInitialisedMessage(ordersOut), "OutputBinding instance orders-out is not initialised: call Init first")
        XCTAssertEqual(InstanceJournal.restartMessage(ordersOut, .init(initialised: t1, pid: 41, byEarlierProcess: true)), """
            instance orders-out (OutputBinding) was initialised by daprd at 2027-01-15T08:00:00Z in an earlier process of this \
            component (pid 41); daprd never re-initialises a pluggable component after it restarts: restart daprd \
            (on Kubernetes, restart the pod)
            """)
    }

    // MARK: - The file

    func testTheFileIsWrittenAtomicallyAndReadByTheNextProcess() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/.dapr-rocketmq/test.instances"
        let log = LogRecorder()
        let first = InstanceJournalFile(path: path, logger: log.logger, pid: 41, now: { [t1] in t1 })
        first.load()
        first.initialised("orders-out", .output)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path + "/.dapr-rocketmq"), ["test.instances"],
                       "no temporary file left behind")
        XCTAssertEqual(InstanceJournal(loading: try String(contentsOfFile: path, encoding: .utf8)).entries,
                       [ordersOut: .init(initialised: t1, pid: 41, byEarlierProcess: true)])

        let second = InstanceJournalFile(path: path, logger: log.logger, pid: 42)
        second.load()
        let error = second.notInitialisedError("orders-out", .output)
        XCTAssertEqual(error.kind, .failedPrecondition)
        XCTAssertTrue(error.message.contains("at 2027-01-15T08:00:00Z in an earlier process of this component (pid 41)"), error.message)
        _ = second.notInitialisedError("orders-out", .output)
        XCTAssertEqual(second.notInitialisedError("never", .input),
                       .failedPrecondition("InputBinding instance never is not initialised: call Init first"))
        XCTAssertEqual(log.messages(.error), [error.message], "one error line for two calls")
    }

    func testAFolderThatCannotBeWrittenWarnsOnceAndChangesNothingElse() throws {
        let folder = try TemporaryFolder()
        // A file where the journal's folder should be (permissions would not stop root).
        XCTAssertTrue(FileManager.default.createFile(atPath: folder.path + "/.dapr-rocketmq", contents: Data()))
        let log = LogRecorder()
        let journal = InstanceJournalFile(path: folder.path + "/.dapr-rocketmq/test.instances", logger: log.logger)
        journal.load()
        journal.initialised("a", .output)
        journal.initialised("b", .input)
        XCTAssertEqual(log.messages(.warning).count, 1, "\(log.messages(.warning))")
        XCTAssertTrue(log.messages(.warning).first?.contains("cannot write the instance journal") == true)
        XCTAssertEqual(journal.notInitialisedError("c", .output).kind, .failedPrecondition)
    }
}

/// A logger whose lines the test can read.
final class LogRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [(Logger.Level, String)] = []

    var logger: Logger {
        Logger(label: "test") { _ in Handler(recorder: self) }
    }

    func messages(_ level: Logger.Level) -> [String] {
        lock.withLock { lines.filter { $0.0 == level }.map(\.1) }
    }

    var all: [String] { lock.withLock { lines.map(\.1) } }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            recorder.lock.withLock { recorder.lines.append((event.level, event.message.description)) }
        }
    }
}
