import CoreMetrics
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RocketMQWire

/// One connection per address, opened on first use and reopened (with back-off) after it closes;
/// every request passes the request hook (ACL signing) on its way out.
///
/// Thread-safe: any task may call `request`/`oneway`. Connection life is decided by one
/// `ConnectionStateMachine` per address, kept under a lock; this class only performs its actions.
///
/// `group` must outlive the pool: shut the client down first. NIO cannot say whether a group is
/// shut down, and a reconnect scheduled on one never runs (NIO logs "Cannot schedule tasks on an
/// EventLoop that has already shut down"), so a request made after that would never end.
final class ConnectionPool: Sendable {
    private struct Entry {
        var machine = ConnectionStateMachine()
        var connection: RemotingConnection?
        /// Whether a connection to this address was ever made (the next one is a reconnect).
        var connectedBefore = false
        var waiters: [CheckedContinuation<RemotingConnection, Error>] = []
    }

    /// `dapr_rocketmq_broker_connects_total`: connections made to name servers and brokers, the
    /// first to an address (`connect`) and later ones after a connection closed (`reconnect`).
    private static let connects = Counter(label: "dapr_rocketmq_broker_connects_total", dimensions: [("kind", "connect")])
    private static let reconnects = Counter(label: "dapr_rocketmq_broker_connects_total", dimensions: [("kind", "reconnect")])

    let group: EventLoopGroup
    private let connectTimeout: TimeAmount
    private let logger: Logger
    private let signer: RequestSigner?
    private let entries = NIOLockedValueBox<[String: Entry]>([:])
    private let inboundHandler = NIOLockedValueBox<InboundRequestHandler?>(nil)

    init(group: EventLoopGroup, connectTimeout: TimeAmount, credentials: Credentials?, logger: Logger) {
        self.group = group
        self.connectTimeout = connectTimeout
        self.signer = credentials.map(RequestSigner.init)
        self.logger = logger
    }

    /// Who answers requests brokers send us (set once by the consumer).
    func setInboundRequestHandler(_ handler: @escaping InboundRequestHandler) {
        inboundHandler.withLockedValue { $0 = handler }
    }

    /// Sends a request to `address` and waits for its response.
    func request(_ address: String, _ command: RemotingCommand, timeout: TimeAmount) async throws -> RemotingCommand {
        let connection = try await connection(to: address)
        return try await connection.request(signed(command), timeout: timeout)
    }

    /// Sends a oneway request (no response).
    func oneway(_ address: String, _ command: RemotingCommand) async throws {
        let connection = try await connection(to: address)
        try await connection.oneway(signed(command))
    }

    /// Closes every connection and refuses new requests; pending requests fail with `.connectionClosed`.
    func shutdown() {
        let (toClose, waiters) = entries.withLockedValue { entries -> ([RemotingConnection], [CheckedContinuation<RemotingConnection, Error>]) in
            var toClose: [RemotingConnection] = []
            var waiters: [CheckedContinuation<RemotingConnection, Error>] = []
            for (address, var entry) in entries {
                switch entry.machine.shutDown() {
                case .closeChannel:
                    if let connection = entry.connection { toClose.append(connection) }
                case .none:
                    break
                }
                waiters += entry.waiters
                entry.waiters = []
                entries[address] = entry
            }
            return (toClose, waiters)
        }
        for waiter in waiters { waiter.resume(throwing: RocketMQError.notRunning) }
        for connection in toClose { connection.close() }
    }

    private func signed(_ command: RemotingCommand) -> RemotingCommand {
        guard let signer else { return command }
        var command = command
        signer.sign(&command)
        return command
    }

    func connection(to address: String) async throws -> RemotingConnection {
        enum Step {
            case use(RemotingConnection)
            case wait
            case connect(after: TimeAmount)
            case fail
        }
        return try await withCheckedThrowingContinuation { continuation in
            let step = entries.withLockedValue { entries -> Step in
                var entry = entries[address] ?? Entry()
                defer { entries[address] = entry }
                switch entry.machine.requestConnection(now: .now()) {
                case .useActive:
                    if let connection = entry.connection, connection.isActive { return .use(connection) }
                    // The channel closed and its close notification has not arrived yet: forget it
                    // now and reconnect, rather than hand out a dead connection.
                    _ = entry.machine.channelClosed()
                    entry.connection = nil
                    _ = entry.machine.requestConnection(now: .now())
                    entry.waiters.append(continuation)
                    return .connect(after: .zero)
                case .wait:
                    entry.waiters.append(continuation)
                    return .wait
                case .connect(let delay):
                    entry.waiters.append(continuation)
                    return .connect(after: delay)
                case .failShutDown:
                    return .fail
                }
            }
            switch step {
            case .use(let connection):
                continuation.resume(returning: connection)
            case .wait:
                break
            case .fail:
                continuation.resume(throwing: RocketMQError.notRunning)
            case .connect(let delay):
                startConnecting(to: address, after: delay)
            }
        }
    }

    private func startConnecting(to address: String, after delay: TimeAmount) {
        let eventLoop = group.next()
        let handler: InboundRequestHandler = { [inboundHandler] request, address in
            inboundHandler.withLockedValue { $0 }?(request, address)
        }
        eventLoop.scheduleTask(in: delay) {}.futureResult
            .flatMap { [group, connectTimeout, logger] in
                RemotingConnection.connect(
                    to: address, group: group, connectTimeout: connectTimeout, logger: logger, inboundRequests: handler)
            }
            .whenComplete { result in self.connectCompleted(address: address, result: result) }
    }

    private func connectCompleted(address: String, result: Result<RemotingConnection, Error>) {
        switch result {
        case .success(let connection):
            let (action, waiters) = entries.withLockedValue { entries -> (ConnectionStateMachine.AttemptAction, [CheckedContinuation<RemotingConnection, Error>]) in
                var entry = entries[address] ?? Entry()
                let action = entry.machine.connectSucceeded()
                if action == .succeedWaiters {
                    entry.connection = connection
                    (entry.connectedBefore ? Self.reconnects : Self.connects).increment()
                    entry.connectedBefore = true
                }
                let waiters = entry.waiters
                entry.waiters = []
                entries[address] = entry
                return (action, waiters)
            }
            switch action {
            case .succeedWaiters:
                logger.debug("connected", metadata: ["address": "\(address)"])
                connection.closeFuture.whenComplete { _ in self.connectionClosed(address: address, connection: connection) }
                for waiter in waiters { waiter.resume(returning: connection) }
            case .failWaiters, .closeChannelAndFailWaiters:
                connection.close()
                for waiter in waiters { waiter.resume(throwing: RocketMQError.notRunning) }
            }
        case .failure(let error):
            let waiters = entries.withLockedValue { entries -> [CheckedContinuation<RemotingConnection, Error>] in
                var entry = entries[address] ?? Entry()
                _ = entry.machine.connectFailed(now: .now())
                let waiters = entry.waiters
                entry.waiters = []
                entries[address] = entry
                return waiters
            }
            logger.debug("connect failed", metadata: ["address": "\(address)", "error": "\(error)"])
            let failure = (error as? RocketMQError) ?? .unreachable(address: address, reason: "\(error)")
            for waiter in waiters { waiter.resume(throwing: failure) }
        }
    }

    private func connectionClosed(address: String, connection: RemotingConnection) {
        entries.withLockedValue { entries in
            guard var entry = entries[address], entry.connection === connection else { return }
            switch entry.machine.channelClosed() {
            case .forgetConnection:
                entry.connection = nil
            case .none:
                break
            }
            entries[address] = entry
        }
        logger.debug("connection closed", metadata: ["address": "\(address)"])
    }
}
