import DaprComponents
import Logging
import NIOConcurrencyHelpers

/// How an instance's Init stays within daprd's budget, and what serves until its clients connect.
///
/// daprd initialises each component under `spec.initTimeout` (5 s by default, input and output
/// together) and a failed Init stops daprd's start (docs/daprd.md §F). So Init waits at most
/// `initBudget` for the name servers (or the HTTP endpoint). What waiting cannot fix — invalid
/// metadata, refused credentials — still fails Init with its code. What waiting can fix —
/// nothing listening, a silent peer, a broker still starting — is logged as a warning naming what
/// could not be reached, and the gate keeps probing in the background; until a probe succeeds,
/// `requireReady` answers UNAVAILABLE at once with the reason. (An input binding's gate does not
/// probe in the background: its Read stream's consumer keeps trying by itself.)
final class ConnectionGate: Sendable {
    /// Init's share of daprd's 5 s: each direction answers within 2 s, with room for the rest of Init.
    static let initBudget: Duration = .milliseconds(1500)
    static let maxBackoff: Duration = .seconds(10)

    private enum State {
        case connecting(reason: ComponentError)
        case ready
        case failed(ComponentError)
        case closed
    }

    private let what: String
    private let logger: Logger
    private let probe: @Sendable () async throws -> Void
    private let probesInBackground: Bool
    private let state = NIOLockedValueBox<State>(.connecting(reason: .unavailable("not connected yet")))
    private let background = NIOLockedValueBox<Task<Void, Never>?>(nil)

    /// - Parameters:
    ///   - what: what the probe reaches, for messages ("the name servers 127.0.0.1:9876").
    ///   - probesInBackground: whether to keep probing after Init until a probe succeeds.
    ///   - probe: proves the clients can serve; throws `ComponentError`s (others count as transient).
    init(_ what: String, logger: Logger, probesInBackground: Bool = true, probe: @escaping @Sendable () async throws -> Void) {
        self.what = what
        self.logger = logger
        self.probesInBackground = probesInBackground
        self.probe = probe
    }

    /// Init: runs the probe for at most `initBudget`. Throws when waiting cannot fix the error;
    /// otherwise returns, ready or connecting in the background.
    func start() async throws {
        let first = Task { try await probe() }
        switch await Self.outcome(of: first, within: Self.initBudget) {
        case .success?:
            state.withLockedValue { $0 = .ready }
            return
        case .failure(let error)?:
            let failure = componentError(error, "reaching \(what)")
            guard Self.isTransient(failure) else { throw failure }
            connectInBackground(failure, after: nil)
        case nil:
            connectInBackground(.unavailable("reaching \(what): no answer within \(Self.initBudget)"), after: first)
        }
    }

    /// Throws unless a probe succeeded: the reason it has not (UNAVAILABLE), or the error that
    /// waiting cannot fix.
    func requireReady() throws {
        switch state.withLockedValue({ $0 }) {
        case .ready: return
        case .connecting(let reason): throw ComponentError.unavailable("not connected yet, retrying in the background: \(reason.message)")
        case .failed(let error): throw error
        case .closed: throw ComponentError.unavailable("the instance is closing")
        }
    }

    func close() {
        state.withLockedValue { $0 = .closed }
        background.withLockedValue { $0 }?.cancel()
    }

    /// Init goes on without the connection: warns, then probes until one succeeds (after the
    /// probe still running, if any, has finished: probes never overlap).
    private func connectInBackground(_ reason: ComponentError, after running: Task<Void, Error>?) {
        logger.warning("cannot reach \(what) yet; Init succeeds and the binding connects in the background", metadata: ["reason": "\(reason.message)"])
        state.withLockedValue { $0 = .connecting(reason: reason) }
        guard probesInBackground else { return }
        let task = Task { [self] in
            var backoff: Duration = .milliseconds(200)
            var attempt = running
            while !Task.isCancelled {
                let next: State
                do {
                    try await (attempt ?? Task { try await probe() }).value
                    next = .ready
                } catch {
                    let failure = componentError(error, "reaching \(what)")
                    next = Self.isTransient(failure) ? .connecting(reason: failure) : .failed(failure)
                }
                attempt = nil
                let closed = state.withLockedValue { state -> Bool in
                    if case .closed = state { return true }
                    state = next
                    return false
                }
                switch next {
                case _ where closed: return
                case .ready: return logger.info("connected", metadata: ["to": "\(what)"])
                case .failed(let error): return logger.error("cannot connect: waiting cannot fix this", metadata: ["error": "\(error.message)"])
                case .connecting, .closed:
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, Self.maxBackoff)
                }
            }
        }
        background.withLockedValue { $0 = task }
    }

    /// Whether waiting can fix `error`: the network, a broker still starting, a topic not yet created.
    static func isTransient(_ error: ComponentError) -> Bool {
        switch error.kind {
        case .unavailable, .deadlineExceeded, .notFound, .resourceExhausted, .internal: return true
        case .invalidArgument, .failedPrecondition, .permissionDenied, .unimplemented: return false
        }
    }

    /// `task`'s result if it finishes within `budget`, else nil (it runs on).
    static func outcome(of task: Task<Void, Error>, within budget: Duration) async -> Result<Void, Error>? {
        let waiter = NIOLockedValueBox<CheckedContinuation<Result<Void, Error>?, Never>?>(nil)
        return await withCheckedContinuation { continuation in
            waiter.withLockedValue { $0 = continuation }
            func resume(_ outcome: Result<Void, Error>?) {
                waiter.withLockedValue { waiting in
                    defer { waiting = nil }
                    return waiting
                }?.resume(returning: outcome)
            }
            Task {
                do {
                    try await task.value
                    resume(.success(()))
                } catch {
                    resume(.failure(error))
                }
            }
            Task {
                try? await Task.sleep(for: budget)
                resume(nil)
            }
        }
    }
}
