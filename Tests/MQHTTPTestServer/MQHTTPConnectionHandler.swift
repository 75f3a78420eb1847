import Foundation
import Logging
import NIOCore
import NIOHTTP1
import RocketMQHTTP

/// The last handler of every connection of ``MQHTTPTestServer``, after NIO's HTTP/1.1 server
/// pipeline (with pipelining assistance, so requests of one keep-alive connection are answered one
/// at a time, in order, and a held long poll holds back the next request). Collects a request,
/// bounded by the core's body limit, hands it to ``MQHTTPServerCore`` and writes the answer when
/// its future completes. Runs on its channel's event loop and never blocks it.
final class MQHTTPConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        case reading(HTTPRequestHead, [UInt8])
        /// The request is complete and with the core.
        case answering
        /// Refused as too large: the answer is out, the connection is closing, the rest is dropped.
        case refused
    }

    private let core: MQHTTPServerCore
    private var state = State.idle

    init(core: MQHTTPServerCore) {
        self.core = core
    }

    func channelActive(context: ChannelHandlerContext) {
        guard core.connectionOpened(context.channel) else {
            context.close(promise: nil)
            return
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        core.connectionClosed(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            guard case .idle = state else { return }
            if let length = head.headers.first(name: "content-length").flatMap({ Int($0) }), length > core.maxRequestBodyBytes {
                return refuseTooLarge(head, read: [], context: context)
            }
            state = .reading(head, [])
        case .body(let buffer):
            guard case .reading(let head, var body) = state else { return }
            guard body.count + buffer.readableBytes <= core.maxRequestBodyBytes else {
                return refuseTooLarge(head, read: body, context: context)
            }
            state = .answering  // drop the stored copy so the append does not copy the whole body
            body.append(contentsOf: buffer.readableBytesView)
            state = .reading(head, body)
        case .end:
            guard case .reading(let head, let body) = state else { return }
            state = .answering
            let request = MQHTTPRecordedRequest(method: head.method.rawValue, uri: head.uri,
                                                headers: head.headers.map { (name: $0.name, value: $0.value) }, body: body)
            core.handle(request, on: context.channel).assumeIsolated().whenComplete { result in
                switch result {
                case .success(let answer):
                    self.write(answer, to: head, context: context)
                case .failure:
                    // Only when the connection closed under a held poll: nobody to answer.
                    context.close(promise: nil)
                }
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Bad HTTP was already answered 400 by NIO's HTTPServerProtocolErrorHandler; just close.
        core.logger.debug("closing HTTP connection after error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func refuseTooLarge(_ head: HTTPRequestHead, read body: [UInt8], context: ChannelHandlerContext) {
        state = .refused
        let request = MQHTTPRecordedRequest(method: head.method.rawValue, uri: head.uri,
                                            headers: head.headers.map { (name: $0.name, value: $0.value) }, body: body)
        write(core.refuseTooLarge(request), to: head, context: context)
    }

    private func write(_ answer: MQHTTPAnswer, to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let keepAlive = request.isKeepAlive && !answer.close
        var headers = HTTPHeaders()
        headers.add(name: "Date", value: MQHTTPSigner.httpDate(Date()))
        headers.add(name: "Server", value: "mq-http-test-server")
        headers.add(name: "x-mq-version", value: MQHTTPSigner.protocolVersion)
        headers.add(name: "x-mq-request-id", value: answer.requestID)
        if answer.status != .noContent {
            headers.add(name: "Content-Type", value: MQHTTPSigner.contentType)
            headers.add(name: "Content-Length", value: "\(answer.body.count)")
        }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        core.logger.debug("answered", metadata: [
            "method": "\(request.method.rawValue)", "uri": "\(request.uri)", "status": "\(answer.status.code)", "requestID": "\(answer.requestID)",
        ])

        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: answer.status, headers: headers))), promise: nil)
        if !answer.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: answer.body)))), promise: nil)
        }
        if case .answering = state { state = .idle }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
