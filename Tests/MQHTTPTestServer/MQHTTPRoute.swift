import RocketMQHTTP

/// A request's operation, topic and query parameters (docs/protocol-mq-http.md §1). The only resource is
/// `/topics/{topic}/messages`: POST publishes, GET consumes, DELETE acks.
struct MQHTTPRoute: Equatable, Sendable {
    enum Operation: Equatable, Sendable {
        case publish
        case consume
        case ack
    }

    var operation: Operation
    var topic: MQHTTPTopicKey
    /// Query parameters, unescaped; the first of repeated names wins.
    var parameters: [String: String]

    static func parse(_ request: MQHTTPRecordedRequest) -> Result<MQHTTPRoute, MQHTTPRefusal> {
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: false)
        guard segments.count == 4, segments[0].isEmpty, segments[1] == "topics", !segments[2].isEmpty, segments[3] == "messages" else {
            return .failure(MQHTTPRefusal(.badRequest, "InvalidRequestURL", "The request URL must be /topics/{topic}/messages."))
        }
        var parameters: [String: String] = [:]
        for item in (request.query ?? "").split(separator: "&") {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = MQHTTPResource.queryUnescape(parts[0]),
                  let value = MQHTTPResource.queryUnescape(parts.count > 1 ? parts[1] : "") else {
                return .failure(MQHTTPRefusal(.badRequest, "InvalidQueryString", "The query string has a bad %-escape or is not UTF-8."))
            }
            if parameters[name] == nil { parameters[name] = value }
        }
        let operation: Operation
        switch request.method {
        case "POST": operation = .publish
        case "GET": operation = .consume
        case "DELETE": operation = .ack
        default: return .failure(.invalidArgument("The method \(request.method) is not supported; use POST, GET or DELETE."))
        }
        if parameters["trans"] != nil {
            return .failure(.invalidArgument("trans= (orderly and transactional consumption) is not implemented by this test double."))
        }
        let instance = parameters["ns"] ?? ""
        return .success(MQHTTPRoute(operation: operation, topic: MQHTTPTopicKey(instance: instance, topic: String(segments[2])),
                                    parameters: parameters))
    }
}
