import DaprComponents
import Dispatch
import Foundation
import Logging
import RocketMQBinding

/// dapr-rocketmq: the Dapr pluggable component. Serves InputBinding and OutputBinding (with gRPC
/// reflection) on `<sockets folder>/<name>.sock` until SIGTERM or SIGINT, then shuts down cleanly.
@main
enum DaprRocketMQ {
    static func main() async {
        let options: CommandLineOptions
        do {
            options = try CommandLineOptions.parse(CommandLine.arguments.dropFirst(), environment: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("dapr-rocketmq: \(error)\n\n\(CommandLineOptions.usage)\n".utf8))
            exit(2)
        }
        if options.showHelp {
            print(CommandLineOptions.usage)
            return
        }
        let level = options.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "dapr-rocketmq")

        let demo: DemoBroker?
        do {
            demo = options.demoBroker ? try await DemoBroker.start(logger: logger) : nil
        } catch {
            logger.critical("cannot start the demo test broker", metadata: ["error": "\(error)"])
            exit(1)
        }

        let socket = ComponentSocket(name: options.socketName, environment: ProcessInfo.processInfo.environment)
        let server = RocketMQBindingFactory(logger: logger, demoNameServer: demo?.nameServerAddress)
            .makeServer(ComponentServer.Configuration(socket: socket), logger: logger)
        let stop = SignalWaiter(signals: [SIGTERM, SIGINT])
        do {
            try server.start()
        } catch {
            logger.critical("cannot serve", metadata: ["socket": "\(socket.path)", "error": "\(error)"])
            await demo?.stop()
            exit(1)
        }
        let received = await stop.wait()
        logger.info("shutting down", metadata: ["signal": "\(received)"])
        await server.stop()
        await demo?.stop()
        exit(0)
    }
}

/// Waits for the first of some signals without a handler running in signal context.
final class SignalWaiter: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private var continuation: CheckedContinuation<Int32, Never>?
    private var received: Int32?
    private let lock = NSLock()

    init(signals: [Int32]) {
        for number in signals {
            signal(number, SIG_IGN)  // delivered through the dispatch source instead
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.fire(number) }
            source.resume()
            sources.append(source)
        }
    }

    private func fire(_ number: Int32) {
        let waiting: CheckedContinuation<Int32, Never>? = lock.withLock {
            guard received == nil else { return nil }
            received = number
            defer { continuation = nil }
            return continuation
        }
        waiting?.resume(returning: number)
    }

    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let already: Int32? = lock.withLock {
                if let received { return received }
                self.continuation = continuation
                return nil
            }
            if let already { continuation.resume(returning: already) }
        }
    }
}
