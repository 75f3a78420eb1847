import DaprComponents
import DaprProto
import Foundation
import Logging
import NIOCore
import RocketMQClient

/// The `read` operation (docs/component-spec.md §3): pull on demand from the committed offsets,
/// return the messages as JSON within daprd's receive limit, and commit past exactly what the
/// answer carries (at-most-once for this operation). A message too large for any answer goes to
/// the group's dead-letter queue, is logged and is reported in the answer's metadata: it is never
/// silently skipped.
struct LitePullRead {
    /// Bodies pulled per read at most: base64 makes a body 4/3 larger, so more than 3 MiB of bodies
    /// can never fit in a 4 MiB answer. What is not taken stays uncommitted for the next read (a
    /// single larger message is still taken, so reads never get stuck).
    static let bodyBudget = 3 * 1024 * 1024

    var options: ReadOptions
    var consumer: LitePullConsumer
    var logger: Logger
    /// With `enableTrace`: SubBefore and SubAfter records of what the answer carries.
    var tracing: MessageTracing? = nil

    func run() async throws -> InvokeResponse {
        let context = "reading \(options.subscriptions.map(\.topic).joined(separator: ",")) as group \(options.group)"
        let pulled: LitePullConsumer.Pulled
        do {
            pulled = try await consumer.pullUncommitted(
                options.subscriptions, maxMessages: options.maxMessages, wait: .milliseconds(Int64(options.waitMillis)),
                group: options.group, maxBodyBytes: Self.bodyBudget)
        } catch {
            throw componentError(error, context)
        }

        var answer = ReadAnswer()
        var accepted = Array(repeating: false, count: pulled.messages.count)
        var deadLettered: [String] = []
        placing: for (index, message) in pulled.messages.enumerated() {
            switch try answer.add(message.readResult(), bodyText: String(validating: message.body, as: UTF8.self)) {
            case .added:
                accepted[index] = true
            case .full:
                break placing  // this one and the rest come again on the next read
            case .neverFits:
                do {
                    try await consumer.deadLetter(pulled, index: index)
                } catch {
                    // Not committed either: it comes again, and so does this error, until the DLQ takes it.
                    throw componentError(error, "moving message \(message.messageID) (too large for a read answer) to %DLQ%\(options.group)")
                }
                logger.error("message too large for a read answer under daprd's 4 MiB limit; moved to the dead-letter queue", metadata: [
                    "msgId": "\(message.messageID)", "topic": "\(message.topic)", "bytes": "\(message.body.count)",
                    "dlq": "%DLQ%\(options.group)"])
                accepted[index] = true
                deadLettered.append(message.messageID)
                BindingMetrics.shared.topic(message.topic).deadLettered.increment()
            }
        }
        do {
            try await consumer.commit(pulled, accepted: accepted)
        } catch {
            throw componentError(error, "committing the offsets of a read of group \(options.group)")
        }
        if let tracing {
            let deadLetteredIDs = Set(deadLettered)
            tracing.read(zip(pulled.messages, accepted).filter { $0.1 && !deadLetteredIDs.contains($0.0.messageID) }.map(\.0))
        }
        var responseMetadata = ["count": "\(answer.count)"]
        if !deadLettered.isEmpty {
            responseMetadata["deadLettered"] = "\(deadLettered.count)"
            responseMetadata["deadLetteredMsgIds"] = deadLettered.joined(separator: ",")
        }
        return answer.response(metadata: responseMetadata)
    }
}

/// The request metadata of a `read` (docs/component-spec.md §3), whatever the protocol: `topics`
/// (default the component's), `maxMessages` (1–1024, default 32), `waitMs`, `consumerGroup`.
struct ReadOptions {
    var subscriptions: [Subscription]
    var maxMessages: Int
    var waitMillis: Int
    var group: String

    init(_ requestMetadata: [String: String], component: BindingMetadata, maxWaitMillis: Int) throws {
        var lowered: [String: String] = [:]
        for (key, value) in requestMetadata { lowered[key.lowercased()] = value.trimmingCharacters(in: .whitespaces) }
        func first(_ keys: String...) -> String? { keys.lazy.compactMap { lowered[$0] }.first { !$0.isEmpty } }

        subscriptions = try first("topics", "rocketmq-topic").map { try BindingMetadata.parseTopics($0, type: component.subscriptionType) }
            ?? component.subscriptions
        maxMessages = try BindingMetadata.integer("maxMessages", first("maxmessages"), default: 32, range: 1...1024)
        waitMillis = try BindingMetadata.integer("waitMs", first("waitms"), default: 0, range: 0...maxWaitMillis)
        group = first("consumergroup") ?? component.consumerGroup
        try BindingMetadata.validateGroup("consumerGroup (request metadata)", group)
    }
}
