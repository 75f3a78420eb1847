import ArgumentParser
import DaprComponents
import Dispatch
import Foundation
import Logging
import RocketMQBinding

/// dapr-rocketmq: the Dapr pluggable component. Serves InputBinding and OutputBinding (with gRPC
/// reflection) on `<sockets folder>/<name>.sock` until SIGTERM or SIGINT, then shuts down cleanly.
@main
struct DaprRocketMQ: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dapr-rocketmq",
        abstract: "The Dapr pluggable component for Apache RocketMQ: an input and an output binding.",
        discussion: """
            Serves Dapr's InputBinding and OutputBinding services (and gRPC reflection) on the Unix \
            socket <folder>/<name>.sock until SIGTERM or SIGINT; daprd knows the component as type \
            bindings.<name>. The folder is DAPR_COMPONENTS_SOCKETS_FOLDER, else \
            DAPR_COMPONENT_SOCKETS_FOLDER, else /tmp/dapr-components-sockets.

            Every flag has an environment variable. The flag wins; an empty variable counts as unset; \
            a value is checked alike whichever of the two it came from. Flags come in any order, as \
            --flag value or --flag=value; of --demo-broker and --no-demo-broker the last one wins.

            Exit status: 0 after SIGTERM or SIGINT; 1 when it cannot serve; 2 for a bad flag or a bad \
            environment variable (a usage error).
            """,
        version: Version.line
    )

    @Option(help: ArgumentHelp("""
        The socket file is <folder>/<name>.sock and the component type bindings.<name> \
        (env DAPR_ROCKETMQ_SOCKET_NAME; default rocketmq). A file name: not empty, without a slash, \
        neither "." nor "..". The default shadows daprd's built-in bindings.rocketmq; for production \
        prefer rocketmq-swift, so that a missing component fails loudly.
        """, valueName: "name"), transform: Settings.checkSocketName)
    var socketName: String?

    @Option(help: ArgumentHelp("""
        trace, debug, info, notice, warning, error or critical \
        (env DAPR_ROCKETMQ_LOG_LEVEL; default info).
        """, valueName: "level"), transform: Settings.checkLogLevel)
    var logLevel: Logger.Level?

    @Flag(inversion: .prefixedNo, exclusivity: .chooseLast, help: ArgumentHelp("""
        Also start the in-memory RocketMQ TEST broker and use it for components that name no \
        nameServer (env DAPR_ROCKETMQ_DEMO_BROKER: true, false, 1, 0, yes or no; default off). A \
        demo and test double: messages live in memory only.
        """))
    var demoBroker: Bool?

    @Option(help: ArgumentHelp("""
        Serve the component's metrics in the Prometheus text format on http://0.0.0.0:<port>/metrics \
        (env DAPR_ROCKETMQ_METRICS_PORT; default off; 0 picks a free port and logs it).
        """, valueName: "port"), transform: Settings.checkPort)
    var metricsPort: Int?

    @Option(help: ArgumentHelp("""
        Where state that must outlive the process is kept: the offsets of consumerModel \
        broadcasting inputs, a file per instance and consumer group \
        (env DAPR_ROCKETMQ_STATE_DIR; default <socket folder>/.dapr-rocketmq/<name>.state). \
        Keep it on a volume that survives restarts.
        """, valueName: "folder"), transform: Settings.checkStateFolder)
    var stateDir: String?

    /// The flags resolved against `environment` (`Settings.resolve`).
    func settings(environment: [String: String]) throws -> Settings {
        try Settings.resolve(socketName: socketName, logLevel: logLevel, demoBroker: demoBroker, metricsPort: metricsPort,
                             stateFolder: stateDir, environment: environment)
    }

    /// Bad environment variables are usage errors too, reported before anything starts (bad
    /// flags were refused while parsing).
    func validate() throws {
        _ = try settings(environment: ProcessInfo.processInfo.environment)
    }

    /// ArgumentParser's `main`, with one difference: a usage error (a bad flag or environment
    /// variable; ArgumentParser's own code is EX_USAGE, 64) exits with 2, as the help says.
    static func main() async {
        do {
            let command = try parse()
            try await command.run()
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(Self.usageErrorStatus)
        }
    }

    static let usageErrorStatus: Int32 = 2

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let settings = try settings(environment: environment)
        let level = settings.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "dapr-rocketmq")
        // Before anything records a metric: the backend is chosen once, for the whole process.
        var metrics: MetricsEndpoint?
        if let port = settings.metricsPort {
            do {
                metrics = try await MetricsEndpoint.start(port: port, logger: logger)
            } catch {
                logger.critical("cannot serve metrics", metadata: ["port": "\(port)", "error": "\(error)"])
                Foundation.exit(1)
            }
        }

        let demo: DemoBroker?
        do {
            demo = settings.demoBroker ? try await DemoBroker.start(logger: logger) : nil
        } catch {
            logger.critical("cannot start the demo test broker", metadata: ["error": "\(error)"])
            Foundation.exit(1)
        }

        let socket = ComponentSocket(name: settings.socketName, environment: environment)
        let server = RocketMQBindingFactory(logger: logger, demoNameServer: demo?.nameServerAddress, stateFolder: settings.stateFolder)
            .makeServer(ComponentServer.Configuration(socket: socket), logger: logger)
        let stop = SignalWaiter(signals: [SIGTERM, SIGINT])
        do {
            try server.start()
        } catch {
            logger.critical("cannot serve", metadata: ["socket": "\(socket.path)", "error": "\(error)"])
            await demo?.stop()
            Foundation.exit(1)
        }
        if let warning = Self.shadowWarning(socketName: settings.socketName) { logger.warning("\(warning)") }
        let received = await stop.wait()
        logger.info("shutting down", metadata: ["signal": "\(received.map { String($0) } ?? "none")"])
        await server.stop()
        await demo?.stop()
        await metrics?.stop()
        Foundation.exit(0)
    }

    /// daprd has a built-in `bindings.rocketmq`. A pluggable component of the same type wins only
    /// while its socket is there when daprd scans the folder, once, at its start: otherwise daprd
    /// silently takes its built-in binding for the same YAML (docs/daprd.md §B, §F).
    static func shadowWarning(socketName: String) -> String? {
        guard socketName == "rocketmq" else { return nil }
        return """
            the component type bindings.rocketmq shadows daprd's built-in bindings.rocketmq: if this socket \
            is missing when daprd scans the folder at its start, daprd silently uses its built-in binding \
            with the same component YAML. For production, start with --socket-name rocketmq-swift \
            (type bindings.rocketmq-swift in the YAML), so that a missing component fails loudly
            """
    }
}

/// Waits for the first of some signals without a handler running in signal context.
struct SignalWaiter {
    private let sources: [DispatchSourceSignal]
    /// The first signal received; later ones are dropped.
    private let received: AsyncStream<Int32>

    init(signals: [Int32]) {
        let (received, arrived) = AsyncStream.makeStream(of: Int32.self, bufferingPolicy: .bufferingOldest(1))
        sources = signals.map { number in
            signal(number, SIG_IGN)  // delivered through the dispatch source instead
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { arrived.yield(number) }
            source.resume()
            return source
        }
        self.received = received
    }

    /// The first signal received; nil if the waiting task is cancelled first.
    func wait() async -> Int32? {
        await received.first { _ in true }
    }
}
