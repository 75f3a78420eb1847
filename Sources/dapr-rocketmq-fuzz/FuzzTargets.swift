import DaprProto
import NIOCore
import RocketMQHTTP
import RocketMQWire

/// The decoders that take bytes from the network or from daprd, as fuzz targets. Each must
/// either decode or throw its typed error: any crash, trap or sanitizer report is a bug.
enum FuzzTargets: String, CaseIterable {
    case remotingFrame = "remoting-frame"
    case storedMessages = "stored-messages"
    case routeJSON = "route-json"
    case protobufRequests = "protobuf-requests"
    case mqHTTPXML = "mq-http-xml"

    func run(_ bytes: [UInt8]) {
        switch self {
        case .remotingFrame:
            var buffer = ByteBuffer(bytes: bytes)
            while let command = (try? RemotingCommand.decodeFrame(from: &buffer)) ?? nil {
                assertRewritesTheSame(command)
            }
        case .storedMessages:
            _ = try? StoredMessageDecoder.decodeAll(bytes)
        case .routeJSON:
            _ = try? TopicRouteData(body: bytes)
        case .protobufRequests:
            _ = try? InvokeRequest(decoding: bytes)
            _ = try? ReadRequest(decoding: bytes)
            _ = try? BindingInitRequest(decoding: bytes)
            _ = try? ReflectionRequest(decoding: bytes)
            _ = try? EmptyMessage(decoding: bytes)
        case .mqHTTPXML:
            _ = try? MQHTTPXML.decode(MQHTTPErrorBody.self, from: bytes)
            _ = try? MQHTTPXML.decode(MQHTTPAckFailures.self, from: bytes)
            _ = try? MQHTTPXML.decode(MQHTTPPublishRequest.self, from: bytes)
            if let messages = try? MQHTTPXML.decode(MQHTTPReceivedMessages.self, from: bytes) {
                // What we read we can write, and reading that gives the same messages.
                let rewritten = MQHTTPXML.encode(messages, root: MQHTTPXML.messagesRoot)
                let reread = try? MQHTTPXML.decode(MQHTTPReceivedMessages.self, from: rewritten)
                precondition(reread == messages, "re-encoding changed \(messages) into \(String(describing: reread))")
            }
        }
    }

    /// Whatever we decode we can write back, and reading that gives the same command. Encoding may
    /// refuse (escaping can outgrow the frame limit), but must not change anything it writes.
    private func assertRewritesTheSame(_ command: RemotingCommand) {
        guard let frame = try? command.encodedFrame() else { return }
        var expected = command
        if case .unknown = command.language, command.serializeType == .json {
            expected.language = .other  // JSON names only the known languages; the rest go as OTHER
        }
        let reread = try? RemotingCommand.decode(frame: frame)
        precondition(reread == expected, "re-encoding changed \(command) into \(String(describing: reread))")
    }
}
