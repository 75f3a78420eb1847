/// A `host:port` address as RocketMQ writes them (name servers, broker addresses). IPv6 hosts may be
/// bracketed (`[::1]:9876`) or bare (`::1:9876`, split at the last colon, as Java does).
struct HostAndPort: Hashable, Sendable, CustomStringConvertible {
    var host: String
    var port: Int

    init?(_ text: String) {
        var value = text.trimmed()
        for scheme in ["http://", "https://"] where value.hasPrefix(scheme) {
            value.removeFirst(scheme.count)
        }
        guard let colon = value.lastIndex(of: ":"), let port = Int(value[value.index(after: colon)...]),
            (1...65535).contains(port)
        else { return nil }
        var host = String(value[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.host = host
        self.port = port
    }

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
