/// One request as the HTTP test server received it, recorded before any check (so refused and
/// faulted requests are there too), in arrival order.
public struct MQHTTPRecordedRequest: Sendable {
    /// `GET`, `POST`, `DELETE`, … as on the request line.
    public var method: String
    /// The raw request-URI, path and query byte for byte as on the request line.
    public var uri: String
    /// Every header in the order received, names in the case received.
    public var headers: [(name: String, value: String)]
    /// The body; for a request refused as too large, only the bytes read before refusing.
    public var body: [UInt8]

    public init(method: String, uri: String, headers: [(name: String, value: String)], body: [UInt8]) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
    }

    /// The first value of a header, matched case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// The path, without the query.
    public var path: Substring {
        uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? Substring(uri)
    }

    /// The raw query after the first `?`, or `nil`.
    public var query: Substring? {
        guard let mark = uri.firstIndex(of: "?") else { return nil }
        return uri[uri.index(after: mark)...]
    }
}
