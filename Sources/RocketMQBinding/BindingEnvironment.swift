import DaprComponents
import Logging
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
        if metadata.consumerGroupWasDefaulted {
            logger.warning("no consumerGroup set: using DEFAULT_CONSUMER; a dedicated group per application is recommended")
        }
        return metadata
    }
}

/// Creates RocketMQ binding instances for the component server.
public struct RocketMQBindingFactory: BindingFactory {
    private let environment: BindingEnvironment

    /// - Parameter demoNameServer: the in-memory test broker's name server, used for components
    ///   that name no name server; nil in production.
    public init(logger: Logger, demoNameServer: String? = nil) {
        environment = BindingEnvironment(
            logger: logger, demoNameServer: demoNameServer, outputEventLoop: MultiThreadedEventLoopGroup.singleton.next())
    }

    /// The component server for these bindings. Its unary handlers run on the loop the output
    /// bindings' broker connections live on, so a `create` writes to the broker, resumes when the
    /// reply is read and answers, all on that one thread.
    public func makeServer(_ configuration: ComponentServer.Configuration, logger: Logger) -> ComponentServer {
        var configuration = configuration
        configuration.unaryHandlerExecutor = EventLoopTaskExecutor(environment.outputEventLoop)
        return ComponentServer(configuration: configuration, factory: self, logger: logger)
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
                throw componentError(error, "asking the name servers (\(metadata.nameServers.joined(separator: ","))) for topic \(subscription.topic)")
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
