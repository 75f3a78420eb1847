import DaprComponents
import DaprProto
import Foundation
import GRPCCore
import GRPCTestClient
import Logging
import NIOCore
import NIOPosix
import RocketMQBinding
import RocketMQClient
import RocketMQTestBroker

/// `dapr-rocketmq-bench`: measures the component as a user meets it — through its socket, with a
/// native gRPC client on the same C core — and prints a table (and JSON with `--json PATH`).
/// Not a test: nothing here asserts; it reports.
@main
enum Benchmark {
    static let instanceHeader = "x-component-instance"
    static let output = "/dapr.proto.components.v1.OutputBinding/"
    static let input = "/dapr.proto.components.v1.InputBinding/"

    struct Options {
        var nameServer: String?
        var component: String = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dapr-rocketmq").path
        var messages = 5000
        var backlog = 100_000
        var json: String?
        /// Soak instead of benchmark: this many minutes of moderate load, figures sampled.
        var soakMinutes: Double?
        /// Subsets, for profiling one case.
        var concurrencies = [1, 16, 64]
        var sizes = [128, 1024, 16 * 1024]
        var read = true
        /// CPUs the component is confined to (`taskset -c` syntax); nil: the scheduler's choice.
        var componentCPUs: String?

        static func parse() -> Options {
            var options = Options()
            var arguments = CommandLine.arguments.dropFirst()
            while let argument = arguments.popFirst() {
                switch argument {
                case "--name-server": options.nameServer = arguments.popFirst()
                case "--component": options.component = arguments.popFirst() ?? options.component
                case "--messages": options.messages = Int(arguments.popFirst() ?? "") ?? options.messages
                case "--backlog": options.backlog = Int(arguments.popFirst() ?? "") ?? options.backlog
                case "--json": options.json = arguments.popFirst()
                case "--soak-minutes": options.soakMinutes = Double(arguments.popFirst() ?? "")
                case "--concurrency": options.concurrencies = list(arguments.popFirst()) ?? options.concurrencies
                case "--sizes": options.sizes = list(arguments.popFirst()) ?? options.sizes
                case "--no-read": options.read = false
                case "--component-cpus": options.componentCPUs = arguments.popFirst()
                default:
                    print("usage: dapr-rocketmq-bench [--name-server host:port] [--component PATH] [--messages N] [--backlog N] [--json PATH] [--soak-minutes M] [--concurrency 1,16,64] [--sizes 128,1024,16384] [--no-read] [--component-cpus LIST]")
                    exit(2)
                }
            }
            return options
        }

        private static func list(_ text: String?) -> [Int]? {
            let values = text?.split(separator: ",").compactMap { Int($0) } ?? []
            return values.isEmpty ? nil : values
        }
    }

    static func main() async throws {
        let options = Options.parse()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .error
            return handler
        }
        var report = Report()

        var broker: RocketMQTestBroker?
        let nameServer: String
        if let given = options.nameServer {
            nameServer = given
        } else {
            var configuration = RocketMQTestBrokerConfiguration()
            configuration.logger.logLevel = .error
            broker = try await RocketMQTestBroker.start(configuration)
            nameServer = broker!.nameServerAddress
            report.note("broker", "in-memory test broker in the benchmark process (\(nameServer))")
        }

        let folder = NSTemporaryDirectory() + "dapr-rocketmq-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let socketPath = folder + "/rocketmq.sock"
        let component = Process()
        if let cpus = options.componentCPUs {
            // taskset execs the component in its own process, so the pid and the figures are the component's.
            component.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
            component.arguments = ["-c", cpus, options.component, "--log-level", "error"]
            report.note("component CPUs", "confined to \(cpus) (taskset -c)")
        } else {
            component.executableURL = URL(fileURLWithPath: options.component)
            component.arguments = ["--log-level", "error"]
        }
        component.environment = ProcessInfo.processInfo.environment.merging(["DAPR_COMPONENTS_SOCKETS_FOLDER": folder]) { $1 }
        let launched = ContinuousClock.now
        try component.run()
        defer {
            if component.isRunning { kill(component.processIdentifier, SIGKILL) }
            try? FileManager.default.removeItem(atPath: folder)
        }
        while !ComponentSocket.isListening(socketPath) {
            guard component.isRunning, ContinuousClock.now - launched < .seconds(10) else { fatalError("the component did not start") }
            try await Task.sleep(for: .microseconds(200))
        }
        report.value("startup_ms", "exec → socket accepting", milliseconds(ContinuousClock.now - launched))
        let figures = ProcessFigures(pid: component.processIdentifier)
        // The benchmark's own process: the gRPC client, and the test broker unless --name-server.
        let ownFigures = ProcessFigures(pid: getpid())
        try await Task.sleep(for: .milliseconds(300))
        report.value("idle_rss_mib", "RSS idle", Double(figures.residentKiB) / 1024)
        report.value("idle_threads", "threads idle", Double(figures.threads))

        let channel = ClientChannel(target: "unix:" + socketPath)
        let properties = ["topics": "bench", "nameServer": nameServer, "consumerGroup": "bench-app"]
        _ = try await unary(channel, output + "Init", BindingInitRequest(properties: properties).encoded(), instance: "bench")
        if let minutes = options.soakMinutes {
            try await soak(minutes: minutes, channel: channel, nameServer: nameServer, figures: figures)
            kill(component.processIdentifier, SIGTERM)
            component.waitUntilExit()
            await channel.close()
            try? await broker?.shutdown()
            return
        }

        // The gRPC floor: ListOperations is answered from memory, so it costs the round trip through
        // the socket, the C core and the server's dispatch, and nothing else.
        for concurrency in options.concurrencies {
            let (latency, seconds) = try await ClosedLoop.run(count: options.messages, concurrency: concurrency,
                                                              call(channel, output + "ListOperations", [], instance: "bench"))
            report.latency("floor_c\(concurrency)", "ListOperations (gRPC floor), concurrency \(concurrency)", latency, seconds)
        }
        // Ping is a health check: it asks the name server for the instance's topic routes.
        let (ping, pingSeconds) = try await ClosedLoop.run(count: options.messages, concurrency: 1,
                                                           call(channel, output + "Ping", [], instance: "bench"))
        report.latency("ping_c1", "Ping (health check: a name-server route lookup), concurrency 1", ping, pingSeconds)

        // The direct sends run where their connection lives, as the component's handlers do.
        let directLoop = EventLoopTaskExecutor(MultiThreadedEventLoopGroup.singleton.next())
        let producer = Producer(configuration: ProducerConfiguration(client: ClientConfiguration(nameServers: [nameServer]), group: "bench-direct"),
                                eventLoopGroup: directLoop.eventLoop)
        try await producer.start()
        // Every gRPC case runs before any direct one: a phase of direct sends slowed the gRPC case
        // after it by 10-15 µs p50 at c=1 (README), while the direct figures did not depend on order.
        let cases = options.concurrencies.flatMap { concurrency in options.sizes.map { (concurrency: concurrency, size: $0) } }
        var viaGRPC: [(latency: LatencyRecorder, seconds: Double, componentMicroseconds: Double, benchmarkMicroseconds: Double)] = []
        for (concurrency, size) in cases {
            let invoke = InvokeRequest(data: [UInt8](repeating: UInt8(ascii: "x"), count: size), operation: "create").encoded()
            let cpuBefore = (component: figures.cpuSeconds, benchmark: ownFigures.cpuSeconds)
            let (latency, seconds) = try await ClosedLoop.run(count: options.messages, concurrency: concurrency,
                                                              call(channel, output + "Invoke", invoke, instance: "bench"))
            viaGRPC.append((latency, seconds,
                            (figures.cpuSeconds - cpuBefore.component) / Double(options.messages) * 1_000_000,
                            (ownFigures.cpuSeconds - cpuBefore.benchmark) / Double(options.messages) * 1_000_000))
        }
        for ((concurrency, size), grpc) in zip(cases, viaGRPC) {
            let body = [UInt8](repeating: UInt8(ascii: "x"), count: size)
            let (direct, directSeconds) = try await measure(count: options.messages, concurrency: concurrency, on: directLoop) {
                _ = try await producer.send(OutgoingMessage(topic: "bench", body: body))
            }
            report.latency("create_c\(concurrency)_\(size)b", "create via gRPC, c=\(concurrency), \(size) B", grpc.latency, grpc.seconds,
                           extra: String(format: "CPU µs/op: component %.0f, benchmark process %.0f", grpc.componentMicroseconds, grpc.benchmarkMicroseconds),
                           extraValues: ["component_cpu_us": grpc.componentMicroseconds, "benchmark_cpu_us": grpc.benchmarkMicroseconds])
            report.latency("direct_c\(concurrency)_\(size)b", "direct client send, c=\(concurrency), \(size) B", direct, directSeconds)
            let hop = Double(grpc.latency.percentile(50)) - Double(direct.percentile(50))
            report.value("hop_p50_us_c\(concurrency)_\(size)b", "gRPC hop p50 added (c=\(concurrency), \(size) B)", hop,
                         extra: String(format: "ratio %.2f", Double(grpc.latency.percentile(50)) / Double(max(direct.percentile(50), 1))))
        }
        let cpuPer10k = viaGRPC.map { $0.componentMicroseconds / 100 }
        report.value("create_cpu_s_per_10k", "component CPU-seconds per 10,000 create (mean over cases)", cpuPer10k.reduce(0, +) / Double(cpuPer10k.count))

        if options.read {
            try await measureRead(options, channel: channel, nameServer: nameServer, producer: producer,
                                  figures: figures, ownFigures: ownFigures, into: &report)
        }

        report.value("peak_rss_mib", "RSS peak", Double(figures.peakResidentKiB) / 1024)
        report.value("threads_after", "threads after the run", Double(figures.threads))
        await producer.shutdown()
        kill(component.processIdentifier, SIGTERM)
        component.waitUntilExit()
        await channel.close()
        try? await broker?.shutdown()

        report.print(machine: machineDescription())
        if let path = options.json { try report.json().write(to: URL(fileURLWithPath: path)) }
    }

    /// Publish → delivery latency one message at a time, then the drain rate of a backlog.
    static func measureRead(_ options: Options, channel: ClientChannel, nameServer: String, producer: Producer,
                            figures: ProcessFigures, ownFigures: ProcessFigures, into report: inout Report) async throws {
        // Publish → delivery latency through a Read stream, one message at a time.
        let latencyProperties = ["topics": "latency", "nameServer": nameServer, "consumerGroup": "latency-app", "consumeFromWhere": "first"]
        _ = try await unary(channel, input + "Init", BindingInitRequest(properties: latencyProperties).encoded(), instance: "latency")
        let latencyStream = ReadStream(channel: channel, instance: "latency")
        _ = try await producer.send(OutgoingMessage(topic: "latency", body: Array("warm-up".utf8)))
        _ = try await latencyStream.next()  // the consumer has joined and delivers
        var delivery = LatencyRecorder()
        let deliveryStart = ContinuousClock.now
        for index in 0..<min(options.messages, 2000) {
            let sent = ContinuousClock.now
            _ = try await producer.send(OutgoingMessage(topic: "latency", body: Array("\(index)".utf8)))
            _ = try await latencyStream.next()
            delivery.record(ContinuousClock.now - sent)
        }
        report.latency("read_delivery", "publish → Read delivery (one at a time)", delivery, seconds(ContinuousClock.now - deliveryStart))
        latencyStream.cancel()

        // Drain a backlog with immediate acks.
        let batch = 128
        var published = 0
        while published < options.backlog {
            let count = min(batch, options.backlog - published)
            _ = try await producer.sendBatch((0..<count).map { OutgoingMessage(topic: "drain", body: Array("d-\(published + $0)".utf8)) })
            published += count
        }
        let drainProperties = ["topics": "drain", "nameServer": nameServer, "consumerGroup": "drain-app", "consumeFromWhere": "first",
                               "consumerThreadNums": "1000", "consumerBatchSize": "256"]
        _ = try await unary(channel, input + "Init", BindingInitRequest(properties: drainProperties).encoded(), instance: "drain")
        let cpuBeforeDrain = (component: figures.cpuSeconds, benchmark: ownFigures.cpuSeconds)
        let drainStart = ContinuousClock.now
        let drainStream = ReadStream(channel: channel, instance: "drain", keepingMessages: false)
        await drainStream.waitUntilReceived(options.backlog)
        let drainSeconds = seconds(ContinuousClock.now - drainStart)
        report.value("drain_msgs_per_s", "Read drain of a \(options.backlog)-message backlog (msgs/s)", Double(options.backlog) / drainSeconds)
        report.value("drain_cpu_s_per_10k", "component CPU-seconds per 10,000 delivered", (figures.cpuSeconds - cpuBeforeDrain.component) / Double(options.backlog) * 10_000)
        report.value("drain_benchmark_cpu_s_per_10k", "benchmark process CPU-seconds per 10,000 delivered",
                     (ownFigures.cpuSeconds - cpuBeforeDrain.benchmark) / Double(options.backlog) * 10_000)
        drainStream.cancel()
    }

    /// Moderate load (4 concurrent creates, one Read stream acking everything) for `minutes`,
    /// printing RSS, threads and open descriptors of the component every 30 s.
    static func soak(minutes: Double, channel: ClientChannel, nameServer: String, figures: ProcessFigures) async throws {
        let soakProperties = ["topics": "soak", "nameServer": nameServer, "consumerGroup": "soak-app", "consumeFromWhere": "first"]
        _ = try await unary(channel, output + "Init", BindingInitRequest(properties: soakProperties).encoded(), instance: "soak")
        _ = try await unary(channel, input + "Init", BindingInitRequest(properties: soakProperties).encoded(), instance: "soak")
        let end = ContinuousClock.now + .seconds(minutes * 60)
        let counters = SoakCounters()
        let stream = ReadStream(channel: channel, instance: "soak")
        let reader = Task {
            while ContinuousClock.now < end, (try? await stream.next()) != nil { counters.received() }
        }
        let invoke = InvokeRequest(data: [UInt8](repeating: 0x61, count: 1024), operation: "create").encoded()
        let writers = (0..<4).map { _ in
            Task {
                while ContinuousClock.now < end {
                    if (try? await unary(channel, output + "Invoke", invoke, instance: "soak")) != nil { counters.sent() } else { counters.failed() }
                    try? await Task.sleep(for: .milliseconds(2))  // moderate, not maximal, load
                }
            }
        }
        print("minute  sent      received  failed  rss_mib  threads  fds")
        let start = ContinuousClock.now
        while ContinuousClock.now < end {
            try await Task.sleep(for: .seconds(30))
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(figures.pid)/fd").count) ?? -1
            let (sent, received, failed) = counters.snapshot
            print(String(format: "%6.1f  %8d  %8d  %6d  %7.1f  %7d  %3d", seconds(ContinuousClock.now - start) / 60, sent, received, failed,
                         Double(figures.residentKiB) / 1024, figures.threads, fds))
        }
        for writer in writers { await writer.value }
        stream.cancel()
        reader.cancel()
    }

    static func unary(_ channel: ClientChannel, _ method: String, _ request: [UInt8], instance: String) async throws -> [UInt8] {
        try await channel.unary(method, request, metadata: [instanceHeader: instance], timeout: .seconds(30))
    }

    /// One unary call for `ClosedLoop`, on the completion form of the client.
    static func call(_ channel: ClientChannel, _ method: String, _ request: [UInt8], instance: String) -> ClosedLoop.Call {
        { done in
            channel.unary(method, request, metadata: [instanceHeader: instance], timeout: .seconds(30)) { result in
                if case .failure(let status) = result { done(status) } else { done(nil) }
            }
        }
    }

    /// Runs `count` operations with `concurrency` tasks preferring `executor`; latency per operation.
    static func measure(count: Int, concurrency: Int, on executor: any TaskExecutor,
                        _ operation: @escaping @Sendable () async throws -> Void) async throws -> (LatencyRecorder, Double) {
        let next = Ticket(count)
        let start = ContinuousClock.now
        let recorders = try await withThrowingTaskGroup(of: LatencyRecorder.self) { group in
            for _ in 0..<concurrency {
                group.addTask(executorPreference: executor) {
                    var recorder = LatencyRecorder()
                    while next.take() {
                        let begin = ContinuousClock.now
                        try await operation()
                        recorder.record(ContinuousClock.now - begin)
                    }
                    return recorder
                }
            }
            return try await group.reduce(into: [LatencyRecorder]()) { $0.append($1) }
        }
        var total = LatencyRecorder()
        recorders.forEach { total.merge($0) }
        return (total, seconds(ContinuousClock.now - start))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func milliseconds(_ duration: Duration) -> Double { seconds(duration) * 1000 }

    static func machineDescription() -> String {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        return "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory / 1_073_741_824) GiB, \(cpu)"
    }
}

/// Hands out `count` tickets to concurrent workers.
final class Ticket: @unchecked Sendable {
    private let lock = NSLock()
    private var remaining: Int
    init(_ count: Int) { remaining = count }
    func take() -> Bool { lock.withLock { remaining > 0 ? ({ remaining -= 1; return true })() : false } }
}

/// A Read stream as daprd holds it: messages in, an immediate success ack for each. Messages are
/// received and acked on the client's poller thread (as daprd's Go client does on its own
/// goroutine), so the client side costs no task switch per message and the figures are the
/// component's.
final class ReadStream: @unchecked Sendable {
    private let call: ClientCall
    private let lock = NSLock()
    private var received = 0
    private var ended = false
    private var countWaiter: (target: Int, continuation: CheckedContinuation<Void, Never>)?
    private let messagesIn: AsyncStream<ReadResponse>.Continuation?
    private var iterator: AsyncStream<ReadResponse>.Iterator

    /// `keepingMessages`: whether `next()` is used; a drain only counts.
    init(channel: ClientChannel, instance: String, keepingMessages: Bool = true) {
        call = channel.makeCall(Benchmark.input + "Read", metadata: [Benchmark.instanceHeader: instance])
        let (stream, continuation) = AsyncStream.makeStream(of: ReadResponse.self)
        messagesIn = keepingMessages ? continuation : nil
        iterator = stream.makeAsyncIterator()
        if !keepingMessages { continuation.finish() }
        call.receiveMessages { [self] bytes in
            guard let bytes, let message = try? ReadResponse(decoding: bytes) else { return end() }
            call.send(ReadRequest(messageID: message.messageID).encoded()) { _ in }
            messagesIn?.yield(message)
            let reached: CheckedContinuation<Void, Never>? = lock.withLock {
                received += 1
                guard let waiter = countWaiter, received >= waiter.target else { return nil }
                countWaiter = nil
                return waiter.continuation
            }
            reached?.resume()
        }
    }

    private func end() {
        messagesIn?.finish()
        let waiter: CheckedContinuation<Void, Never>? = lock.withLock {
            ended = true
            defer { countWaiter = nil }
            return countWaiter?.continuation
        }
        waiter?.resume()
    }

    /// The next delivered message (already acked).
    func next() async throws -> ReadResponse {
        guard let message = await iterator.next() else { throw await call.status }
        return message
    }

    /// Returns once `count` messages in all were received (or the stream ended).
    func waitUntilReceived(_ count: Int) async {
        await withCheckedContinuation { continuation in
            let now: Bool = lock.withLock {
                if received >= count || ended { return true }
                countWaiter = (count, continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    func cancel() {
        call.cancel()
    }
}

final class SoakCounters: @unchecked Sendable {
    private let lock = NSLock()
    private var counts = (sent: 0, received: 0, failed: 0)
    func sent() { lock.withLock { counts.sent += 1 } }
    func received() { lock.withLock { counts.received += 1 } }
    func failed() { lock.withLock { counts.failed += 1 } }
    var snapshot: (Int, Int, Int) { lock.withLock { (counts.sent, counts.received, counts.failed) } }
}
