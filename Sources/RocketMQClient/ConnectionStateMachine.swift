import NIOCore

/// The life of the one connection a pool keeps to an address: idle → connecting → active → (closed
/// by the peer) idle → connecting …, with an exponential back-off after failed attempts, until the
/// pool shuts down.
///
/// A value type: the pool holds one per address under its lock and performs the returned action.
public struct ConnectionStateMachine: Sendable {
    public enum State: Equatable, Sendable {
        /// No connection. After failures the next attempt waits until `retryAt`.
        case idle(failures: Int, retryAt: NIODeadline?)
        case connecting(failures: Int)
        case active
        case shutDown
    }

    /// What a caller asking for the connection must do.
    public enum RequestAction: Equatable, Sendable {
        /// Use the open connection.
        case useActive
        /// Open a connection after `delay` (zero unless backing off), then wait for it.
        case connect(after: TimeAmount)
        /// A connection attempt is under way: wait for it.
        case wait
        /// The pool is shut down.
        case failShutDown
    }

    /// What to do with the callers waiting for an attempt.
    public enum AttemptAction: Equatable, Sendable {
        case succeedWaiters
        case failWaiters
        /// The pool shut down during the attempt: close the new channel, fail the waiters.
        case closeChannelAndFailWaiters
    }

    public enum CloseAction: Equatable, Sendable {
        /// Fail the connection's pending requests (the connection does it itself) and forget it.
        case forgetConnection
        case none
    }

    public enum ShutdownAction: Equatable, Sendable {
        case closeChannel
        /// An attempt is in flight; its completion closes it.
        case none
    }

    public let initialBackoff: TimeAmount
    public let maximumBackoff: TimeAmount
    public private(set) var state: State = .idle(failures: 0, retryAt: nil)

    public init(initialBackoff: TimeAmount = .milliseconds(100), maximumBackoff: TimeAmount = .seconds(10)) {
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
    }

    /// A request needs the connection.
    public mutating func requestConnection(now: NIODeadline) -> RequestAction {
        switch state {
        case .active:
            return .useActive
        case .connecting:
            return .wait
        case .shutDown:
            return .failShutDown
        case .idle(let failures, let retryAt):
            state = .connecting(failures: failures)
            let delay = retryAt.map { $0 > now ? $0 - now : .zero } ?? .zero
            return .connect(after: delay)
        }
    }

    public mutating func connectSucceeded() -> AttemptAction {
        switch state {
        case .connecting:
            state = .active
            return .succeedWaiters
        case .shutDown:
            return .closeChannelAndFailWaiters
        case .idle, .active:
            // An attempt completes only from `.connecting`; anything else is a second channel we
            // did not ask for.
            return .closeChannelAndFailWaiters
        }
    }

    public mutating func connectFailed(now: NIODeadline) -> AttemptAction {
        switch state {
        case .connecting(let failures):
            let next = failures + 1
            state = .idle(failures: next, retryAt: now + backoff(afterFailures: next))
            return .failWaiters
        case .shutDown, .idle, .active:
            return .failWaiters
        }
    }

    /// The active channel closed (peer, idle timeout, bad frame).
    public mutating func channelClosed() -> CloseAction {
        switch state {
        case .active:
            state = .idle(failures: 0, retryAt: nil)
            return .forgetConnection
        case .shutDown:
            return .forgetConnection
        case .idle, .connecting:
            return .none
        }
    }

    public mutating func shutDown() -> ShutdownAction {
        switch state {
        case .active:
            state = .shutDown
            return .closeChannel
        case .idle, .connecting, .shutDown:
            state = .shutDown
            return .none
        }
    }

    /// 100 ms, 200 ms, 400 ms … capped.
    public func backoff(afterFailures failures: Int) -> TimeAmount {
        guard failures > 0 else { return .zero }
        let shift = min(failures - 1, 20)
        let nanos = initialBackoff.nanoseconds.multipliedReportingOverflow(by: Int64(1) << shift)
        if nanos.overflow { return maximumBackoff }
        return min(.nanoseconds(nanos.partialValue), maximumBackoff)
    }
}
