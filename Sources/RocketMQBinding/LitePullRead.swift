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
        var lowered: [String: String] = [:]
        for (key, value) in request.metadata { lowered[key.lowercased()] = value.trimmingCharacters(in: .whitespaces) }
        func first(_ keys: String...) -> String? { keys.lazy.compactMap { lowered[$0] }.first { !$0.isEmpty } }

        var subscriptions = metadata.subscriptions
        if let requested = first("topics", "rocketmq-topic") {
            subscriptions = try BindingMetadata.parseTopics(requested)
        }
        let maxMessages = try BindingMetadata.integer("maxMessages", first("maxmessages"), default: 32, range: 1...1024)
        let waitMillis = try BindingMetadata.integer("waitMs", first("waitms"), default: 0, range: 0...60_000)
        let group = first("consumergroup") ?? metadata.consumerGroup
        try BindingMetadata.validateGroup("consumerGroup (request metadata)", group)

        let messages: [ConsumedMessage]
        do {
            messages = try await consumer.pull(subscriptions, maxMessages: maxMessages, wait: .milliseconds(Int64(waitMillis)),
                                               group: group, maxBodyBytes: Self.bodyBudget)
        } catch {
            throw componentError(error, "reading \(subscriptions.map(\.topic).joined(separator: ",")) as group \(group)")
        }
        let body = try JSONSerialization.data(withJSONObject: messages.map { $0.readResult() }, options: [.sortedKeys])
        return InvokeResponse(data: [UInt8](body), metadata: ["count": "\(messages.count)"], contentType: "application/json")
    }
}
