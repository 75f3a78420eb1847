import CGRPCCore
import Foundation

/// Owns the one completion queue of a server and the one thread that polls it.
///
/// The poller waits with no deadline (an idle server costs nothing and never times out) and
/// only turns each event into `CompletionTag.complete(success:)`, which resumes the waiting
/// Swift task; handlers never run on this thread. The thread ends when the queue, after
/// `shutdown()`, reports `GRPC_QUEUE_SHUTDOWN`; then the queue is destroyed.
package final class CompletionQueue: @unchecked Sendable {  // C pointer owned here, destroyed once in deinit; the core is thread-safe
    package let pointer: OpaquePointer  // grpc_completion_queue*, owned
    private let drained = OneShotEvent()

    package init() {
        pointer = grpc_completion_queue_create_for_next(nil)
    }

    package func startPolling(name: String) {
        let thread = Thread { [self] in
            // Named from inside: on Linux, a name set before `start()` never reaches the kernel.
            Thread.current.name = name
            while true {
                let event = grpc_completion_queue_next(pointer, cgrpc_infinite_future(), nil)
                switch event.type {
                case GRPC_OP_COMPLETE:
                    guard let tag = event.tag else { continue }
                    CompletionTag.complete(tag: tag, success: event.success != 0)
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
    package func shutdownAndDrain() async {
        grpc_completion_queue_shutdown(pointer)
        await drained.wait()
    }

    deinit {
        grpc_completion_queue_destroy(pointer)
    }
}

/// A callback completion queue: nothing polls it; the core runs each tag's functor where the
/// operation completes. A unary call bound to it is answered without waking the poller thread:
/// its last batch, started on the handler's thread, usually writes and completes right there.
/// (Completions the poller thread produces, such as a client's cancellation, go through the
/// core's executor thread instead.)
final class CallbackCompletionQueue: @unchecked Sendable {  // C pointer owned here, destroyed once in deinit; the core is thread-safe
    let pointer: OpaquePointer  // grpc_completion_queue*, owned
    private let drained = OneShotEvent()

    init() {
        let drained = self.drained
        let shutdownDone = ClosureTag { _ in drained.signal() }
        pointer = grpc_completion_queue_create_for_callback(
            shutdownDone.retainedPointer().assumingMemoryBound(to: grpc_completion_queue_functor.self), nil)
    }

    /// Shuts the queue down and returns once every operation on it has completed. Call once,
    /// after the server whose calls use it has been destroyed.
    func shutdownAndDrain() async {
        grpc_completion_queue_shutdown(pointer)
        await drained.wait()
    }

    deinit {
        grpc_completion_queue_destroy(pointer)
    }
}
