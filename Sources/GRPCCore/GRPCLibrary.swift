import CGRPCCore

/// `grpc_init` / `grpc_shutdown`. The core counts them itself; each owner (a server) calls
/// `retain` once when it is created and `release` once after everything of its is destroyed.
package enum GRPCLibrary {
    package static func retain() {
        _ = abseilDeadlockDetectionIsOff
        grpc_init()
    }

    package static func release() { grpc_shutdown() }

    /// Set once, before the first `grpc_init`: the core's mutexes then skip the debug-build
    /// lock-order bookkeeping (see `cgrpc_disable_abseil_deadlock_detection`). False where the
    /// installed Abseil has no such switch; the core works the same, only slower.
    static let abseilDeadlockDetectionIsOff = cgrpc_disable_abseil_deadlock_detection() != 0
}
