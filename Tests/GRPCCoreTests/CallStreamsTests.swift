import CGRPCCore
import Foundation
@testable import GRPCCore
import XCTest

/// `CallStreams` on a real client call (made here on the C core, the way a client does), against
/// a server that collects every message until the client half-closes and then sends them back.
/// The core refuses a second send while one is outstanding, so sends that were not queued one at
/// a time would fail; the order of messages, of completions and of the `first` flag is checked.
final class CallStreamsTests: XCTestCase {
    private var path: String!
    private var server: Server!
    private var queue: CompletionQueue!
    private var channel: OpaquePointer!  // grpc_channel*

    /// Owns one `grpc_call` reference, as `ServerCall` and `ClientCall` do.
    private final class CallOwner: @unchecked Sendable {
        let pointer: OpaquePointer
        init(_ pointer: OpaquePointer) { self.pointer = pointer }
        deinit { grpc_call_unref(pointer) }
    }

    /// Records in order, from whichever thread completes.
    private final class Log<Value: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Value] = []
        func append(_ value: Value) { lock.withLock { values.append(value) } }
        var all: [Value] { lock.withLock { values } }
    }

    override func setUp() async throws {
        path = NSTemporaryDirectory() + "callstreams-\(UUID().uuidString.prefix(8)).sock"
        server = Server(logger: .init(label: "test"))
        try server.register("/test.Collect/Stream", .bidirectionalStreaming { call in
            var received: [[UInt8]] = []
            while let message = try await call.receiveMessage() { received.append(message) }
            for message in received { try await call.send(message) }
        })
        try server.start(listeningOn: "unix:" + path)
        GRPCLibrary.retain()
        queue = CompletionQueue()
        queue.startPolling(name: "callstreams-test-cq")
        let credentials = grpc_insecure_credentials_create()
        channel = grpc_channel_create("unix:" + path, credentials, nil)
        grpc_channel_credentials_release(credentials)
    }

    override func tearDown() async throws {
        grpc_channel_destroy(channel)
        await queue.shutdownAndDrain()
        GRPCLibrary.release()
        await server.shutdown(gracePeriod: .seconds(1))
        unlink(path)
    }

    /// A started call: headers sent and the final status awaited, as `ClientCall` starts one.
    private func startCall() throws -> (CallOwner, CallStreams, status: Task<GRPCStatus, Error>) {
        let method = grpc_slice_from_copied_string("/test.Collect/Stream")
        defer { grpc_slice_unref(method) }
        let owner = CallOwner(grpc_channel_create_call(channel, nil, cgrpc_propagate_defaults(), queue.pointer, method, nil,
                                                       cgrpc_deadline_in(30_000), nil)!)
        let streams = CallStreams(call: owner.pointer, owner: owner)
        let batch = OperationBatch([.sendInitialMetadata(Metadata()), .receiveInitialMetadata, .receiveStatusOnClient])
        let status = Task { [owner] in
            let result = try await batch.run(on: owner.pointer)
            return withExtendedLifetime(owner) { result.status ?? GRPCStatus(.unknown, "no status") }
        }
        return (owner, streams, status)
    }

    func testABurstOfSendsGoesOutInOrderOneAtATimeAndEveryMessageComesBack() async throws {
        let (owner, streams, status) = try startCall()
        let messages = (0..<300).map { Array("message \($0)".utf8) }
        let firstFlags = Log<Bool>(), completions = Log<Int>()
        // All queued at once, without waiting for any: only the queue keeps the core's one-send rule.
        for (index, message) in messages.enumerated() {
            streams.send({ ok in completions.append(ok ? index : -1 - index) }) { first in
                firstFlags.append(first)
                return [.sendMessage(message)]
            }
        }
        let halfClosed = expectation(description: "half-close sent")
        streams.send({ ok in XCTAssertTrue(ok); halfClosed.fulfill() }) { _ in [.sendCloseFromClient] }

        let received = Log<[UInt8]?>()
        let ended = expectation(description: "receive loop ended")
        streams.receiveAll { message in
            received.append(message)
            if message == nil { ended.fulfill() }
        }
        await fulfillment(of: [halfClosed, ended], timeout: 20)
        let finalStatus = try await status.value
        XCTAssertEqual(finalStatus.code, .ok, "\(finalStatus)")

        XCTAssertEqual(completions.all, Array(0..<300), "sends failed or completed out of order")
        XCTAssertEqual(firstFlags.all, [true] + Array(repeating: false, count: 299), "only the first send is the first")
        XCTAssertEqual(received.all.compactMap { $0 }, messages, "the server did not get every message, in order")
        XCTAssertEqual(received.all.last, .some(nil), "the loop ends with nil once the server finished")
        XCTAssertEqual(received.all.filter { $0 == nil }.count, 1)
        withExtendedLifetime(owner) {}
    }

    func testOnACancelledCallSendsFailAndTheReceiveLoopEnds() async throws {
        let (owner, streams, status) = try startCall()
        let received = Log<[UInt8]?>()
        let ended = expectation(description: "receive loop ended")
        streams.receiveAll { message in
            received.append(message)
            if message == nil { ended.fulfill() }
        }
        grpc_call_cancel(owner.pointer, nil)
        let outcomes = Log<Bool>()
        let sent = expectation(description: "sends completed")
        sent.expectedFulfillmentCount = 3
        for index in 0..<3 {
            streams.send({ ok in outcomes.append(ok); sent.fulfill() }) { _ in [.sendMessage([UInt8(index)])] }
        }
        await fulfillment(of: [ended, sent], timeout: 10)
        XCTAssertEqual(outcomes.all, [false, false, false], "a send on a cancelled call reported success")
        XCTAssertEqual(received.all.count, 1)
        XCTAssertEqual(received.all.first, .some(nil))
        let finalStatus = try await status.value
        XCTAssertEqual(finalStatus.code, .cancelled)
    }
}
