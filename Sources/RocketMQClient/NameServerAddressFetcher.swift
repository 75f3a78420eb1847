import NIOCore
import NIOPosix

/// The address-server lookup of docs/protocol-remoting.md §8.3: a plain HTTP/1.1 GET whose body is
/// `ip:port;ip:port`.
///
/// A deliberately tiny HTTP client (one request, `Connection: close`, body read to end of stream or
/// `Content-Length`, chunked decoding) on NIO, because FoundationNetworking is not wanted. The
/// response is bounded: anything above `maxResponseBytes` is an error.
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

    /// Fetches and parses the list. Never blocks: runs on `group`.
    static func fetch(url: String, group: EventLoopGroup, timeout: TimeAmount) async throws -> [String] {
        guard let (host, port, path) = parse(url: url) else {
            throw RocketMQError.invalidArgument("name server domain URL '\(url)' is not http://host[:port]/path")
        }
        let eventLoop = group.next()
        let done = eventLoop.makePromise(of: [UInt8].self)
        let connect = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: done))
                }
            }
            .connect(host: host, port: port)
        let timeoutTask = eventLoop.scheduleTask(in: timeout) {
            done.fail(RocketMQError.timeout("name server lookup \(url)"))
        }
        connect.whenFailure { error in
            done.fail(RocketMQError.unreachable(address: "\(host):\(port)", reason: "\(error)"))
        }
        connect.whenSuccess { channel in
            let request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nAccept: text/plain\r\nConnection: close\r\n\r\n"
            channel.writeAndFlush(channel.allocator.buffer(string: request), promise: nil)
            done.futureResult.whenComplete { _ in channel.close(promise: nil) }
        }
        defer { timeoutTask.cancel() }
        let raw = try await done.futureResult.get()
        let body = try HTTPResponseParser.body(of: raw, url: url)
        return parseAddressList(String(decoding: body, as: UTF8.self))
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

    /// Collects the raw response until the server closes, bounded.
    private final class ResponseCollector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        private let promise: EventLoopPromise<[UInt8]>
        private var bytes: [UInt8] = []

        init(promise: EventLoopPromise<[UInt8]>) {
            self.promise = promise
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            bytes.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
            if bytes.count > NameServerAddressFetcher.maxResponseBytes {
                promise.fail(RocketMQError.protocolViolation("name server lookup response too large"))
                context.close(promise: nil)
            } else if HTTPResponseParser.isComplete(bytes) {
                promise.succeed(bytes)
                context.close(promise: nil)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise.succeed(bytes)
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            promise.fail(error)
            context.close(promise: nil)
        }
    }
}

/// Just enough HTTP/1.1 response parsing for the address server.
enum HTTPResponseParser {
    /// Whether a `Content-Length` response is complete (otherwise wait for the close).
    static func isComplete(_ raw: [UInt8]) -> Bool {
        guard let (headers, bodyStart) = split(raw), let length = contentLength(headers) else { return false }
        return raw.count - bodyStart >= length
    }

    static func body(of raw: [UInt8], url: String) throws -> [UInt8] {
        guard let (headers, bodyStart) = split(raw) else {
            throw RocketMQError.protocolViolation("name server lookup \(url): incomplete HTTP response")
        }
        let statusLine = headers.first ?? ""
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw RocketMQError.protocolViolation("name server lookup \(url): bad status line '\(statusLine)'")
        }
        guard status == 200 else {
            throw RocketMQError.unreachable(address: url, reason: "HTTP status \(status)")
        }
        var body = Array(raw[bodyStart...])
        if let length = contentLength(headers) {
            body = Array(body.prefix(length))
        } else if headers.contains(where: { $0.lowercased().hasPrefix("transfer-encoding:") && $0.lowercased().contains("chunked") }) {
            body = try dechunk(body, url: url)
        }
        return body
    }

    private static func split(_ raw: [UInt8]) -> (headers: [String], bodyStart: Int)? {
        let marker: [UInt8] = [13, 10, 13, 10]
        guard raw.count >= 4 else { return nil }
        for index in 0...(raw.count - 4) where Array(raw[index..<index + 4]) == marker {
            let head = String(decoding: raw[..<index], as: UTF8.self)
            let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
            return (lines, index + 4)
        }
        return nil
    }

    private static func contentLength(_ headers: [String]) -> Int? {
        for line in headers.dropFirst() where line.lowercased().hasPrefix("content-length:") {
            return Int(line.dropFirst("content-length:".count).trimmed())
        }
        return nil
    }

    private static func dechunk(_ body: [UInt8], url: String) throws -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        while index < body.count {
            guard let lineEnd = (index..<body.count - 1).first(where: { body[$0] == 13 && body[$0 + 1] == 10 }) else {
                break
            }
            let sizeText = String(decoding: body[index..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmed(), radix: 16) else {
                throw RocketMQError.protocolViolation("name server lookup \(url): bad chunk size")
            }
            if size == 0 { break }
            let start = lineEnd + 2
            guard start + size <= body.count else {
                throw RocketMQError.protocolViolation("name server lookup \(url): truncated chunk")
            }
            output.append(contentsOf: body[start..<start + size])
            index = start + size + 2
        }
        return output
    }
}
