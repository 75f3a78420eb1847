import CGRPCCore

/// One operation of a batch, mirroring the core's `grpc_op_type`.
/// Turned into C in exactly one place, `OperationBatch.init`.
package enum Operation {
    case sendInitialMetadata(Metadata)
    case sendMessage([UInt8])
    case sendCloseFromClient
    case sendStatusFromServer(GRPCStatus, trailers: Metadata)
    case receiveInitialMetadata
    case receiveMessage
    case receiveStatusOnClient
    case receiveCloseOnServer
}

/// What a completed batch produced.
package struct BatchResult {
    /// The event's success flag: false when the call ended before the batch could run.
    package var success: Bool
    /// For `.receiveMessage`: the message, or nil when the client closed its side (or failed).
    package var message: [UInt8]?
    /// For `.receiveCloseOnServer`: whether the call was cancelled, timed out or broke.
    package var cancelled: Bool
    /// For `.receiveStatusOnClient`: the call's final status.
    package var status: GRPCStatus?
}
