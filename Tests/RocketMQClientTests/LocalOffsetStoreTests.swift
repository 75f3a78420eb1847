import Foundation
import RocketMQWire
import TestSupport
import XCTest
@testable import RocketMQClient

/// A broadcasting member's offset file (docs/protocol-remoting.md §5.9): read back as written, in
/// the offset-table shape, replaced whole or not at all, and a damaged file refused by name.
final class LocalOffsetStoreTests: XCTestCase {
    private var folder: TemporaryFolder!
    private var path: String { folder.path + "/broadcasting/orders-in/G.offsets.json" }

    override func setUp() async throws {
        folder = try TemporaryFolder()
    }

    override func tearDown() async throws {
        folder = nil
    }

    private func queue(_ id: Int32) -> MessageQueue {
        MessageQueue(topic: "T", brokerName: "broker-a", queueId: id)
    }

    /// The `RocketMQError.offsetFile` that `body` throws, or a failure.
    private func offsetFileError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> (path: String, reason: String)? {
        do {
            try body()
            XCTFail("no error", file: file, line: line)
        } catch RocketMQError.offsetFile(let path, let reason) {
            return (path, reason)
        } catch {
            XCTFail("another error: \(error)", file: file, line: line)
        }
        return nil
    }

    func testAMissingFileIsAnEmptyTableAndAPersistCreatesItsFolders() throws {
        let store = try LocalOffsetStore(path: path)
        XCTAssertEqual(store.offsets, [:])
        XCTAssertNil(store.offset(of: queue(0)))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "reading writes nothing")
        store.update(queue(0), to: 5)
        try store.persist()
        XCTAssertEqual(try LocalOffsetStore(path: path).offsets, [queue(0): 5])
    }

    func testPersistedOffsetsReadBackAndQueuesNotUpdatedSinceKeepTheirs() throws {
        let store = try LocalOffsetStore(path: path)
        store.update(queue(0), to: 5)
        store.update(queue(1), to: 9)
        try store.persist()
        let next = try LocalOffsetStore(path: path)
        XCTAssertEqual(next.offsets, [queue(0): 5, queue(1): 9])
        next.update(queue(0), to: 6)
        try next.persist()
        XCTAssertEqual(try LocalOffsetStore(path: path).offsets, [queue(0): 6, queue(1): 9],
                       "a queue not consumed now keeps its offset")
    }

    func testTheFileIsAnOffsetTableKeyedByEachQueueAsJSON() throws {
        let store = try LocalOffsetStore(path: path)
        store.update(queue(2), to: 42)
        try store.persist()
        let document = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        XCTAssertEqual(Array(document.keys), ["offsetTable"])
        let table = try XCTUnwrap(document["offsetTable"] as? [String: Int])
        XCTAssertEqual(table, [#"{"brokerName":"broker-a","queueId":2,"topic":"T"}"#: 42])
    }

    func testAPersistReplacesTheFileThroughATemporaryFileItLeavesNoTraceOf() throws {
        let store = try LocalOffsetStore(path: path)
        store.update(queue(0), to: 1)
        try store.persist()
        // What a crash between writing the temporary file and the rename leaves behind.
        try Data("{\"offsetTable\":{".utf8).write(to: URL(fileURLWithPath: path + ".tmp"))
        XCTAssertEqual(try LocalOffsetStore(path: path).offsets, [queue(0): 1], "a torn temporary file is never read")
        store.update(queue(0), to: 2)
        try store.persist()
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".tmp"), "renamed over the file")
        XCTAssertEqual(try LocalOffsetStore(path: path).offsets, [queue(0): 2])
    }

    func testAWriteThatFailsLeavesThePreviousFileAsItWasAndNamesIt() throws {
        let store = try LocalOffsetStore(path: path)
        store.update(queue(0), to: 5)
        try store.persist()
        // The temporary file cannot be created where a folder of its name stands.
        try FileManager.default.createDirectory(atPath: path + ".tmp", withIntermediateDirectories: false)
        store.update(queue(0), to: 6)
        let error = offsetFileError { try store.persist() }
        XCTAssertEqual(error?.path, path)
        XCTAssertTrue(error?.reason.contains(path + ".tmp") == true, "\(String(describing: error))")
        XCTAssertEqual(try LocalOffsetStore(path: path).offsets, [queue(0): 5])
    }

    func testADamagedFileIsRefusedWithAnErrorNamingItAndWhatToDo() throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let cases: [(content: String, reason: String)] = [
            ("{not json", "is not an offset table"),
            (#"{"queues":{}}"#, "is not an offset table"),
            (#"{"offsetTable":{"T@0":3}}"#, "entry T@0 does not name a queue"),
            (#"{"offsetTable":{"{\"brokerName\":\"b\",\"queueId\":0,\"topic\":\"T\"}":-4}}"#, "negative offset -4"),
        ]
        for (content, reason) in cases {
            try Data(content.utf8).write(to: URL(fileURLWithPath: path))
            let error = offsetFileError { _ = try LocalOffsetStore(path: path) }
            XCTAssertEqual(error?.path, path, content)
            XCTAssertTrue(error?.reason.contains(reason) == true, "\(content): \(String(describing: error))")
        }
        try Data("{".utf8).write(to: URL(fileURLWithPath: path))
        let described = "\(RocketMQError.offsetFile(path: path, reason: offsetFileError { _ = try LocalOffsetStore(path: path) }?.reason ?? ""))"
        XCTAssertTrue(described.contains(path) && described.contains("remove it to start from consumeFromWhere again"), described)
    }

    func testAFileThatCannotBeReadIsRefusedByName() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let error = offsetFileError { _ = try LocalOffsetStore(path: path) }
        XCTAssertEqual(error?.path, path)
        XCTAssertTrue(error?.reason.contains("cannot be read") == true, "\(String(describing: error))")
    }
}
