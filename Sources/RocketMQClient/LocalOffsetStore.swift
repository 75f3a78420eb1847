import Foundation
import NIOConcurrencyHelpers
import NIOPosix
import RocketMQWire
#if canImport(Glibc)
import Glibc
#endif

/// A broadcasting member's consumer offsets, kept in a JSON file of its own
/// (docs/protocol-remoting.md §5.9), as Java's `LocalFileOffsetStore` keeps them: each member of a
/// broadcasting group reads every queue from where *it* stopped, so the broker's offsets (one per
/// group) cannot serve.
///
/// The file holds `{"offsetTable":{"<queue as JSON>":<next offset>,…}}`, the shape of the Java and
/// Go clients' files, with each queue written as `{"brokerName":…,"queueId":…,"topic":…}`. It is
/// read once, at `init`, and rewritten whole by `persist()`: into a temporary file beside it,
/// flushed to the disk, then renamed over it, so a crash at any moment leaves either the old or
/// the new table, never a torn one (Java 4.9.8 deletes the old file before its rename and keeps a
/// `.bak` copy to cover that gap; the rename makes a copy unnecessary here). Entries of queues not
/// consumed now are kept, so a queue that leaves the route for a while resumes where it was.
///
/// Thread-safe: the table is behind a lock, and writes of the file are serialised. `persist()`
/// does blocking file I/O (a few small writes and two fsyncs); from a task or an event loop, call
/// `persistOffThread()`, which runs it on NIO's thread pool for blocking work.
public final class LocalOffsetStore: Sendable {
    /// The offset file.
    public let path: String
    private let table: NIOLockedValueBox<[MessageQueue: Int64]>
    /// One writer of the temporary file at a time (the 5 s timer and `stop()` may meet).
    private let writing = NIOLock()

    /// Reads the offsets stored at `path`. A missing file is an empty table (this member never
    /// stored an offset); a file that cannot be read, or is not an offset table, throws
    /// `RocketMQError.offsetFile` naming it. Such a file is not replaced silently: starting from
    /// the consume-from policy instead would redeliver or skip messages without a word.
    public init(path: String) throws {
        self.path = path
        let bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch CocoaError.fileReadNoSuchFile {
            table = NIOLockedValueBox([:])
            return
        } catch {
            throw RocketMQError.offsetFile(path: path, reason: "cannot be read (\(error.localizedDescription))")
        }
        table = NIOLockedValueBox(try Self.decode(bytes, path: path))
    }

    /// The stored next offset of `queue`, or nil when none was stored.
    public func offset(of queue: MessageQueue) -> Int64? {
        table.withLockedValue { $0[queue] }
    }

    /// Every stored offset.
    public var offsets: [MessageQueue: Int64] {
        table.withLockedValue { $0 }
    }

    /// Records `offset` as the next offset of `queue`, in memory; `persist()` writes it.
    public func update(_ queue: MessageQueue, to offset: Int64) {
        table.withLockedValue { $0[queue] = offset }
    }

    /// Writes the whole table to the file atomically (see the type's documentation); creates the
    /// folder if needed. Throws `RocketMQError.offsetFile` when it cannot; the previous file is
    /// then left as it was.
    public func persist() throws {
        try writing.withLock {
            let bytes = Self.encode(table.withLockedValue { $0 })
            try Self.writeAtomically(bytes, to: path)
        }
    }

    /// `persist()` on NIO's blocking-I/O thread pool: the fsyncs hold up no task of the
    /// concurrency pool and no event loop.
    public func persistOffThread() async throws {
        try await NIOThreadPool.singleton.runIfActive { try self.persist() }
    }

    // MARK: - The file format

    private struct Document: Codable {
        var offsetTable: [String: Int64]
    }

    /// The pretty-printed document, queues and members in sorted order.
    static func encode(_ offsets: [MessageQueue: Int64]) -> [UInt8] {
        let keyEncoder = JSONEncoder()
        keyEncoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var table: [String: Int64] = [:]
        for (queue, offset) in offsets {
            // A MessageQueue always encodes (three plain members).
            guard let key = try? keyEncoder.encode(queue) else { continue }
            table[String(decoding: key, as: UTF8.self)] = offset
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return Array((try? encoder.encode(Document(offsetTable: table))) ?? Data()) + [0x0A]
    }

    static func decode(_ bytes: Data, path: String) throws -> [MessageQueue: Int64] {
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: bytes)
        } catch {
            throw RocketMQError.offsetFile(
                path: path, reason: "is not an offset table {\"offsetTable\":{\"<queue>\":<offset>}} (\(error)); "
                    + "repair it, or remove it to start from consumeFromWhere again")
        }
        var offsets: [MessageQueue: Int64] = [:]
        for (key, offset) in document.offsetTable {
            guard let queue = try? JSONDecoder().decode(MessageQueue.self, from: Data(key.utf8)) else {
                throw RocketMQError.offsetFile(
                    path: path, reason: "entry \(key) does not name a queue as {\"brokerName\":…,\"queueId\":…,\"topic\":…}")
            }
            guard offset >= 0 else {
                throw RocketMQError.offsetFile(path: path, reason: "entry \(key) has the negative offset \(offset)")
            }
            offsets[queue] = offset
        }
        return offsets
    }

    // MARK: - Atomic write

    /// `bytes` into `<path>.tmp`, fsync, rename over `path`, fsync the folder (so the rename
    /// itself survives a power loss).
    private static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        func failure(_ what: String, _ code: Int32 = errno) -> RocketMQError {
            .offsetFile(path: path, reason: "\(what): \(String(cString: strerror(code)))")
        }
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw RocketMQError.offsetFile(path: path, reason: "cannot create its folder (\(error.localizedDescription))")
        }
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("cannot create \(temporary)") }
        let file = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            try file.write(contentsOf: bytes)
            try file.synchronize()
            try file.close()
        } catch {
            throw RocketMQError.offsetFile(path: path, reason: "cannot write \(temporary) (\(error.localizedDescription))")
        }
        guard rename(temporary, path) == 0 else { throw failure("cannot rename \(temporary) over it") }
        let folderDescriptor = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            let handle = FileHandle(fileDescriptor: folderDescriptor, closeOnDealloc: true)
            try? handle.synchronize()
            try? handle.close()
        }
    }
}
