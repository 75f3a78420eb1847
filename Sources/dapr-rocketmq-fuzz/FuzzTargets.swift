import DaprProto
import NIOCore
import RocketMQWire

/// The decoders that take bytes from the network or from daprd, as fuzz targets. Each must
/// either decode or throw its typed error: any crash, trap or sanitizer report is a bug.
enum FuzzTargets: String, CaseIterable {
    case remotingFrame = "remoting-frame"
    case storedMessages = "stored-messages"
    case routeJSON = "route-json"
    case protobufRequests = "protobuf-requests"

    func run(_ bytes: [UInt8]) {
        switch self {
        case .remotingFrame:
            var buffer = ByteBuffer(bytes: bytes)
            while (try? RemotingCommand.decodeFrame(from: &buffer)) ?? nil != nil {}
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
        }
    }
}
