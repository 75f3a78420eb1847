import Foundation
@testable import GRPCCore
import GRPCTestClient
import XCTest

/// The Swift server and client layers over the C core, talking on a temporary Unix socket.
final class ServerAndClientTests: XCTestCase {
    private var path: String!
    private var server: Server!
    private var channel: ClientChannel!
    private let cancelledCalls = Counter()

    override func setUp() async throws {
        path = NSTemporaryDirectory() + "grpccore-\(UUID().uuidString.prefix(8)).sock"
        server = Server(logger: .init(label: "test"))
        try server.register("/test.Echo/Unary", .unary { call, request in
            if request == Array("fail".utf8) { throw GRPCStatus(.notFound, "no such thing") }
            if request == Array("boom".utf8) { throw CancellationError() }
            return Array((call.metadata["x-echo-prefix"] ?? "").utf8) + request
        })
        try server.register("/test.Echo/Slow", .unary { [cancelledCalls] call, _ in
            call.onCancel { cancelledCalls.increment() }
            try await Task.sleep(for: .seconds(30))
            return []
        })
        try server.register("/test.Echo/Stream", .bidirectionalStreaming { call in
            while let message = try await call.receiveMessage() {
                try await call.send(message.reversed())
            }
        })
        try server.register("/test.Echo/Burst", .bidirectionalStreaming { call in
            // One request says how many messages to send back, all queued at once without waiting.
            guard let request = try await call.receiveMessage() else { return }
            for index in 0..<(Int(String(decoding: request, as: UTF8.self)) ?? 0) {
                call.send(Array("\(index)".utf8)) { _ in }
            }
            // Open until the client has them all: only the burst itself can have flushed them.
            _ = try await call.receiveMessage()
        })
        try server.start(listeningOn: "unix:" + path)
        channel = ClientChannel(target: "unix:" + path)
    }

    override func tearDown() async throws {
        await channel.close()
        await server.shutdown(gracePeriod: .seconds(1))
        unlink(path)
    }

    func testUnaryCallsCarryMetadataAndStatuses() async throws {
        let answer = try await channel.unary("/test.Echo/Unary", Array("hi".utf8), metadata: ["x-echo-prefix": ">"])
        XCTAssertEqual(String(decoding: answer, as: UTF8.self), ">hi")
        do {
            _ = try await channel.unary("/test.Echo/Unary", Array("fail".utf8))
            XCTFail("expected NOT_FOUND")
        } catch let status as GRPCStatus {
            XCTAssertEqual(status, GRPCStatus(.notFound, "no such thing"))
        }
        do {
            _ = try await channel.unary("/test.Echo/Unary", Array("boom".utf8))
            XCTFail("expected INTERNAL")
        } catch let status as GRPCStatus {
            XCTAssertEqual(status.code, .internal, "errors other than GRPCStatus become INTERNAL")
        }
    }

    func testUnaryCompletionsCarryAnswersAndStatusesAndCanChainCalls() async throws {
        let channel = self.channel!
        let (first, second) = await withCheckedContinuation { continuation in
            channel.unary("/test.Echo/Unary", Array("hi".utf8), metadata: ["x-echo-prefix": "<"]) { first in
                // The next call starts from the completion itself, as a load generator's do.
                channel.unary("/test.Echo/Unary", Array("fail".utf8)) { second in continuation.resume(returning: (first, second)) }
            }
        }
        XCTAssertEqual(first, .success(Array("<hi".utf8)))
        XCTAssertEqual(second, .failure(GRPCStatus(.notFound, "no such thing")))
    }

    func testUnknownMethodsAreUnimplemented() async throws {
        do {
            _ = try await channel.unary("/test.Echo/Missing", [])
            XCTFail("expected UNIMPLEMENTED")
        } catch let status as GRPCStatus {
            XCTAssertEqual(status.code, .unimplemented)
        }
    }

    func testBidirectionalStreamsExchangeMessagesUntilTheClientCloses() async throws {
        let call = channel.makeCall("/test.Echo/Stream")
        for word in ["abc", "hello", "x"] {
            try await call.send(Array(word.utf8))
            let reply = try await call.receive()
            XCTAssertEqual(reply.map { String(decoding: $0, as: UTF8.self) }, String(word.reversed()))
        }
        try await call.closeSending()
        let end = try await call.receive()
        XCTAssertNil(end)
        let status = await call.status
        XCTAssertEqual(status.code, .ok)
    }

    func testABurstOfQueuedSendsArrivesWholeAndInOrderWhileTheStreamStaysOpen() async throws {
        // All but the last queued message carry the buffer hint; a held-back last one would
        // leave the client waiting until the deadline.
        let call = channel.makeCall("/test.Echo/Burst", timeout: .seconds(30))
        try await call.send(Array("500".utf8))
        for index in 0..<500 {
            let message = try await call.receive()
            XCTAssertEqual(message.map { String(decoding: $0, as: UTF8.self) }, "\(index)")
            if message == nil { break }
        }
        try await call.closeSending()
        let end = try await call.receive()
        XCTAssertNil(end)
        let status = await call.status
        XCTAssertEqual(status.code, .ok)
    }

    func testTheServerSeesDeadlinesAndCancellation() async throws {
        do {
            _ = try await channel.unary("/test.Echo/Slow", [], timeout: .milliseconds(100))
            XCTFail("expected DEADLINE_EXCEEDED")
        } catch let status as GRPCStatus {
            XCTAssertEqual(status.code, .deadlineExceeded)
        }
        let deadline = Date().addingTimeInterval(10)
        while cancelledCalls.value == 0, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        XCTAssertEqual(cancelledCalls.value, 1, "the handler learned that its call was cancelled")
    }

    func testManyConcurrentCallsShareOneQueue() async throws {
        let channel = self.channel!
        let answers = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<300 {
                group.addTask {
                    String(decoding: try await channel.unary("/test.Echo/Unary", Array("\(index)".utf8)), as: UTF8.self)
                }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        XCTAssertEqual(answers, Set((0..<300).map(String.init)))
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

/// Unary handlers run on the configured executor, before and after they suspend.
final class UnaryHandlerExecutorTests: XCTestCase {
    func testUnaryHandlersRunOnTheConfiguredExecutor() async throws {
        let executor = QueueTaskExecutor()
        var configuration = Server.Configuration()
        configuration.unaryHandlerExecutor = executor
        let server = Server(configuration: configuration, logger: .init(label: "test"))
        try server.register("/test.Where/Unary", .unary { _, _ in
            let startedOnExecutor = executor.isCurrent
            try await Task.sleep(for: .milliseconds(1))
            return [startedOnExecutor ? 1 : 0, executor.isCurrent ? 1 : 0]
        })
        let path = NSTemporaryDirectory() + "grpccore-\(UUID().uuidString.prefix(8)).sock"
        try server.start(listeningOn: "unix:" + path)
        let channel = ClientChannel(target: "unix:" + path)
        let answer = try await channel.unary("/test.Where/Unary", [])
        await channel.close()
        await server.shutdown(gracePeriod: .seconds(1))
        unlink(path)
        XCTAssertEqual(answer, [1, 1], "[started on the executor, resumed on it]")
    }
}

/// A task executor on a serial dispatch queue that knows when it is the current one.
private final class QueueTaskExecutor: TaskExecutor, @unchecked Sendable {
    private let queue = DispatchQueue(label: "test-executor")
    private let key = DispatchSpecificKey<Bool>()

    init() {
        queue.setSpecific(key: key, value: true)
    }

    var isCurrent: Bool { DispatchQueue.getSpecific(key: key) == true }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
