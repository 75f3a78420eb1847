import CGRPCCore

/// Failures of the core wrapper itself (as opposed to a call's status).
public enum CoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `grpc_call_start_batch` refused a batch; the raw `grpc_call_error` value is kept.
    case startBatchFailed(Int32)
    /// A batch completed with success = false (the call was cancelled or the peer went away).
    case batchFailed
    /// `grpc_server_add_http2_port` could not bind the address.
    case bindFailed(address: String)
    /// The server was used in the wrong state (for example, a method registered after start).
    case invalidState(String)

    init(callError: grpc_call_error) {
        self = .startBatchFailed(Int32(callError.rawValue))
    }

    public var description: String {
        switch self {
        case .startBatchFailed(let code): return "grpc_call_start_batch failed with grpc_call_error \(code)"
        case .batchFailed: return "the call ended before the operation completed"
        case .bindFailed(let address): return "could not listen on \(address)"
        case .invalidState(let reason): return reason
        }
    }
}
