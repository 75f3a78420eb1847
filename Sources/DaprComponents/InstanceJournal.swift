import Foundation
import GRPCCore
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The two services in which daprd initialises a component instance.
enum BindingDirection: String, Sendable, CaseIterable {
    case input = "InputBinding"
    case output = "OutputBinding"
}

/// Which component instances daprd initialised, remembered across restarts of the component.
///
/// daprd initialises a pluggable component once, when daprd starts, and never again: after the
/// component restarts, a Read stream that failed is given up, and output calls reconnect at the
/// gRPC level but name an instance (`x-component-instance`) that the new process never saw
/// (docs/daprd.md §F). The journal lets the new process tell that case from a plain "call Init
/// first": it knows which instances earlier processes were initialised for, when, and by which
/// process id.
///
/// One entry per instance and direction: the time of its last successful Init and the pid —
/// names and times only, never metadata (which holds secrets). An earlier process's entry stays
/// until the instance and direction are initialised again in this process (or an Init of them
/// fails), so two restarts in a row still find it.
///
/// A value type and state machine: no files, no clock, no logging (`InstanceJournalFile` does
/// those).
struct InstanceJournal: Equatable, Sendable {
    struct Key: Hashable, Comparable, Sendable {
        var instance: String
        var direction: BindingDirection

        init(_ instance: String, _ direction: BindingDirection) {
            self.instance = instance
            self.direction = direction
        }

        static func < (left: Key, right: Key) -> Bool {
            (left.instance, left.direction.rawValue) < (right.instance, right.direction.rawValue)
        }
    }

    struct Entry: Equatable, Sendable {
        var initialised: Date
        var pid: Int32
        /// True when an earlier process of this component recorded it (it was loaded).
        var byEarlierProcess: Bool
    }

    enum Verdict: Equatable {
        /// Never initialised, or initialised in this process only: "call Init first".
        case notInitialised
        /// daprd initialised it for an earlier process and has not since: daprd must restart.
        /// `firstReport` is true for the first such verdict for this key in this process.
        case initialisedByEarlierProcess(Entry, firstReport: Bool)
    }

    private(set) var entries: [Key: Entry] = [:]
    private var reported: Set<Key> = []
    /// Lines of the loaded text that were neither entries, comments nor blank.
    private(set) var malformedLines = 0

    init() {}

    /// The journal an earlier process left (`text`): each of its entries is an earlier process's.
    init(loading text: String) {
        for line in text.split(whereSeparator: \.isNewline) {
            let line = line.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let stored = try? JSONDecoder().decode(StoredLine.self, from: Data(line.utf8)),
                  let direction = BindingDirection(rawValue: stored.direction),
                  let time = try? Date(stored.initialised, strategy: .iso8601) else {
                malformedLines += 1
                continue
            }
            entries[Key(stored.instance, direction)] = Entry(initialised: time, pid: stored.pid, byEarlierProcess: true)
        }
    }

    /// An Init of `key` succeeded in this process at `time`.
    mutating func initialised(_ key: Key, at time: Date, pid: Int32) {
        entries[key] = Entry(initialised: time, pid: pid, byEarlierProcess: false)
        reported.remove(key)
    }

    /// An Init of `key` failed: whatever was initialised before is gone, in this process and in
    /// the journal. Returns whether the journal changed.
    mutating func initialisationFailed(_ key: Key) -> Bool {
        entries.removeValue(forKey: key) != nil
    }

    /// Why a call for `key` finds no instance in this process.
    mutating func verdict(for key: Key) -> Verdict {
        guard let entry = entries[key], entry.byEarlierProcess else { return .notInitialised }
        return .initialisedByEarlierProcess(entry, firstReport: reported.insert(key).inserted)
    }

    /// The earlier processes' entries still held.
    var earlierEntries: Int { entries.values.filter(\.byEarlierProcess).count }

    /// The file's content: a comment, then one JSON object a line, sorted by instance.
    var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var text = "# dapr-rocketmq: the component instances daprd initialised (names, times, pids; no metadata)\n"
        for (key, entry) in entries.sorted(by: { $0.key < $1.key }) {
            let stored = StoredLine(instance: key.instance, direction: key.direction.rawValue,
                                    initialised: Self.format(entry.initialised), pid: entry.pid)
            guard let line = try? encoder.encode(stored) else { continue }
            text += String(decoding: line, as: UTF8.self) + "\n"
        }
        return text
    }

    private struct StoredLine: Codable {
        var instance: String
        var direction: String
        var initialised: String
        var pid: Int32
    }

    static func format(_ time: Date) -> String {
        time.formatted(.iso8601)
    }

    // MARK: - What a caller is told

    static func notInitialisedMessage(_ key: Key) -> String {
        "\(key.direction.rawValue) instance \(key.instance) is not initialised: call Init first"
    }

    static func restartMessage(_ key: Key, _ entry: Entry) -> String {
        """
        instance \(key.instance) (\(key.direction.rawValue)) was initialised by daprd at \(format(entry.initialised)) \
        in an earlier process of this component (pid \(entry.pid)); daprd never re-initialises a pluggable \
        component after it restarts: restart daprd (on Kubernetes, restart the pod)
        """
    }
}

/// The journal's file, `<socket folder>/.dapr-rocketmq/<socket name>.instances`
/// (`ComponentSocket.instanceJournalPath`): read once at start, rewritten after every Init,
/// atomically (a temporary file renamed over it).
///
/// Best-effort: a folder that cannot be written costs restart detection, never service; it logs
/// one warning. Thread-safe; Inits are rare, so the small write happens under the lock.
final class InstanceJournalFile: Sendable {
    /// nil: kept in memory only.
    let path: String?
    private let logger: Logger
    private let pid: Int32
    private let now: @Sendable () -> Date
    private let state = LockedValueBox(State())

    private struct State {
        var journal = InstanceJournal()
        var warned = false
    }

    init(path: String?, logger: Logger, pid: Int32 = getpid(), now: @escaping @Sendable () -> Date = { Date() }) {
        self.path = path
        self.logger = logger
        self.pid = pid
        self.now = now
    }

    /// Reads what earlier processes left; a missing file is an empty journal.
    func load() {
        guard let path, FileManager.default.fileExists(atPath: path) else { return }
        state.withLockedValue { state in
            do {
                state.journal = InstanceJournal(loading: try String(contentsOfFile: path, encoding: .utf8))
            } catch {
                warnOnce(&state, "cannot read the instance journal; a restart of this component will not be recognised", path, error)
                return
            }
            let journal = state.journal
            if journal.malformedLines > 0 {
                logger.warning("malformed lines of the instance journal ignored", metadata: ["path": "\(path)", "lines": "\(journal.malformedLines)"])
            }
            if journal.earlierEntries > 0 {
                logger.info("earlier processes of this component were initialised by daprd; until daprd initialises them again, calls for them will be refused",
                            metadata: ["path": "\(path)", "instances": "\(journal.earlierEntries)"])
            }
        }
    }

    func initialised(_ instance: String, _ direction: BindingDirection) {
        state.withLockedValue { state in
            state.journal.initialised(.init(instance, direction), at: now(), pid: pid)
            write(&state)
        }
    }

    func initialisationFailed(_ instance: String, _ direction: BindingDirection) {
        state.withLockedValue { state in
            if state.journal.initialisationFailed(.init(instance, direction)) { write(&state) }
        }
    }

    /// The error for a call to an instance this process has not initialised. The first call for
    /// an instance and direction that an earlier process was initialised for logs one error line.
    func notInitialisedError(_ instance: String, _ direction: BindingDirection) -> ComponentError {
        let key = InstanceJournal.Key(instance, direction)
        let verdict = state.withLockedValue { $0.journal.verdict(for: key) }
        switch verdict {
        case .notInitialised:
            return .failedPrecondition(InstanceJournal.notInitialisedMessage(key))
        case .initialisedByEarlierProcess(let entry, let firstReport):
            let message = InstanceJournal.restartMessage(key, entry)
            if firstReport { logger.error("\(message)") }
            return .failedPrecondition(message)
        }
    }

    /// Called under the lock, with the state it guards.
    private func write(_ state: inout State) {
        guard let path else { return }
        let temporary = "\(path).\(pid).tmp"
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(state.journal.text.utf8).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, path) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporary)
                throw ComponentError(.internal, "rename to \(path): \(reason)")
            }
        } catch {
            warnOnce(&state, "cannot write the instance journal; the component keeps serving, but a restart of it will not be recognised", path, error)
        }
    }

    private func warnOnce(_ state: inout State, _ message: Logger.Message, _ path: String, _ error: Error) {
        guard !state.warned else { return }
        state.warned = true
        logger.warning(message, metadata: ["path": "\(path)", "error": "\(error)"])
    }
}
