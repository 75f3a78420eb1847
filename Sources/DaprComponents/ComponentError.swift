import GRPCCore

/// The error type of the component layer: what a binding reports to daprd. Each case names a
/// gRPC status; `grpcStatus` is the one place where errors become statuses.
public struct ComponentError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Bad component metadata or request.
        case invalidArgument
        /// The instance was not initialised (or the call came in the wrong order).
        case failedPrecondition
        /// The topic or route does not exist.
        case notFound
        /// The broker's ACL refused the request.
        case permissionDenied
        /// Name server or broker unreachable after the retries.
        case unavailable
        /// A send or pull timed out.
        case deadlineExceeded
        /// The broker is busy or flow-controlling.
        case resourceExhausted
        /// Not supported (yet).
        case unimplemented
        /// A bug.
        case `internal`
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// The name of the gRPC status this error becomes (`INVALID_ARGUMENT`, …), for metrics and logs.
    public var statusName: String { Self.grpcStatus(for: self).code.description }

    public static func invalidArgument(_ message: String) -> ComponentError { .init(.invalidArgument, message) }
    public static func failedPrecondition(_ message: String) -> ComponentError { .init(.failedPrecondition, message) }
    public static func unavailable(_ message: String) -> ComponentError { .init(.unavailable, message) }
}

extension ComponentError {
    /// The gRPC status for any error a handler throws: the single mapping of this component.
    static func grpcStatus(for error: Error) -> GRPCStatus {
        switch error {
        case let status as GRPCStatus:
            return status
        case let error as ComponentError:
            let code: StatusCode
            switch error.kind {
            case .invalidArgument: code = .invalidArgument
            case .failedPrecondition: code = .failedPrecondition
            case .notFound: code = .notFound
            case .permissionDenied: code = .permissionDenied
            case .unavailable: code = .unavailable
            case .deadlineExceeded: code = .deadlineExceeded
            case .resourceExhausted: code = .resourceExhausted
            case .unimplemented: code = .unimplemented
            case .internal: code = .internal
            }
            return GRPCStatus(code, error.message)
        case is CancellationError:
            return GRPCStatus(.cancelled, "the call was cancelled")
        default:
            return GRPCStatus(.internal, "internal error: \(error)")
        }
    }
}
