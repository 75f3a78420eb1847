import DaprComponents
import DaprProto
import Foundation

/// Output binding used to test the server alone: `echo` returns the request, and records the
/// instance it belongs to so tests can see the routing.
final class EchoOutputBinding: OutputBindingComponent, @unchecked Sendable {
    let instance: String
    private let lock = NSLock()
    private var metadata: [String: String]?

    init(instance: String) { self.instance = instance }

    func initialize(metadata: [String: String]) async throws {
        if metadata["fail"] != nil { throw ComponentError.invalidArgument("field fail: told to fail") }
        lock.withLock { self.metadata = metadata }
    }

    var operations: [String] { ["echo", "slow"] }

    func invoke(_ request: InvokeRequest) async throws -> InvokeResponse {
        switch request.operation {
        case "echo":
            var metadata = request.metadata
            metadata["instance"] = instance
            metadata["topics"] = lock.withLock { self.metadata?["topics"] } ?? ""
            return InvokeResponse(data: request.data, metadata: metadata, contentType: "text/plain")
        case "slow":
            try await Task.sleep(for: .seconds(30))
            return InvokeResponse()
        default:
            throw ComponentError.invalidArgument("operation \(request.operation) is not supported; supported: echo, slow")
        }
    }

    func ping() async throws {}
    func close() async {}
}

/// Input binding used to test the server alone: delivers `messages` messages at once, waits for
/// every ack, then delivers one confirmation `acked:<successes>/<failures>` and waits for the end.
final class CountingInputBinding: InputBindingComponent, @unchecked Sendable {
    let instance: String
    private let lock = NSLock()
    private var count = 0

    init(instance: String) { self.instance = instance }

    func initialize(metadata: [String: String]) async throws {
        lock.withLock { count = Int(metadata["messages"] ?? "1") ?? 1 }
    }

    func read(_ delivery: MessageDelivery) async throws {
        let count = lock.withLock { self.count }
        let outcomes = await withTaskGroup(of: AckOutcome.self) { group in
            for index in 0..<count {
                group.addTask {
                    await delivery.deliver(data: Array("\(self.instance):\(index)".utf8), metadata: ["index": "\(index)", "instance": self.instance],
                                           contentType: "text/plain", timeout: .seconds(60))
                }
            }
            return await group.reduce(into: [AckOutcome]()) { $0.append($1) }
        }
        let successes = outcomes.filter { if case .success = $0 { return true } else { return false } }.count
        let failures = outcomes.filter { if case .failure = $0 { return true } else { return false } }.count
        _ = await delivery.deliver(data: Array("acked:\(successes)/\(failures)".utf8), metadata: [:], contentType: "", timeout: .seconds(60))
        await delivery.waitUntilEnded()
    }

    func ping() async throws {}
    func close() async {}
}

struct TestBindingFactory: BindingFactory {
    func makeInputBinding(instance: String) -> InputBindingComponent { CountingInputBinding(instance: instance) }
    func makeOutputBinding(instance: String) -> OutputBindingComponent { EchoOutputBinding(instance: instance) }
}
