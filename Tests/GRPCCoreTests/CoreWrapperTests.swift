import CGRPCCore
@testable import GRPCCore
import XCTest

final class CoreWrapperTests: XCTestCase {
    override func setUp() { GRPCLibrary.retain() }
    override func tearDown() { GRPCLibrary.release() }

    func testAbseilDeadlockDetectionIsSwitchedOffBeforeTheCoreStarts() {
        // Debian's Abseil is a debug build: without the switch, every core mutex lock also
        // updates a global lock-order graph. The switch is found by its C++ name, so a renamed
        // Abseil namespace would silently lose it; this catches that.
        XCTAssertTrue(GRPCLibrary.abseilDeadlockDetectionIsOff)
    }

    func testByteBufferCopiesBytesInAndOut() {
        let bytes: [UInt8] = Array(0...255) + Array(repeating: 7, count: 70_000)
        XCTAssertEqual(CoreByteBuffer(copying: bytes).bytes(), bytes)
        XCTAssertEqual(CoreByteBuffer(copying: []).bytes(), [])
    }

    func testMetadataLowercasesKeysAndFindsTheFirstValue() {
        var metadata: Metadata = ["X-Component-Instance": "orders"]
        metadata.add("x-component-instance", "second")
        XCTAssertEqual(metadata["x-component-INSTANCE"], "orders")
        XCTAssertEqual(metadata.pairs.map(\.key), ["x-component-instance", "x-component-instance"])
        XCTAssertNil(metadata["missing"])
    }

    func testOutgoingMetadataLaysOutCoreEntries() {
        let outgoing = OutgoingMetadata(["a": "1", "b": "two"])
        XCTAssertEqual(outgoing.count, 2)
        let key = withUnsafePointer(to: outgoing.entries[1].key) { CoreByteBuffer.copy($0) }
        let value = withUnsafePointer(to: outgoing.entries[1].value) { CoreByteBuffer.copy($0) }
        XCTAssertEqual(String(decoding: key, as: UTF8.self), "b")
        XCTAssertEqual(String(decoding: value, as: UTF8.self), "two")
    }

    func testReceivedMetadataIsCopiedIntoSwiftValues() {
        let array = ReceivedMetadataArray()
        let outgoing = OutgoingMetadata(["x-component-instance": "orders"])
        array.pointer.pointee.metadata = outgoing.entries
        array.pointer.pointee.count = 1
        let metadata = Metadata(copying: array.pointer)
        array.pointer.pointee.metadata = nil  // borrowed from `outgoing`; not the array's to free
        array.pointer.pointee.count = 0
        XCTAssertEqual(metadata["x-component-instance"], "orders")
    }

    func testStatusCodesMatchTheCore() {
        XCTAssertEqual(StatusCode.invalidArgument.rawValue, Int32(GRPC_STATUS_INVALID_ARGUMENT.rawValue))
        XCTAssertEqual(StatusCode.resourceExhausted.rawValue, Int32(GRPC_STATUS_RESOURCE_EXHAUSTED.rawValue))
        XCTAssertEqual(StatusCode.unavailable.rawValue, Int32(GRPC_STATUS_UNAVAILABLE.rawValue))
        XCTAssertEqual(StatusCode.unauthenticated.rawValue, Int32(GRPC_STATUS_UNAUTHENTICATED.rawValue))
        XCTAssertEqual(GRPCStatus(.notFound, "topic x").description, "NOT_FOUND: topic x")
    }

    func testOneShotEventWaitsWithATimeout() async {
        let event = OneShotEvent()
        let early = await event.wait(timeout: .milliseconds(10))
        XCTAssertFalse(early)
        event.signal()
        let late = await event.wait(timeout: .seconds(5))
        XCTAssertTrue(late)
        await event.wait()  // returns at once once signalled
    }

    func testServerRefusesToRegisterAfterStartAndReportsBindFailures() async throws {
        let server = Server(logger: .init(label: "test"))
        XCTAssertThrowsError(try server.start(listeningOn: "unix:/nonexistent-folder/x/y.sock"))
        await server.shutdown(gracePeriod: .seconds(1))
    }
}
