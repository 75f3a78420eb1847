/// Everything that can go wrong speaking the HTTP access protocol. The binding maps these to gRPC
/// statuses in its one mapping function.
public enum MQHTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The configured endpoint is not an http(s) URL with a host.
    case invalidEndpoint(String)
    /// The service answered with an `<Error>` body (or a non-2xx status with a readable error).
    case service(status: Int, code: String, message: String, requestID: String?)
    /// The connection failed, was reset or timed out.
    case transport(String)
    /// The service answered something that is not the protocol: bad XML, an unexpected status.
    case malformedResponse(status: Int, detail: String)
    /// A message the protocol cannot carry (a forbidden character in a property, a body that is
    /// not XML text); nothing was sent.
    case invalidMessage(String)

    /// Codes the service documents as "retry with back-off".
    static let retryableCodes: Set<String> = ["InternalError", "InternalServerError", "MessageNotExist", "TimeExpired", "QpsLimitExceeded"]
    /// Codes that mean the credentials or their rights are wrong.
    public static let authenticationCodes: Set<String> = [
        "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidAuthorizationHeader",
        "MissingAuthorizationHeader", "HTTPForbidden",
    ]

    /// Worth trying again after a pause: transport failures, 5xx and the service's retryable codes.
    public var isRetryable: Bool {
        switch self {
        case .transport: return true
        case .service(let status, let code, _, _): return status >= 500 || Self.retryableCodes.contains(code)
        case .invalidEndpoint, .malformedResponse, .invalidMessage: return false
        }
    }

    /// The service refused the credentials (HTTP 403 or an authentication code).
    public var isPermissionDenied: Bool {
        guard case .service(let status, let code, _, _) = self else { return false }
        return status == 403 || Self.authenticationCodes.contains(code)
    }

    public var description: String {
        switch self {
        case .invalidEndpoint(let detail): return "invalid endpoint: \(detail)"
        case .service(let status, let code, let message, let requestID):
            return "service answered HTTP \(status) \(code): \(message)" + (requestID.map { " (request id \($0))" } ?? "")
        case .transport(let detail): return "HTTP transport failed: \(detail)"
        case .malformedResponse(let status, let detail): return "malformed answer (HTTP \(status)): \(detail)"
        case .invalidMessage(let detail): return "message not sendable over the HTTP access protocol: \(detail)"
        }
    }
}
