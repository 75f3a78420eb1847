/// The object behind every tag given to the core. It is passed retained
/// (`Unmanaged.passRetained(tag).toOpaque()`) and released exactly once: by the poller when the
/// event arrives (`CompletionQueue` takes the retained value), or by the submitter when the
/// core refused the operation, in which case no event will ever come.
class CompletionTag {
    /// Called on the poller thread with the event's success flag. Must not block: it only
    /// records results and resumes a waiting task.
    func complete(success: Bool) {}

    /// The opaque, retained pointer handed to the core.
    final func retainedPointer() -> UnsafeMutableRawPointer {
        Unmanaged.passRetained(self).toOpaque()
    }

    /// Balances `retainedPointer()` when the core refused it.
    static func releaseUnused(_ pointer: UnsafeMutableRawPointer) {
        Unmanaged<CompletionTag>.fromOpaque(pointer).release()
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
