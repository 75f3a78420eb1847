import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Where and as whom to speak the HTTP access protocol.
public struct MQHTTPConfiguration: Sendable {
    public var endpoint: String
    public var accessKey: String
    public var secretKey: String
    /// Sent as `ns` on every request when set.
    public var instance: String?
    /// An STS token, sent unsigned as `security-token` when set (the SDK's rule).
    public var securityToken: String?
    /// Longer than the longest poll (30 s), as the Go SDK's 35 s.
    public var requestTimeout: Duration
    /// Answers larger than this are refused before they are read whole.
    public var maxResponseBytes: Int

    public init(endpoint: String, accessKey: String, secretKey: String, instance: String?, securityToken: String? = nil,
                requestTimeout: Duration = .seconds(35), maxResponseBytes: Int = 64 * 1024 * 1024) {
        self.securityToken = securityToken
        self.endpoint = endpoint
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.instance = instance
        self.requestTimeout = requestTimeout
        self.maxResponseBytes = maxResponseBytes
    }
}

/// A client of the RocketMQ HTTP access protocol (docs/protocol-mq-http.md): publish, consume, ack.
/// Each call is one signed HTTP request over AsyncHTTPClient's keep-alive pool. Thread-safe; call
/// `shutdown` once when done.
public final class MQHTTPClient: Sendable {
    /// The endpoint split into what goes on the wire: the base URL and the path the service sees.
    struct Endpoint: Equatable {
        var base: String
        var path: String

        init(_ text: String) throws(MQHTTPError) {
            guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
                  scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty else {
                throw .invalidEndpoint("\"\(text)\" is not an http:// or https:// URL with a host")
            }
            guard components.user == nil, components.password == nil else {
                // Said without the URL: it holds a secret.
                throw .invalidEndpoint("the URL has user information; the credentials go in accessKey and secretKey")
            }
            guard components.query == nil, components.fragment == nil else {
                throw .invalidEndpoint("\"\(text)\" has a query or fragment; give scheme://host[:port][/path]")
            }
            var path = components.percentEncodedPath
            while path.hasSuffix("/") { path.removeLast() }
            var base = text
            while base.hasSuffix("/") { base.removeLast() }
            self.base = base
            self.path = path
        }
    }

    /// Throws `invalidEndpoint` unless `text` is an http(s) URL with a host and no query.
    public static func validateEndpoint(_ text: String) throws(MQHTTPError) {
        _ = try Endpoint(text)
    }

    public let configuration: MQHTTPConfiguration
    private let endpoint: Endpoint
    private let signer: MQHTTPSigner
    private let http: HTTPClient
    private let logger: Logger
    private let now: @Sendable () -> Date

    public init(configuration: MQHTTPConfiguration, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) throws(MQHTTPError) {
        self.configuration = configuration
        endpoint = try Endpoint(configuration.endpoint)
        signer = MQHTTPSigner(accessKey: configuration.accessKey, secretKey: configuration.secretKey)
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.timeout = .init(connect: .seconds(10))
        httpConfiguration.httpVersion = .http1Only
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: httpConfiguration)
        self.logger = logger
        self.now = now
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    /// Publishes one message; the answer carries its id and body MD5.
    public func publish(topic: String, message: MQHTTPPublishRequest) async throws -> MQHTTPPublishReceipt {
        guard MQHTTPXML.isRepresentable(message.body) else {
            throw MQHTTPError.invalidMessage("the body has characters XML cannot carry (such as NUL); send text, or encode binary data first")
        }
        let body = MQHTTPXML.encode(message, root: MQHTTPXML.messageRoot)
        let resource = MQHTTPResource.publish(topic: topic, instance: configuration.instance)
        let answer = try await send(.POST, resource, body: body)
        return try decode(MQHTTPPublishReceipt.self, answer)
    }

    /// One poll: up to `count` messages, waiting up to `waitSeconds` (0 = answer at once).
    /// "No message" (`MessageNotExist`) is an empty array, not an error.
    public func consume(topic: String, group: String, count: Int, waitSeconds: Int, tag: String?) async throws -> [MQHTTPReceivedMessage] {
        let resource = MQHTTPResource.consume(topic: topic, group: group, instance: configuration.instance,
                                              count: count, waitSeconds: waitSeconds, tag: tag == "*" ? nil : tag)
        do {
            let answer = try await send(.GET, resource, body: [])
            return try decode(MQHTTPReceivedMessages.self, answer).messages
        } catch MQHTTPError.service(_, "MessageNotExist", _, _) {
            return []
        }
    }

    /// Acknowledges consumed messages by their receipt handles. Handles the service refused come
    /// back with its reason (expired, invalid); an empty answer means all were acked.
    public func ack(topic: String, group: String, handles: [String]) async throws -> [MQHTTPAckFailure] {
        guard !handles.isEmpty else { return [] }
        let body = MQHTTPXML.encode(MQHTTPReceiptHandles(handles: handles), root: MQHTTPXML.receiptHandlesRoot)
        let resource = MQHTTPResource.ack(topic: topic, group: group, instance: configuration.instance)
        do {
            _ = try await send(.DELETE, resource, body: body, perHandleErrors: true)
            return []
        } catch let failures as AckRefused {
            return failures.failures
        }
    }

    /// The per-handle `<Errors>` answer of an ack, carried out of `send`.
    private struct AckRefused: Error { var failures: [MQHTTPAckFailure] }

    private struct Answer {
        var status: Int
        var body: [UInt8]
        var requestID: String?
    }

    private func send(_ method: HTTPMethod, _ resource: String, body: [UInt8], perHandleErrors: Bool = false) async throws -> Answer {
        let path = endpoint.path + "/" + resource
        let contentMD5 = MQHTTPSigner.contentMD5(of: body)
        let date = MQHTTPSigner.httpDate(now())
        let stringToSign = MQHTTPSigner.stringToSign(
            method: method.rawValue, contentMD5: contentMD5, contentType: MQHTTPSigner.contentType, date: date,
            mqHeaders: [(MQHTTPSigner.versionHeader, MQHTTPSigner.protocolVersion)], resource: path)

        var request = HTTPClientRequest(url: endpoint.base + "/" + resource)
        request.method = method
        request.headers.add(name: "Content-Type", value: MQHTTPSigner.contentType)
        request.headers.add(name: "Content-MD5", value: contentMD5)
        request.headers.add(name: "Date", value: date)
        request.headers.add(name: MQHTTPSigner.versionHeader, value: MQHTTPSigner.protocolVersion)
        request.headers.add(name: "Authorization", value: signer.authorization(of: stringToSign))
        request.headers.add(name: "User-Agent", value: "dapr-rocketmq")
        if let token = configuration.securityToken { request.headers.add(name: "security-token", value: token) }
        if !body.isEmpty { request.body = .bytes(ByteBuffer(bytes: body)) }

        let answer: Answer
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(configuration.requestTimeout.nanoseconds))
            let status = Int(response.status.code)
            let bytes: ByteBuffer
            do {
                bytes = try await response.body.collect(upTo: configuration.maxResponseBytes)
            } catch is NIOTooManyBytesError {
                throw MQHTTPError.malformedResponse(status: status, detail: "answer larger than \(configuration.maxResponseBytes) bytes")
            }
            answer = Answer(status: status, body: Array(buffer: bytes), requestID: response.headers.first(name: "x-mq-request-id"))
        } catch let error as MQHTTPError {
            throw error
        } catch {
            try Task.checkCancellation()
            throw MQHTTPError.transport("\(method.rawValue) \(path): \(error)")
        }
        logger.trace("MQ HTTP answer", metadata: [
            "method": "\(method.rawValue)", "path": "\(path)", "status": "\(answer.status)", "requestId": "\(answer.requestID ?? "")"])
        guard (200...299).contains(answer.status) else {
            if perHandleErrors, let failures = try? MQHTTPXML.decode(MQHTTPAckFailures.self, from: answer.body), !failures.failures.isEmpty {
                throw AckRefused(failures: failures.failures)
            }
            guard let error = try? MQHTTPXML.decode(MQHTTPErrorBody.self, from: answer.body) else {
                throw MQHTTPError.malformedResponse(status: answer.status, detail: "\(method.rawValue) \(path): the error body is not the service's <Error> XML: \(Self.excerpt(answer.body))")
            }
            throw MQHTTPError.service(status: answer.status, code: error.code, message: error.message, requestID: error.requestID ?? answer.requestID)
        }
        return answer
    }

    private func decode<Value: MQHTTPXMLBody>(_ type: Value.Type, _ answer: Answer) throws -> Value {
        do {
            return try MQHTTPXML.decode(type, from: answer.body)
        } catch {
            throw MQHTTPError.malformedResponse(status: answer.status, detail: "cannot read \(Value.self): \(error); body: \(Self.excerpt(answer.body))")
        }
    }

    /// The start of a body, for error messages.
    static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self)
        return body.count > 200 ? "\"\(text)…\" (\(body.count) bytes)" : "\"\(text)\""
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
