import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// The address-server lookup of docs/protocol-remoting.md §8.3: a plain HTTP GET whose body is
/// `ip:port;ip:port`.
///
/// Through AsyncHTTPClient (HTTP/1.1; sized, chunked or read-to-close bodies), on the client's own
/// event loop group, one short-lived `HTTPClient` per lookup (lookups are minutes apart). No
/// redirects are followed and a refused connection is not retried: the caller keeps its last list
/// and asks again later. The response is bounded: anything above `maxResponseBytes` is an error.
enum NameServerAddressFetcher {
    static let maxResponseBytes = 64 * 1024

    /// The URL for a configured domain: a full `http://` URL is used as it is; otherwise
    /// `http://<domain>[:8080]/rocketmq/nsaddr` (no `:8080` when the domain has a port).
    static func url(forDomain domain: String) -> String {
        let trimmed = domain.trimmed()
        if trimmed.hasPrefix("http://") { return trimmed }
        let hostPart = trimmed.contains(":") ? trimmed : trimmed + ":8080"
        return "http://\(hostPart)/rocketmq/nsaddr"
    }

    /// Fetches and parses the list. Never blocks: runs on `group`. Errors: `.invalidArgument` for a
    /// URL that is not `http://host[:port]/path`, `.timeout` when no whole answer came within
    /// `timeout`, `.unreachable` when the server cannot be reached or answers other than 200,
    /// `.protocolViolation` for an answer above `maxResponseBytes`.
    static func fetch(url: String, group: EventLoopGroup, timeout: TimeAmount) async throws -> [String] {
        guard let (host, port, _) = parse(url: url) else {
            throw RocketMQError.invalidArgument("name server domain URL '\(url)' is not http://host[:port]/path")
        }
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: timeout, read: timeout)
        configuration.httpVersion = .http1Only
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroup: group, configuration: configuration)
        let body: ByteBuffer
        do {
            body = try await get(url, with: client, timeout: timeout)
        } catch let error as RocketMQError {
            try? await client.shutdown()
            throw error
        } catch let error as HTTPClientError where [.connectTimeout, .readTimeout, .deadlineExceeded].contains(error) {
            try? await client.shutdown()
            throw RocketMQError.timeout("name server lookup \(url)")
        } catch {
            try? await client.shutdown()
            throw RocketMQError.unreachable(address: "\(host):\(port)", reason: "\(error)")
        }
        try? await client.shutdown()
        return parseAddressList(String(buffer: body))
    }

    private static func get(_ url: String, with client: HTTPClient, timeout: TimeAmount) async throws -> ByteBuffer {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "text/plain")
        let response = try await client.execute(request, timeout: timeout)
        guard response.status == .ok else {
            throw RocketMQError.unreachable(address: url, reason: "HTTP status \(response.status.code)")
        }
        do {
            return try await response.body.collect(upTo: maxResponseBytes)
        } catch is NIOTooManyBytesError {
            throw RocketMQError.protocolViolation("name server lookup response too large")
        }
    }

    /// `ip:port;ip:port` (Java cuts at the first line break, Go trims; we do both).
    static func parseAddressList(_ text: String) -> [String] {
        let firstLine = text.split(whereSeparator: { $0.isNewline }).first.map(String.init) ?? ""
        return firstLine.split(separator: ";").map { $0.trimmed() }.filter { !$0.isEmpty }
    }

    static func parse(url: String) -> (host: String, port: Int, path: String)? {
        guard url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix(while: { $0 != "/" && $0 != "?" })
        var path = String(rest.dropFirst(authority.count))
        if path.isEmpty { path = "/" } else if path.hasPrefix("?") { path = "/" + path }
        if authority.contains(":") {
            guard let address = HostAndPort(String(authority)) else { return nil }
            return (address.host, address.port, path)
        }
        guard !authority.isEmpty else { return nil }
        return (String(authority), 80, path)
    }
}
