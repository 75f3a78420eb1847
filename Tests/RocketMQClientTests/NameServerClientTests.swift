import Logging
import NIOCore
import NIOPosix
import RocketMQWire
import XCTest
@testable import RocketMQClient

final class NameServerClientTests: XCTestCase {
    private func makeClient(_ nameServers: [String], credentials: Credentials? = nil) -> (NameServerClient, ConnectionPool) {
        let configuration = ClientConfiguration(nameServers: nameServers, credentials: credentials, retries: 2)
        let pool = ConnectionPool(
            group: MultiThreadedEventLoopGroup.singleton, connectTimeout: .seconds(2), credentials: credentials,
            logger: Logger(label: "test"))
        return (NameServerClient(configuration: configuration, pool: pool, logger: Logger(label: "test")), pool)
    }

    func testADeadNameServerFailsOverToTheNextAndTheRouteAsksForStandardJSON() async throws {
        let server = try await FakeRemotingServer.start { request in
            RemotingCommand.response(to: request, code: .success, body: routeJSON(brokers: [("broker-a", "127.0.0.1:1", 4)]))
        }
        let dead = try await closedPort()
        let (client, pool) = makeClient(["127.0.0.1:\(dead)", server.address])
        let route = try await client.route(for: "T")
        XCTAssertEqual(route.publishQueues(topic: "T").count, 4)
        XCTAssertEqual(route.masterAddress(of: "broker-a"), "127.0.0.1:1")
        let request = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(request.requestCode, .getRouteinfoByTopic)
        XCTAssertEqual(request.extFields["topic"], "T")
        XCTAssertEqual(request.extFields["acceptStandardJsonOnly"], "true")
        XCTAssertEqual(request.version, 409)

        _ = try await client.route(for: "T")
        XCTAssertEqual(server.requests.count, 1, "a fresh route comes from the cache")
        pool.shutdown()
        try await server.stop()
    }

    func testLegacyBareIntegerKeysAreAccepted() async throws {
        let server = try await FakeRemotingServer.start { request in
            RemotingCommand.response(
                to: request, code: .success, body: routeJSON(brokers: [("b", "10.0.0.1:10911", 2)], bareKeys: true))
        }
        let (client, pool) = makeClient([server.address])
        let route = try await client.route(for: "T")
        XCTAssertEqual(route.masterAddress(of: "b"), "10.0.0.1:10911")
        XCTAssertEqual(route.subscribeQueues(topic: "T").map(\.queueId), [0, 1])
        pool.shutdown()
        try await server.stop()
    }

    func testAMissingTopicIsTopicNotFoundWithTheRemark() async throws {
        let server = try await FakeRemotingServer.start { request in
            RemotingCommand.response(to: request, code: .topicNotExist, remark: "No topic route info in name server for the topic: X")
        }
        let (client, pool) = makeClient([server.address])
        do {
            _ = try await client.route(for: "X")
            XCTFail("expected an error")
        } catch RocketMQError.topicNotFound(let topic, let remark) {
            XCTAssertEqual(topic, "X")
            XCTAssertEqual(remark, "No topic route info in name server for the topic: X")
        }
        pool.shutdown()
        try await server.stop()
    }

    func testEveryRequestIsSignedWhenCredentialsAreSet() async throws {
        let server = try await FakeRemotingServer.start { request in
            guard AclSigner.verify(request, accessKey: "ak", secretKey: "sk") == nil else {
                return RemotingCommand.response(to: request, code: .noPermission, remark: "bad signature")
            }
            return RemotingCommand.response(to: request, code: .success, body: routeJSON(brokers: [("b", "127.0.0.1:1", 1)]))
        }
        let (signed, signedPool) = makeClient([server.address], credentials: Credentials(accessKey: "ak", secretKey: "sk"))
        _ = try await signed.route(for: "T")
        XCTAssertEqual(server.requests.last?.extFields["AccessKey"], "ak")

        let (wrong, wrongPool) = makeClient([server.address], credentials: Credentials(accessKey: "ak", secretKey: "nope"))
        do {
            _ = try await wrong.route(for: "T")
            XCTFail("expected a refusal")
        } catch RocketMQError.noPermission(let remark) {
            XCTAssertEqual(remark, "bad signature")
        }
        signedPool.shutdown()
        wrongPool.shutdown()
        try await server.stop()
    }

    func testPendingRequestsFailWhenTheServerDropsTheConnection() async throws {
        let server = try await FakeRemotingServer.start { _ in nil }  // never answers
        let pool = ConnectionPool(
            group: MultiThreadedEventLoopGroup.singleton, connectTimeout: .seconds(2), credentials: nil,
            logger: Logger(label: "test"))
        let connection = try await pool.connection(to: server.address)
        async let answer = pool.request(server.address, .request(code: .heartBeat), timeout: .seconds(30))
        // Wait until the request reached the server, then drop the connection under it.
        let deadline = NIODeadline.now() + .seconds(10)
        while server.requests.isEmpty && NIODeadline.now() < deadline { await Task.yield() }
        connection.close()
        do {
            _ = try await answer
            XCTFail("expected connectionClosed")
        } catch RocketMQError.connectionClosed(let address) {
            XCTAssertEqual(address, server.address)
        }
        // The pool opens a new connection for the next request.
        let again = try await pool.connection(to: server.address)
        XCTAssertFalse(again === connection)
        pool.shutdown()
        try await server.stop()
    }
}

final class NameServerAddressFetcherTests: XCTestCase {
    func testTheAddressServerListIsFetchedOverPlainHTTP() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(CannedHTTP(body: "10.0.0.1:9876;10.0.0.2:9876\n"))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = server.localAddress!.port!
        let list = try await NameServerAddressFetcher.fetch(
            url: "http://127.0.0.1:\(port)/rocketmq/nsaddr", group: MultiThreadedEventLoopGroup.singleton, timeout: .seconds(5))
        XCTAssertEqual(list, ["10.0.0.1:9876", "10.0.0.2:9876"])
        try await server.close()
    }

    /// Serves `response` (raw HTTP) to every request; closes after it when `close`.
    private func rawServer(_ response: String?, close: Bool = false) async throws -> (Channel, String) {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(RawHTTP(response: response, close: close))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return (server, "http://127.0.0.1:\(server.localAddress!.port!)/rocketmq/nsaddr")
    }

    private func fetch(_ url: String, timeout: TimeAmount = .seconds(5)) async throws -> [String] {
        try await NameServerAddressFetcher.fetch(url: url, group: MultiThreadedEventLoopGroup.singleton, timeout: timeout)
    }

    func testChunkedAndReadToCloseAnswersAreRead() async throws {
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\na:1;b:\r\n1\r\n2\r\n0\r\n\r\n"
        let (first, firstURL) = try await rawServer(chunked)
        let fromChunks = try await fetch(firstURL)
        XCTAssertEqual(fromChunks, ["a:1", "b:2"])
        try await first.close()
        let (second, secondURL) = try await rawServer("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nc:3;d:4", close: true)
        let toClose = try await fetch(secondURL)
        XCTAssertEqual(toClose, ["c:3", "d:4"])
        try await second.close()
    }

    func testAnAnswerOtherThan200IsUnreachable() async throws {
        let (server, url) = try await rawServer("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno")
        do {
            _ = try await fetch(url)
            XCTFail("expected unreachable")
        } catch RocketMQError.unreachable(let address, let reason) {
            XCTAssertEqual(address, url)
            XCTAssertEqual(reason, "HTTP status 404")
        }
        try await server.close()
    }

    func testAnAnswerAboveTheBoundIsAProtocolViolation() async throws {
        let body = String(repeating: "x", count: NameServerAddressFetcher.maxResponseBytes + 1)
        let (server, url) = try await rawServer("HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        do {
            _ = try await fetch(url)
            XCTFail("expected a protocol violation")
        } catch RocketMQError.protocolViolation(let message) {
            XCTAssertTrue(message.contains("too large"), message)
        }
        try await server.close()
    }

    func testASilentServerTimesOutAndARefusedOneIsUnreachable() async throws {
        let (server, url) = try await rawServer(nil)
        let start = ContinuousClock.now
        do {
            _ = try await fetch(url, timeout: .milliseconds(300))
            XCTFail("expected a timeout")
        } catch RocketMQError.timeout(let what) {
            XCTAssertEqual(what, "name server lookup \(url)")
        }
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(3))
        try await server.close()
        do {
            _ = try await fetch(url)  // nothing listens there any more
            XCTFail("expected unreachable")
        } catch RocketMQError.unreachable(let address, _) {
            XCTAssertEqual(address, url.dropFirst("http://".count).prefix { $0 != "/" }.description)
        }
    }

    func testOnlyPlainHTTPURLsAreFetched() async throws {
        for url in ["https://127.0.0.1:1/x", "ftp://h/x", "http://", "http://h:notaport/x"] {
            do {
                _ = try await fetch(url)
                XCTFail("expected invalidArgument for \(url)")
            } catch RocketMQError.invalidArgument(let message) {
                XCTAssertTrue(message.contains(url), message)
            }
        }
    }

    func testDomainsBecomeTheJavaURL() {
        XCTAssertEqual(NameServerAddressFetcher.url(forDomain: "jmenv.example"), "http://jmenv.example:8080/rocketmq/nsaddr")
        XCTAssertEqual(NameServerAddressFetcher.url(forDomain: "host:81"), "http://host:81/rocketmq/nsaddr")
        XCTAssertEqual(NameServerAddressFetcher.url(forDomain: "http://h/x"), "http://h/x")
        XCTAssertEqual(NameServerAddressFetcher.parseAddressList(" a:1;b:2 \nignored"), ["a:1", "b:2"])
    }

    func testANameServerDomainIsResolvedBeforeTheFirstRoute() async throws {
        let nameServer = try await FakeRemotingServer.start { request in
            RemotingCommand.response(to: request, code: .success, body: routeJSON(brokers: [("b", "127.0.0.1:1", 1)]))
        }
        let list = "\(nameServer.address)\r\n"
        let http = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture { try child.pipeline.syncOperations.addHandler(CannedHTTP(body: list)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let configuration = ClientConfiguration(nameServerDomain: "127.0.0.1:\(http.localAddress!.port!)")
        let pool = ConnectionPool(
            group: MultiThreadedEventLoopGroup.singleton, connectTimeout: .seconds(2), credentials: nil, logger: Logger(label: "test"))
        let client = NameServerClient(configuration: configuration, pool: pool, logger: Logger(label: "test"))
        try await client.start()
        XCTAssertEqual(client.addresses, [nameServer.address])
        let route = try await client.route(for: "T")
        XCTAssertEqual(route.masterAddress(of: "b"), "127.0.0.1:1")
        client.shutdown()
        pool.shutdown()
        try await http.close()
        try await nameServer.stop()
    }

    /// Answers the first complete request head with `response` (nil: never answers).
    private final class RawHTTP: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private let response: String?
        private let close: Bool
        private var request = ""

        init(response: String?, close: Bool) {
            self.response = response
            self.close = close
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            request += buffer.readString(length: buffer.readableBytes) ?? ""
            guard request.contains("\r\n\r\n"), let response else { return }
            request = ""
            let written = context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: response)))
            if close { written.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) } }
        }
    }

    private final class CannedHTTP: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private let body: String
        private var request = ""

        init(body: String) {
            self.body = body
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            request += buffer.readString(length: buffer.readableBytes) ?? ""
            guard request.contains("\r\n\r\n") else { return }
            let ok = request.hasPrefix("GET /rocketmq/nsaddr HTTP/1.1\r\n")
            let body = ok ? self.body : "no"
            let response = "HTTP/1.1 \(ok ? "200 OK" : "404 Not Found")\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: response)), promise: nil)
        }
    }
}
