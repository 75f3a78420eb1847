import CGRPCCore
import Foundation

/// Owns the one completion queue of a server and the one thread that polls it.
///
/// The poller waits with no deadline (an idle server costs nothing and never times out) and
/// only turns each event into `CompletionTag.complete(success:)`, which resumes the waiting
/// Swift task; handlers never run on this thread. The thread ends when the queue, after
/// `shutdown()`, reports `GRPC_QUEUE_SHUTDOWN`; then the queue is destroyed.
final class CompletionQueue: @unchecked Sendable {
    let pointer: OpaquePointer  // grpc_completion_queue*, owned
    private let drained = OneShotEvent()

    init() {
        pointer = grpc_completion_queue_create_for_next(nil)
    }

    func startPolling(name: String) {
        let thread = Thread { [self] in
            // Named from inside: on Linux, a name set before `start()` never reaches the kernel.
            Thread.current.name = name
            while true {
                let event = grpc_completion_queue_next(pointer, cgrpc_infinite_future(), nil)
                switch event.type {
                case GRPC_OP_COMPLETE:
                    guard let tag = event.tag else { continue }
                    Unmanaged<CompletionTag>.fromOpaque(tag).takeRetainedValue()
                        .complete(success: event.success != 0)
                case GRPC_QUEUE_SHUTDOWN:
                    drained.signal()
                    return
                default:  // GRPC_QUEUE_TIMEOUT cannot happen with an infinite deadline
                    continue
                }
            }
        }
        thread.start()
    }

    /// Shuts the queue down and returns once the poller has drained it and stopped. Call once,
    /// after the server using it has been destroyed, and only after `startPolling`.
    func shutdownAndDrain() async {
        grpc_completion_queue_shutdown(pointer)
        await drained.wait()
    }

    deinit {
        grpc_completion_queue_destroy(pointer)
    }
}
