import NIOHTTP1

/// What the HTTP test server writes back for one request.
struct MQHTTPAnswer: Sendable {
    var status: HTTPResponseStatus
    /// XML, or empty (204).
    var body: [UInt8]
    /// Sent as `x-mq-request-id` (and inside `<Error>` bodies).
    var requestID: String
    /// Close the connection after this answer (shutdown, a refused oversized body).
    var close = false
}

/// A request the server refuses with an `<Error>` body (docs/protocol-mq-http.md §4.4).
struct MQHTTPRefusal: Error, Equatable, Sendable {
    var status: HTTPResponseStatus
    var code: String
    var message: String

    init(_ status: HTTPResponseStatus, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    static func invalidArgument(_ message: String) -> MQHTTPRefusal {
        MQHTTPRefusal(.badRequest, "InvalidArgument", message)
    }
}
