import Logging
import NIOConcurrencyHelpers
import NIOCore
import RocketMQWire

/// Asks name servers for topic routes (GET_ROUTEINFO_BY_TOPIC, docs/protocol-remoting.md §2.3), with
/// failover across the configured name servers (or those the address server lists,
/// docs/protocol-remoting.md §8.3) and a route cache refreshed when older than `routeRefreshInterval`
/// (30 s).
///
/// Thread-safe; every method may be called from any task.
final class NameServerClient: Sendable {
    private struct State {
        var addresses: [String]
        /// Where the next request starts (the last name server that answered).
        var current = 0
        /// Whether any name server has answered yet. Until one has, a request goes to all of them
        /// at once, so a dead or silent first address does not delay a client whose second is live.
        var answered = false
        var routes: [String: (route: TopicRoute, fetchedAt: NIODeadline)] = [:]
        var domainRefresh: Task<Void, Never>?
    }

    private let configuration: ClientConfiguration
    private let pool: ConnectionPool
    private let logger: Logger
    private let state: NIOLockedValueBox<State>

    init(configuration: ClientConfiguration, pool: ConnectionPool, logger: Logger) {
        self.configuration = configuration
        self.pool = pool
        self.logger = logger
        let addresses = configuration.nameServers.compactMap { HostAndPort($0)?.description }
        self.state = NIOLockedValueBox(State(addresses: addresses))
    }

    /// Fetches the name-server list when only a domain is configured, and keeps refreshing it.
    func start() async throws {
        guard configuration.nameServers.isEmpty, let domain = configuration.nameServerDomain, !domain.isEmpty else { return }
        try await refreshAddresses(domain: domain)
        let interval = configuration.nameServerDomainRefreshInterval
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(interval.nanoseconds))
                guard let self, !Task.isCancelled else { return }
                do {
                    try await self.refreshAddresses(domain: domain)
                } catch {
                    self.logger.warning("name server lookup failed; keeping the last list", metadata: ["error": "\(error)"])
                }
            }
        }
        state.withLockedValue { $0.domainRefresh = task }
    }

    func shutdown() {
        state.withLockedValue { $0.domainRefresh?.cancel() }
    }

    var addresses: [String] { state.withLockedValue { $0.addresses } }

    private func refreshAddresses(domain: String) async throws {
        let url = NameServerAddressFetcher.url(forDomain: domain)
        let list = try await NameServerAddressFetcher.fetch(url: url, group: pool.group, timeout: .seconds(3))
            .compactMap { HostAndPort($0)?.description }
        guard !list.isEmpty else { throw RocketMQError.unreachable(address: url, reason: "empty name server list") }
        state.withLockedValue { state in
            if state.addresses != list {
                state.addresses = list
                state.current = 0
                state.answered = false
            }
        }
        logger.debug("name servers", metadata: ["addresses": "\(list.joined(separator: ";"))"])
    }

    /// The route of `topic` (namespace already applied by the caller), from the cache when fresh.
    /// When a refresh fails but an older route is cached, the older route is returned.
    func route(for topic: String, forceRefresh: Bool = false) async throws -> TopicRoute {
        let cached = state.withLockedValue { $0.routes[topic] }
        if let cached, !forceRefresh, cached.fetchedAt + configuration.routeRefreshInterval > .now() {
            return cached.route
        }
        do {
            let route = try await fetchRoute(topic: topic)
            state.withLockedValue { $0.routes[topic] = (route, .now()) }
            return route
        } catch let error as RocketMQError {
            if case .topicNotFound = error {
                state.withLockedValue { _ = $0.routes.removeValue(forKey: topic) }
                throw error
            }
            if let cached {
                logger.warning("route refresh failed; using the cached route", metadata: ["topic": "\(topic)", "error": "\(error)"])
                return cached.route
            }
            throw error
        }
    }

    private func fetchRoute(topic: String) async throws -> TopicRoute {
        let (addresses, start, answered) = state.withLockedValue { ($0.addresses, $0.current, $0.answered) }
        guard !addresses.isEmpty else {
            throw RocketMQError.unreachable(address: configuration.nameServerDomain ?? "name server", reason: "no name server address known")
        }
        let request = Self.routeRequest(topic: topic)
        if !answered, addresses.count > 1 {
            // First contact: ask every name server at once; the first to answer becomes current.
            let response = try await FirstAnswer.of(addresses.map { address in
                { @Sendable in (address, try await self.pool.request(address, request, timeout: self.configuration.requestTimeout)) }
            })
            state.withLockedValue { state in
                state.current = state.addresses.firstIndex(of: response.0) ?? state.current
                state.answered = true
            }
            return try Self.route(from: response.1, topic: topic)
        }
        let attempts = max(addresses.count, configuration.retries + 1)
        var lastError: RocketMQError = .unreachable(address: addresses[start % addresses.count], reason: "no attempt made")
        for attempt in 0..<attempts {
            let index = (start + attempt) % addresses.count
            let address = addresses[index]
            do {
                let response = try await pool.request(address, request, timeout: configuration.requestTimeout)
                state.withLockedValue { state in
                    state.current = index
                    state.answered = true
                }
                return try Self.route(from: response, topic: topic)
            } catch let error as RocketMQError {
                switch error {
                case .topicNotFound, .noPermission, .invalidArgument, .notRunning, .offsetFile, .subscriptionRefused:
                    throw error
                case .broker, .timeout, .unreachable, .connectionClosed, .protocolViolation:
                    lastError = error
                    logger.debug("name server failed, trying the next", metadata: ["address": "\(address)", "error": "\(error)"])
                }
            }
        }
        throw lastError
    }

    /// GET_ROUTEINFO_BY_TOPIC (105) with `acceptStandardJsonOnly`, so a 4.9.4+ name server answers
    /// standard JSON whatever our version says (docs/protocol-remoting.md §2.3); its key order is the
    /// header's, computed once.
    static func routeRequest(topic: String) -> RemotingCommand {
        .request(code: .getRouteinfoByTopic, header: GetRouteInfoRequestHeader(topic: topic, acceptStandardJsonOnly: true))
    }

    private static func route(from response: RemotingCommand, topic: String) throws -> TopicRoute {
        switch response.responseCode {
        case .success:
            return try TopicRoute.parse(response.body)
        case .topicNotExist:
            throw RocketMQError.topicNotFound(topic: topic, remark: response.remark)
        default:
            throw ResponseErrors.error(for: response, topic: topic)
        }
    }
}

/// Turns a non-success response into the layer's error, in one place.
enum ResponseErrors {
    static func error(for response: RemotingCommand, topic: String? = nil) -> RocketMQError {
        switch response.responseCode {
        case .topicNotExist:
            return .topicNotFound(topic: topic ?? "", remark: response.remark)
        case .noPermission:
            return .noPermission(remark: response.remark)
        case .systemError where response.remark?.contains("AclException") == true:
            // A real 4.9.8 broker refuses ACL failures with SYSTEM_ERROR and the AclException text.
            return .noPermission(remark: response.remark)
        default:
            return .broker(code: response.responseCode, remark: response.remark)
        }
    }
}
