import CGRPCCore
import Foundation

/// The message streams of one call, for servers and clients alike, within the core's rule of at
/// most one outstanding send and one outstanding receive: sends are queued and start one at a
/// time in order (a burst goes out in one write, see `startNextSend`); receives run as a loop
/// that posts the next one when the last completes.
/// Completions run on the poller thread, or where the core completes them for a call bound to a
/// callback queue, so what they call must not block.
///
/// The call pointer is borrowed: each running batch's completion keeps `owner` (the object that
/// owns the `grpc_call`) alive, so the pointer stays valid while batches run.
package final class CallStreams: @unchecked Sendable {  // grpc_call* borrowed (thread-safe in the core); the send queue guarded by `lock`
    private let call: OpaquePointer  // grpc_call*, borrowed from `owner`
    private unowned(unsafe) let owner: AnyObject
    private let lock = NSLock()
    private var firstSendQueued = false
    private var sendInFlight = false
    /// Queued sends, oldest last in `nextSends` and newest last in `laterSends`: two stacks make
    /// a queue whose take is O(1), where removing the first of one array shifted every send behind
    /// it, and a `Read` stream can have hundreds queued.
    private var laterSends: [PendingSend] = []
    private var nextSends: [PendingSend] = []
    private typealias PendingSend = (operations: [Operation], done: @Sendable (Bool) -> Void)

    package init(call: OpaquePointer, owner: AnyObject) {
        self.call = call
        self.owner = owner
    }

    /// Queues a send batch; `makeOperations` learns whether this is the call's first send (the
    /// server puts its response headers in that one). `done` gets whether the batch succeeded.
    package func send(_ done: @escaping @Sendable (Bool) -> Void, _ makeOperations: (_ first: Bool) -> [Operation]) {
        lock.lock()
        let operations = makeOperations(!firstSendQueued)
        firstSendQueued = true
        laterSends.append((operations, done))
        let startNow = !sendInFlight
        sendInFlight = true
        lock.unlock()
        if startNow { startNextSend() }
    }

    private func startNextSend() {
        lock.lock()
        if nextSends.isEmpty {
            nextSends = laterSends.reversed()
            laterSends.removeAll(keepingCapacity: true)
        }
        guard let next = nextSends.popLast() else {
            sendInFlight = false
            lock.unlock()
            return
        }
        // A message with more queued behind it carries the buffer hint: the transport takes it
        // and completes it at once without writing, and the last queued one (never hinted)
        // writes them all together: one write for a burst, not one per message.
        let moreQueued = !nextSends.isEmpty || !laterSends.isEmpty
        lock.unlock()
        let owner = self.owner
        do {
            try OperationBatch(next.operations, bufferingMessage: moreQueued).start(on: call) { [self] result in
                withExtendedLifetime(owner) {
                    next.done(result.success)
                    startNextSend()
                }
            }
        } catch {
            next.done(false)
            startNextSend()
        }
    }

    /// Receives every message, calling `handler` for each and once with nil when the peer has
    /// finished sending or the call ended.
    package func receiveAll(_ handler: @escaping @Sendable ([UInt8]?) -> Void) {
        let owner = self.owner
        do {
            try OperationBatch([.receiveMessage]).start(on: call) { [self] result in
                withExtendedLifetime(owner) {
                    guard result.success, let message = result.message else { return handler(nil) }
                    handler(message)
                    receiveAll(handler)
                }
            }
        } catch {
            handler(nil)
        }
    }
}
