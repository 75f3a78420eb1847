import RocketMQWire

/// The one error type of the client layer. Each case carries what the binding needs to map it to a
/// gRPC status in one place and to tell the user what happened (the broker's code and remark).
public enum RocketMQError: Error, Sendable, CustomStringConvertible {
    /// A bad argument or configuration, refused before anything was sent.
    case invalidArgument(String)
    /// The name server has no route for the topic (code 17), or the broker does not know it.
    case topicNotFound(topic: String, remark: String?)
    /// Code 16: the topic or broker refuses the operation, or ACL denied it.
    case noPermission(remark: String?)
    /// Any other non-success response code (named: `.systemBusy`, `.messageIllegal`, …), with the
    /// broker's remark.
    case broker(code: ResponseCode, remark: String?)
    /// CHECK_CLIENT_CONFIG refused a subscription's filter (docs/protocol-remoting.md §2.17): code 1
    /// when the broker cannot filter by that type (`enablePropertyFilter` off), 23
    /// SUBSCRIPTION_PARSE_FAILED when the expression does not compile; with the broker's remark.
    case subscriptionRefused(topic: String, code: ResponseCode, remark: String?)
    /// No response within the deadline.
    case timeout(String)
    /// No connection could be opened (after retries), or no name server / broker address is known.
    case unreachable(address: String, reason: String)
    /// The connection closed while the request waited.
    case connectionClosed(address: String)
    /// The peer sent bytes or JSON we cannot understand.
    case protocolViolation(String)
    /// The client (producer/consumer) is not started, or already shut down.
    case notRunning
    /// A broadcasting consumer's local offset file (`LocalOffsetStore`) cannot be read, parsed or
    /// written.
    case offsetFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidArgument(let message): return "invalid argument: \(message)"
        case .topicNotFound(let topic, let remark): return "topic \(topic) not found" + Self.suffix(remark)
        case .noPermission(let remark): return "no permission" + Self.suffix(remark)
        case .broker(let code, let remark): return "broker error \(code)" + Self.suffix(remark)
        case .subscriptionRefused(let topic, let code, let remark):
            return "the broker refused the subscription of topic \(topic) with \(code)" + Self.suffix(remark)
        case .timeout(let what): return "timed out: \(what)"
        case .unreachable(let address, let reason): return "\(address) unreachable: \(reason)"
        case .connectionClosed(let address): return "connection to \(address) closed"
        case .protocolViolation(let message): return "protocol violation: \(message)"
        case .notRunning: return "client not running"
        case .offsetFile(let path, let reason): return "local offset file \(path): \(reason)"
        }
    }

    private static func suffix(_ remark: String?) -> String {
        guard let remark, !remark.isEmpty else { return "" }
        return ": \(remark)"
    }
}
