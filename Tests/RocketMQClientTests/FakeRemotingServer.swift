import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RocketMQWire

/// A loopback remoting server on an ephemeral port whose answers a test scripts: the smallest
/// stand-in for a name server or broker when a test needs to see or shape single frames.
final class FakeRemotingServer: Sendable {
    typealias Responder = @Sendable (RemotingCommand) -> RemotingCommand?

    private let channel: Channel
    private let received: NIOLockedValueBox<[RemotingCommand]>
    let address: String

    private init(channel: Channel, received: NIOLockedValueBox<[RemotingCommand]>) {
        self.channel = channel
        self.received = received
        self.address = "127.0.0.1:\(channel.localAddress!.port!)"
    }

    static func start(_ responder: @escaping Responder) async throws -> FakeRemotingServer {
        let received = NIOLockedValueBox<[RemotingCommand]>([])
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(RemotingCommandDecoder()),
                        MessageToByteHandler(RemotingCommandEncoder()),
                        Handler(responder: responder, received: received),
                    ])
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return FakeRemotingServer(channel: channel, received: received)
    }

    /// Every request received so far, in order.
    var requests: [RemotingCommand] { received.withLockedValue { $0 } }

    func stop() async throws {
        try await channel.close()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = RemotingCommand
        typealias OutboundOut = RemotingCommand
        let responder: Responder
        let received: NIOLockedValueBox<[RemotingCommand]>

        init(responder: @escaping Responder, received: NIOLockedValueBox<[RemotingCommand]>) {
            self.responder = responder
            self.received = received
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let request = unwrapInboundIn(data)
            received.withLockedValue { $0.append(request) }
            guard var response = responder(request), !request.isOneway else { return }
            response.opaque = request.opaque
            response.flag |= RemotingCommand.responseFlag
            context.writeAndFlush(wrapOutboundOut(response), promise: nil)
        }
    }
}

/// A port nothing listens on: bound, then closed.
func closedPort() async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(host: "127.0.0.1", port: 0).get()
    let port = channel.localAddress!.port!
    try await channel.close()
    return port
}

/// Route JSON for one broker in the standard form, or with fastjson's bare integer keys.
func routeJSON(brokers: [(name: String, address: String, queues: Int)], bareKeys: Bool = false) -> [UInt8] {
    let brokerDatas = brokers.map {
        #"{"brokerAddrs":{\#(bareKeys ? "0" : "\"0\""):"\#($0.address)"},"brokerName":"\#($0.name)","cluster":"DefaultCluster"}"#
    }.joined(separator: ",")
    let queueDatas = brokers.map {
        #"{"brokerName":"\#($0.name)","perm":6,"readQueueNums":\#($0.queues),"topicSysFlag":0,"writeQueueNums":\#($0.queues)}"#
    }.joined(separator: ",")
    return Array(#"{"brokerDatas":[\#(brokerDatas)],"filterServerTable":{},"queueDatas":[\#(queueDatas)]}"#.utf8)
}
