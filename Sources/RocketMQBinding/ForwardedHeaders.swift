/// Which `create` request metadata becomes message properties.
///
/// daprd's gRPC API copies every gRPC header of the application's call into the binding request's
/// metadata (`:authority` as `dapr-authority`, `user-agent`, `content-type: application/grpc`,
/// whatever the SDK or a proxy adds, credentials included); its HTTP API adds `traceparent`,
/// `tracestate` (possibly empty) and `baggage` (docs/daprd.md §F). Stored as properties they would
/// leak credentials into messages, mislead daprd's trace handling on delivery (a stored
/// `content-type: application/grpc`) and, on `accessProto: http`, fail every request (`:` is not
/// allowed in a property name). So only application metadata travels.
enum ForwardedHeaders {
    /// Trace context: kept when non-empty, so a consumer continues the producer's trace.
    static let tracingKeys: Set<String> = ["traceparent", "tracestate", "baggage"]

    /// Transport and credential headers, never stored (lowercase).
    static let transportKeys: Set<String> = [
        "authority", "host", "user-agent", "content-type", "content-length", "te", "connection", "keep-alive",
        "transfer-encoding", "upgrade", "accept-encoding", "authorization", "proxy-authorization", "cookie",
        "forwarded", "via", "x-real-ip", "x-request-id", "x-component-instance",
    ]
    /// Prefixes of transport headers: HTTP/2 pseudo-headers, Dapr's own (`dapr-authority`,
    /// `dapr-api-token`, `dapr-app-id`, …), gRPC's, proxies'.
    static let transportPrefixes = [":", "dapr-", "grpc-", "x-forwarded-", "x-envoy-"]

    enum Verdict: Equatable {
        /// A message property.
        case property
        /// Dropped: a transport or credential header, an empty trace key, or a key outside the
        /// `mspProperties` allow-list.
        case dropped
    }

    /// - Parameter allowList: lowercase names from `mspProperties`; nil lets every application key through.
    static func verdict(key: String, value: String, allowList: Set<String>?) -> Verdict {
        let lowered = key.lowercased()
        if tracingKeys.contains(lowered) { return value.isEmpty ? .dropped : .property }
        if transportKeys.contains(lowered) || transportPrefixes.contains(where: lowered.hasPrefix) { return .dropped }
        if let allowList, !allowList.contains(lowered) { return .dropped }
        return .property
    }
}

extension Dictionary where Key == String, Value == String {
    /// The user properties an instance delivers: all of them, or with `mspProperties` set only the
    /// named ones and the trace context.
    func allowing(_ allowList: Set<String>?) -> [String: String] {
        guard let allowList else { return self }
        return filter { allowList.contains($0.key.lowercased()) || ForwardedHeaders.tracingKeys.contains($0.key.lowercased()) }
    }
}
