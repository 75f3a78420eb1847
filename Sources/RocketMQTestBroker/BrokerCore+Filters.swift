import NIOCore
import RocketMQWire

// CHECK_CLIENT_CONFIG and SQL92 property filters (docs/protocol-remoting.md §2.17).
extension BrokerCore {
    /// `ClientManageProcessor.checkClientConfig`: a tag subscription always passes; any other type
    /// needs `enablePropertyFilter` (else 1 SYSTEM_ERROR) and an expression that compiles (else 23
    /// SUBSCRIPTION_PARSE_FAILED with the compiler's message as the remark).
    func handleCheckClientConfig(_ command: RemotingCommand, from channel: Channel) throws {
        let body = try CheckClientRequestBody(body: command.body)
        guard let subscription = body.subscriptionData, !ExpressionType.isTag(subscription.expressionType) else {
            return reply(to: command, on: channel, RemotingCommand.response(to: command, code: .success))
        }
        if let refusal = propertyFilterRefusal(subscription) {
            return reply(to: command, on: channel, RemotingCommand.response(to: command, code: .systemError, remark: refusal))
        }
        guard subscription.expressionType == ExpressionType.sql92 else {
            // FilterFactory knows no such type: the broker's NullPointerException has no message.
            return reply(to: command, on: channel, RemotingCommand.response(to: command, code: .subscriptionParseFailed))
        }
        do {
            _ = try SQL92Filter(compiling: subscription.subString)
        } catch {
            logger.debug("SQL92 expression refused", metadata: ["group": "\(body.group)", "expression": "\(subscription.subString)"])
            return reply(to: command, on: channel, RemotingCommand.response(to: command, code: .subscriptionParseFailed, remark: error.remark))
        }
        reply(to: command, on: channel, RemotingCommand.response(to: command, code: .success))
    }

    /// The remark of a broker that cannot filter by `subscription`'s type, or nil when it can.
    func propertyFilterRefusal(_ subscription: SubscriptionData) -> String? {
        guard !ExpressionType.isTag(subscription.expressionType), !configuration.enablePropertyFilter else { return nil }
        return "The broker does not support consumer to filter message by \(subscription.expressionType)"
    }
}

/// How one pull selects messages, compiled once per pull rather than per message.
enum PullFilter {
    /// By tag hash code (the client re-checks the tag string).
    case tags(SubscriptionData)
    case sql92(SQL92Filter)
    /// A SQL92 subscription sent with the pull whose expression does not compile: a 4.9.8 broker
    /// builds no filter data for it and so lets every message through.
    case everything

    init(_ subscription: SubscriptionData) {
        guard subscription.expressionType == ExpressionType.sql92 else {
            self = .tags(subscription)
            return
        }
        if let filter = try? SQL92Filter(compiling: subscription.subString) {
            self = .sql92(filter)
        } else {
            self = .everything
        }
    }

    func matches(_ message: StoredMessage) -> Bool {
        switch self {
        case .tags(let subscription):
            if subscription.subString == SubscriptionData.subscribeAll || (subscription.codeSet.isEmpty && subscription.tagsSet.isEmpty) {
                return true
            }
            let code = message.tags.map(JavaHash.stringHashCode) ?? 0
            return subscription.codeSet.contains(code)
        case .sql92(let filter):
            return filter.matches(message.properties)
        case .everything:
            return true
        }
    }
}
