import NIOConcurrencyHelpers

/// Runs operations concurrently and returns the first that succeeds, without waiting for the
/// others (they run on and their results are dropped): one silent peer must not hold up the answer
/// of a live one. When every operation fails, the error of the last to fail is thrown.
enum FirstAnswer {
    static func of<Result: Sendable>(_ operations: [@Sendable () async throws -> Result]) async throws -> Result {
        precondition(!operations.isEmpty, "at least one operation")
        let state = NIOLockedValueBox<(continuation: CheckedContinuation<Result, Error>?, failures: Int)>((nil, 0))
        return try await withCheckedThrowingContinuation { continuation in
            state.withLockedValue { $0.continuation = continuation }
            for operation in operations {
                Task {
                    do {
                        let result = try await operation()
                        state.withLockedValue { state in
                            defer { state.continuation = nil }
                            return state.continuation
                        }?.resume(returning: result)
                    } catch {
                        state.withLockedValue { state -> CheckedContinuation<Result, Error>? in
                            state.failures += 1
                            guard state.failures == operations.count else { return nil }
                            defer { state.continuation = nil }
                            return state.continuation
                        }?.resume(throwing: error)
                    }
                }
            }
        }
    }
}
