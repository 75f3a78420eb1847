import DaprComponents
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RocketMQClient

/// What every binding instance of this process shares: the logger, where the output bindings'
/// connections live and, only when the executable was started with the demo broker, that
/// broker's name server address as the default for components that name none.
struct BindingEnvironment: Sendable {
    var logger: Logger
    var demoNameServer: String?
    /// The output bindings' producers and readers connect on this one loop, which is also where
    /// the server's unary handlers run (`RocketMQBindingFactory.makeServer`).
    var outputEventLoop: EventLoop
    /// Consumer groups with an open Read stream in this process: `read` must not compete with them.
    var streamingGroups = StreamingGroups()
    /// Where this process keeps state that must outlive it (`--state-dir`): the offsets of
    /// broadcasting consumers. Nil until `makeServer` defaults it beside the socket.
    var stateFolder: String?

    /// The logger of one instance and direction: every line names both.
    func logger(instance: String, direction: String) -> Logger {
        var logger = logger
        logger[metadataKey: "instance"] = "\(instance)"
        logger[metadataKey: "direction"] = "\(direction)"
        return logger
    }

    func parseMetadata(_ properties: [String: String], logger: Logger) throws -> BindingMetadata {
        let metadata = try BindingMetadata(properties: properties, defaultNameServers: demoNameServer.map { [$0] })
        if metadata.usesDefaultNameServers {
            logger.warning("no nameServer in the component metadata: using the IN-MEMORY TEST BROKER started by --demo-broker; messages are not durable")
        }
        if metadata.accessProtocol == .tcpCgo {
            logger.info("accessProto tcp-cgo is served by the native remoting client (there is no C++ client here)")
        }
        for warning in metadata.warnings { logger.warning("\(warning)") }
        if metadata.consumerGroupWasDefaulted {
            logger.warning("no consumerGroup set: using DEFAULT_CONSUMER; a dedicated group per application is recommended")
        }
        return metadata
    }
}

/// Creates RocketMQ binding instances for the component server.
public struct RocketMQBindingFactory: BindingFactory {
    private var environment: BindingEnvironment

    /// - Parameters:
    ///   - demoNameServer: the in-memory test broker's name server, used for components that name
    ///     no name server; nil in production.
    ///   - stateFolder: where state that outlives the process is kept (broadcasting consumers'
    ///     offsets); nil: the socket's default state folder (`ComponentSocket.defaultStateFolder`).
    public init(logger: Logger, demoNameServer: String? = nil, stateFolder: String? = nil) {
        environment = BindingEnvironment(
            logger: logger, demoNameServer: demoNameServer, outputEventLoop: MultiThreadedEventLoopGroup.singleton.next(),
            stateFolder: stateFolder)
    }

    /// The component server for these bindings. Its unary handlers run on the loop the output
    /// bindings' broker connections live on, so a `create` writes to the broker, resumes when the
    /// reply is read and answers, all on that one thread.
    public func makeServer(_ configuration: ComponentServer.Configuration, logger: Logger) -> ComponentServer {
        var configuration = configuration
        configuration.unaryHandlerExecutor = EventLoopTaskExecutor(environment.outputEventLoop)
        var factory = self
        if factory.environment.stateFolder == nil { factory.environment.stateFolder = configuration.socket.defaultStateFolder }
        return ComponentServer(configuration: configuration, factory: factory, logger: logger)
    }

    public func makeInputBinding(instance: String) -> InputBindingComponent {
        RocketMQInputBinding(instance: instance, environment: environment)
    }

    public func makeOutputBinding(instance: String) -> OutputBindingComponent {
        RocketMQOutputBinding(instance: instance, environment: environment)
    }
}

extension BindingEnvironment {
    /// Asks the name servers for the route of every configured topic through `producer`: proves
    /// they answer (the client retries `retries` times first). A topic without a route is only a
    /// warning (brokers with auto-create make it on first send); other failures are errors.
    func verifyRoutes(_ metadata: BindingMetadata, with producer: Producer, logger: Logger) async throws {
        for subscription in metadata.subscriptions {
            do {
                try await producer.checkTopic(subscription.topic)
            } catch RocketMQError.topicNotFound {
                logger.warning("topic has no route yet", metadata: ["topic": "\(subscription.topic)"])
            } catch {
                throw componentError(error, "asking \(metadata.nameServerDescription) for topic \(subscription.topic)")
            }
        }
    }

    /// The same check for the input direction, with a producer that only looks routes up.
    func probeNameServers(_ metadata: BindingMetadata, logger: Logger) async throws {
        let probe = Producer(configuration: metadata.producerConfiguration(), logger: logger)
        do {
            try await probe.start()
            try await verifyRoutes(metadata, with: probe, logger: logger)
        } catch {
            await probe.shutdown()
            throw componentError(error, "reaching the name servers")
        }
        await probe.shutdown()
    }
}

/// The consumer groups that have an open Read stream in this process. A `read` on such a group
/// would compete with the stream's consumer for the same offsets (duplicates, offsets moving
/// backwards), so it is refused (docs/component-spec.md §3).
final class StreamingGroups: Sendable {
    private let open = NIOLockedValueBox<[String: (instance: String, streams: Int)]>([:])

    /// Where a group lives: the same group name on another cluster or namespace is another group.
    static func key(_ metadata: BindingMetadata, group: String) -> String {
        [metadata.accessProtocol.rawValue, metadata.nameServers.sorted().joined(separator: ","), metadata.nameServerDomain ?? "",
         metadata.endpoint ?? "", metadata.instanceID ?? "", group].joined(separator: "|")
    }

    /// Runs `body` (a Read stream's life) with the group marked as streaming.
    func streaming<Result>(_ key: String, instance: String, _ body: () async throws -> Result) async rethrows -> Result {
        open.withLockedValue { $0[key, default: (instance, 0)].streams += 1 }
        defer {
            open.withLockedValue { open in
                open[key]?.streams -= 1
                if open[key]?.streams == 0 { open[key] = nil }
            }
        }
        return try await body()
    }

    /// Throws FAILED_PRECONDITION when `group` has an open Read stream in this process.
    func refuseRead(_ key: String, group: String) throws {
        guard let holder = open.withLockedValue({ $0[key] }) else { return }
        throw ComponentError.failedPrecondition(
            "consumer group \(group) has an open Read stream in this process (input binding instance \(holder.instance)): a read would "
                + "compete with it for the same offsets; give the read its own group with the request metadata consumerGroup, "
                + "or use a component with another consumerGroup")
    }
}

extension BindingEnvironment {
    /// The consumer model of `instance`'s consumers: broadcasting keeps this instance's offsets in
    /// its own file under the state folder, `broadcasting/<instance>/<group>.offsets.json`, so
    /// each instance (and each sidecar's) resumes where it stopped (docs/component-spec.md §4). A
    /// group in a namespace (`instanceId`) is another group: its file is named `<namespace>%<group>`.
    func messageModel(_ metadata: BindingMetadata, instance: String) throws -> MessageModel {
        switch metadata.consumerModel {
        case .clustering:
            return .clustering
        case .broadcasting:
            guard let stateFolder else {
                throw ComponentError.failedPrecondition(
                    "field consumerModel: broadcasting keeps offsets in files, but this component has no state folder; start it with --state-dir (DAPR_ROCKETMQ_STATE_DIR)")
            }
            let group = metadata.instanceID.map { "\($0)%\(metadata.consumerGroup)" } ?? metadata.consumerGroup
            let file = "\(stateFolder)/broadcasting/\(try Self.fileName("instance name", instance))/\(try Self.fileName("consumerGroup", group)).offsets.json"
            return .broadcasting(offsetFile: file)
        }
    }

    /// `name` as one file name: every byte but ASCII letters, digits, `_` and `-` is written
    /// `%XX`, so no name can hold a path separator or be `.` or `..`, and two names never meet.
    static func fileName(_ what: String, _ name: String) throws -> String {
        guard !name.isEmpty else { throw ComponentError.invalidArgument("\(what) is empty: it cannot name an offset file") }
        var escaped = ""
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "_"), UInt8(ascii: "-"):
                escaped.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                escaped += String(format: "%%%02X", byte)
            }
        }
        // File systems take 255 bytes per name; the group's file adds ".offsets.json".
        guard escaped.utf8.count <= 200 else {
            throw ComponentError.invalidArgument("\(what) \(name) is too long to name an offset file (at most 200 bytes once escaped)")
        }
        return escaped
    }
}
