import DaprComponents
import DaprProto
import Foundation
import NIOCore
import RocketMQClient

/// The `read` operation (component.md §3): pull on demand from the committed offsets, commit past
/// what is returned (at-most-once for this operation), return the messages as JSON.
struct LitePullRead {
    /// daprd receives the answer with grpc-go's default 4 MiB limit. Each body appears in the JSON
    /// as base64 (4/3) and, when it is text, once more as text: 2.4 times its size at most, so
    /// 1.6 MiB of bodies keeps the answer under 4 MiB. What is not taken stays uncommitted for
    /// the next read (a single larger message is still returned, so reads never get stuck).
    static let bodyBudget = 1_600 * 1024

    var request: InvokeRequest
    var metadata: BindingMetadata
    var consumer: LitePullConsumer

    func run() async throws -> InvokeResponse {
        let options = try ReadOptions(request.metadata, component: metadata, maxWaitMillis: 60_000)
        let messages: [ConsumedMessage]
        do {
            messages = try await consumer.pull(options.subscriptions, maxMessages: options.maxMessages, wait: .milliseconds(Int64(options.waitMillis)),
                                               group: options.group, maxBodyBytes: Self.bodyBudget)
        } catch {
            throw componentError(error, "reading \(options.subscriptions.map(\.topic).joined(separator: ",")) as group \(options.group)")
        }
        let body = try JSONSerialization.data(withJSONObject: messages.map { $0.readResult() }, options: [.sortedKeys])
        return InvokeResponse(data: [UInt8](body), metadata: ["count": "\(messages.count)"], contentType: "application/json")
    }
}

/// The request metadata of a `read` (component.md §3), whatever the protocol: `topics` (default
/// the component's), `maxMessages` (1–1024, default 32), `waitMs`, `consumerGroup`.
struct ReadOptions {
    var subscriptions: [Subscription]
    var maxMessages: Int
    var waitMillis: Int
    var group: String

    init(_ requestMetadata: [String: String], component: BindingMetadata, maxWaitMillis: Int) throws {
        var lowered: [String: String] = [:]
        for (key, value) in requestMetadata { lowered[key.lowercased()] = value.trimmingCharacters(in: .whitespaces) }
        func first(_ keys: String...) -> String? { keys.lazy.compactMap { lowered[$0] }.first { !$0.isEmpty } }

        subscriptions = try first("topics", "rocketmq-topic").map(BindingMetadata.parseTopics) ?? component.subscriptions
        maxMessages = try BindingMetadata.integer("maxMessages", first("maxmessages"), default: 32, range: 1...1024)
        waitMillis = try BindingMetadata.integer("waitMs", first("waitms"), default: 0, range: 0...maxWaitMillis)
        group = first("consumergroup") ?? component.consumerGroup
        try BindingMetadata.validateGroup("consumerGroup (request metadata)", group)
    }
}
