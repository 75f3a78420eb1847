import CGRPCCore

/// The object behind every tag given to the core. The core holds a `cgrpc_tag`: a functor whose
/// `owner` is this object, passed retained (`retainedPointer()`) and released exactly once: by
/// `complete(tag:success:)` when the event arrives, whether a poller took it from a queue or a
/// callback queue ran the functor, or by the submitter when the core refused the operation, in
/// which case no event will ever come.
package class CompletionTag {
    private let tag: UnsafeMutablePointer<cgrpc_tag>

    init() {
        tag = .allocate(capacity: 1)
        let functor = grpc_completion_queue_functor(
            functor_run: { functor, success in
                CompletionTag.complete(tag: UnsafeMutableRawPointer(functor!), success: success != 0)
            },
            // Run where the operation completes (inline in the thread that started the batch, when
            // its write finished there) rather than handed to the core's executor thread.
            inlineable: 1, internal_success: 0, internal_next: nil)
        tag.initialize(to: cgrpc_tag(functor: functor, owner: nil))
    }

    deinit {
        tag.deallocate()
    }

    /// Called with the event's success flag, on the poller thread or wherever the core completed
    /// the operation. Must not block: it only records results and resumes a waiting task.
    func complete(success: Bool) {}

    /// The opaque, retained pointer handed to the core; once per tag.
    final func retainedPointer() -> UnsafeMutableRawPointer {
        tag.pointee.owner = Unmanaged.passRetained(self).toOpaque()
        return UnsafeMutableRawPointer(tag)
    }

    /// Completes the tag behind a pointer from `retainedPointer()` and releases it.
    static func complete(tag pointer: UnsafeMutableRawPointer, success: Bool) {
        takeOwner(pointer).complete(success: success)
    }

    /// Balances `retainedPointer()` when the core refused it.
    static func releaseUnused(_ pointer: UnsafeMutableRawPointer) {
        _ = takeOwner(pointer)
    }

    private static func takeOwner(_ pointer: UnsafeMutableRawPointer) -> CompletionTag {
        let tag = pointer.assumingMemoryBound(to: cgrpc_tag.self)
        let owner = tag.pointee.owner!
        tag.pointee.owner = nil
        return Unmanaged<CompletionTag>.fromOpaque(owner).takeRetainedValue()
    }
}

/// A tag that runs a closure; used for one-off events (server shutdown, requested calls).
final class ClosureTag: CompletionTag {
    private let action: (Bool) -> Void

    init(_ action: @escaping (Bool) -> Void) {
        self.action = action
    }

    override func complete(success: Bool) {
        action(success)
    }
}
