import CGRPCCore

/// A batch of operations on one call and every piece of C memory its operations point at,
/// which must live until the core reports completion. The batch is its own completion tag:
/// the poller completes (and releases) it exactly once; if the core refuses the batch it is
/// released at once and the caller gets the error.
package final class OperationBatch: CompletionTag {
    private let operations: UnsafeMutablePointer<grpc_op>
    private let count: Int
    private var keepAlive: [AnyObject] = []
    private var statusDetails: grpc_slice?
    private var receivedMessage: UnsafeMutablePointer<UnsafeMutablePointer<grpc_byte_buffer>?>?
    private var cancelledFlag: UnsafeMutablePointer<Int32>?
    private var receivedMetadata: ReceivedMetadataArray?
    private var statusCode: UnsafeMutablePointer<grpc_status_code>?
    private var statusDetailsOut: UnsafeMutablePointer<grpc_slice>?
    private var completion: ((BatchResult) -> Void)?

    /// `bufferingMessage`: the batch's message carries the core's buffer hint (see `CallStreams`).
    package init(_ ops: [Operation], bufferingMessage: Bool = false) {
        count = ops.count
        operations = .allocate(capacity: ops.count)
        super.init()
        for (index, op) in ops.enumerated() {
            let cOp: grpc_op
            switch op {
            case .sendInitialMetadata(let metadata):
                let outgoing = OutgoingMetadata(metadata)
                keepAlive.append(outgoing)
                cOp = cgrpc_op_send_initial_metadata(outgoing.entries, outgoing.count)
            case .sendMessage(let bytes):
                let buffer = CoreByteBuffer(copying: bytes)
                keepAlive.append(buffer)
                cOp = cgrpc_op_send_message(buffer.pointer, bufferingMessage ? 1 : 0)
            case .sendStatusFromServer(let status, let trailers):
                let outgoing = OutgoingMetadata(trailers)
                keepAlive.append(outgoing)
                statusDetails = grpc_slice_from_copied_string(status.message)
                cOp = withUnsafeMutablePointer(to: &statusDetails!) { details in
                    // The core copies the details during start_batch; the slice is ours to free.
                    cgrpc_op_send_status_from_server(
                        outgoing.entries, outgoing.count,
                        grpc_status_code(rawValue: status.code.rawValue), details)
                }
            case .sendCloseFromClient:
                cOp = cgrpc_op_send_close_from_client()
            case .receiveInitialMetadata:
                let metadata = ReceivedMetadataArray()
                keepAlive.append(metadata)
                cOp = cgrpc_op_recv_initial_metadata(metadata.pointer)
            case .receiveStatusOnClient:
                let trailers = ReceivedMetadataArray()
                receivedMetadata = trailers
                let code = UnsafeMutablePointer<grpc_status_code>.allocate(capacity: 1)
                code.initialize(to: GRPC_STATUS_UNKNOWN)
                statusCode = code
                let details = UnsafeMutablePointer<grpc_slice>.allocate(capacity: 1)
                details.initialize(to: grpc_empty_slice())
                statusDetailsOut = details
                cOp = cgrpc_op_recv_status_on_client(trailers.pointer, code, details)
            case .receiveMessage:
                let slot = UnsafeMutablePointer<UnsafeMutablePointer<grpc_byte_buffer>?>.allocate(capacity: 1)
                slot.initialize(to: nil)
                receivedMessage = slot
                cOp = cgrpc_op_recv_message(slot)
            case .receiveCloseOnServer:
                let flag = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
                flag.initialize(to: 0)
                cancelledFlag = flag
                cOp = cgrpc_op_recv_close_on_server(flag)
            }
            (operations + index).initialize(to: cOp)
        }
    }

    /// Starts the batch on `call`; `completion` runs when the core completes it, on the poller
    /// thread or, for a call bound to a callback queue, possibly inside this call (so it must
    /// not block, nor take a lock held around `start`). Throws `CoreError.startBatchFailed`, and
    /// never calls `completion`, when the core refuses the batch.
    package func start(on call: OpaquePointer, completion: @escaping (BatchResult) -> Void) throws {
        self.completion = completion
        let tag = retainedPointer()
        let error = grpc_call_start_batch(call, operations, count, tag, nil)
        if error != GRPC_CALL_OK {
            self.completion = nil
            CompletionTag.releaseUnused(tag)
            throw CoreError(callError: error)
        }
    }

    /// Starts the batch on `call` and suspends until the core completes it.
    package func run(on call: OpaquePointer) async throws -> BatchResult {
        try await withCheckedThrowingContinuation { continuation in
            do {
                try start(on: call) { continuation.resume(returning: $0) }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    override func complete(success: Bool) {
        var message: [UInt8]?
        if let slot = receivedMessage, let buffer = slot.pointee {
            slot.pointee = nil
            message = CoreByteBuffer(taking: buffer).bytes()
        }
        var status: GRPCStatus?
        if let code = statusCode, let details = statusDetailsOut {
            let text = CoreByteBuffer.string(details)
            status = GRPCStatus(StatusCode(rawValue: Int32(code.pointee.rawValue)) ?? .unknown, text)
        }
        let result = BatchResult(success: success, message: message, cancelled: (cancelledFlag?.pointee ?? 0) != 0, status: status)
        let completion = self.completion
        self.completion = nil
        completion?(result)
    }

    deinit {
        if let slot = receivedMessage {
            if let buffer = slot.pointee { grpc_byte_buffer_destroy(buffer) }
            slot.deallocate()
        }
        cancelledFlag?.deallocate()
        statusCode?.deallocate()
        if let details = statusDetailsOut {
            grpc_slice_unref(details.pointee)
            details.deallocate()
        }
        if let details = statusDetails { grpc_slice_unref(details) }
        operations.deinitialize(count: count)
        operations.deallocate()
    }
}
