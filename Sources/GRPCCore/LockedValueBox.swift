import Foundation

/// A value that is only ever touched under its lock: what `NIOLockedValueBox` is to the modules
/// on NIO, for GRPCCore and DaprComponents, which do not depend on NIO (and Synchronization's
/// `Mutex` needs macOS 15, where the package supports 13). Its one unchecked Sendable
/// conformance spares every lock-protected class of these modules its own.
package final class LockedValueBox<Value> {
    @usableFromInline let lock = NSLock()
    @usableFromInline var value: Value

    @inlinable
    package init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` with the value, under the lock. `body` must not block or call back into code
    /// that takes the same lock.
    @inlinable
    package func withLockedValue<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

extension LockedValueBox: @unchecked Sendable where Value: Sendable {}  // `value` guarded by `lock`
