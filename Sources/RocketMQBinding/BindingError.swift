import DaprComponents
import RocketMQClient
import RocketMQHTTP

/// The one place where client errors (remoting and HTTP) become component errors (and so gRPC statuses).
/// `context` names what was being done ("send to topic orders") so the message says it.
func componentError(_ error: Error, _ context: String) -> ComponentError {
    switch error {
    case let error as ComponentError:
        return error
    case let error as RocketMQError:
        let message = "\(context): \(error)"
        switch error {
        case .invalidArgument: return ComponentError(.invalidArgument, message)
        case .topicNotFound: return ComponentError(.notFound, message)
        case .noPermission: return ComponentError(.permissionDenied, message)
        case .timeout: return ComponentError(.deadlineExceeded, message)
        case .unreachable, .connectionClosed, .protocolViolation: return ComponentError(.unavailable, message)
        case .notRunning: return ComponentError(.failedPrecondition, message)
        case .subscriptionRefused(_, let code, _):
            // CHECK_CLIENT_CONFIG: an expression the broker cannot compile is the metadata's
            // fault; a broker that cannot filter that way must be reconfigured (enablePropertyFilter).
            if code == .subscriptionParseFailed { return ComponentError(.invalidArgument, "\(context): field topics: \(error)") }
            return ComponentError(.failedPrecondition,
                                  "\(context): field subscriptionType: \(error) (sql92 needs brokers with enablePropertyFilter=true)")
        // The file is on this machine: someone must repair, remove or make it writable.
        case .offsetFile: return ComponentError(.failedPrecondition, message)
        case .broker(.systemError, let remark?) where remark.contains("AclException"):
            // A 4.x broker refuses ACL failures from its RPC hook with SYSTEM_ERROR and the
            // AclException text (captured from 4.9.8), not with NO_PERMISSION.
            return ComponentError(.permissionDenied, message)
        case .broker(let code, _):
            switch code {
            case .systemBusy, .flowControl: return ComponentError(.resourceExhausted, message)
            case .messageIllegal: return ComponentError(.invalidArgument, message)
            case .noPermission: return ComponentError(.permissionDenied, message)
            case .topicNotExist: return ComponentError(.notFound, message)
            case .systemError, .serviceNotAvailable: return ComponentError(.unavailable, message)
            case .subscriptionParseFailed, .subscriptionNotExist, .subscriptionNotLatest, .subscriptionGroupNotExist:
                return ComponentError(.failedPrecondition, message)
            default: return ComponentError(.internal, message)
            }
        }
    case let error as MQHTTPError:
        let message = "\(context): \(error)"
        switch error {
        case .invalidEndpoint: return ComponentError(.invalidArgument, "\(context): field endpoint: \(error)")
        case .invalidMessage: return ComponentError(.invalidArgument, message)
        case .transport, .malformedResponse: return ComponentError(.unavailable, message)
        case .service(let status, let code, _, _):
            if error.isPermissionDenied { return ComponentError(.permissionDenied, message) }
            switch code {
            case "TopicNotExist": return ComponentError(.notFound, message)
            case "QpsLimitExceeded": return ComponentError(.resourceExhausted, message)
            case "InvalidDateHeader":  // this machine's clock is off from the service's
                return ComponentError(.failedPrecondition, message)
            default:
                if error.isRetryable { return ComponentError(.unavailable, message) }  // 5xx and codes to retry
                if status == 400 { return ComponentError(.invalidArgument, message) }
                return ComponentError(.internal, message)
            }
        }
    case is CancellationError:
        return ComponentError(.unavailable, "\(context): cancelled")
    default:
        return ComponentError(.internal, "\(context): \(error)")
    }
}
