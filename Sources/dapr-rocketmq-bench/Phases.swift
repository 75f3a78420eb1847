import DaprProto
import Foundation
import GRPCTestClient
import NIOCore
import NIOPosix
import RocketMQBinding
import RocketMQClient

/// One connection to the started component and what the phases after start-up share: each phase
/// is one method, run in the order `Benchmark.run` lists.
final class BenchmarkSession: @unchecked Sendable {  // `producer` is set once, before the phases that share it
    static let instanceHeader = "x-component-instance"
    static let output = "/dapr.proto.components.v1.OutputBinding/"
    static let input = "/dapr.proto.components.v1.InputBinding/"

    /// One gRPC create case's figures, kept until the direct sends of the same case are measured.
    struct CreateCase {
        var concurrency: Int
        var size: Int
        var latency: LatencyRecorder
        var seconds: Double
        var componentMicroseconds: Double
        var benchmarkMicroseconds: Double
    }

    let component: ComponentProcess
    let channel: ClientChannel
    let nameServer: String
    let messages: Int
    /// Component metadata every instance is initialised with besides its own (`--trace`).
    let extraProperties: [String: String]
    /// The benchmark's own process: the gRPC client, and the test broker unless --name-server.
    let ownFigures = ProcessFigures(pid: getpid())
    /// The direct sends run where their connection lives, as the component's handlers do.
    let directLoop = EventLoopTaskExecutor(MultiThreadedEventLoopGroup.singleton.next())
    private(set) var producer: Producer?

    private init(component: ComponentProcess, nameServer: String, messages: Int, extraProperties: [String: String]) {
        self.component = component
        self.extraProperties = extraProperties
        self.channel = ClientChannel(target: "unix:" + component.socketPath)
        self.nameServer = nameServer
        self.messages = messages
    }

    /// Connects to the component and initialises the output instance every case uses.
    static func open(_ component: ComponentProcess, nameServer: String, messages: Int,
                     extraProperties: [String: String] = [:]) async throws -> BenchmarkSession {
        let session = BenchmarkSession(component: component, nameServer: nameServer, messages: messages, extraProperties: extraProperties)
        let properties = ["topics": "bench", "nameServer": nameServer, "consumerGroup": "bench-app"].merging(extraProperties) { $1 }
        _ = try await session.unary(output + "Init", BindingInitRequest(properties: properties).encoded(), instance: "bench")
        return session
    }

    /// The gRPC floor: ListOperations is answered from memory, so it costs the round trip through
    /// the socket, the C core and the server's dispatch, and nothing else. Then Ping, a health
    /// check: it asks the name server for the instance's topic routes.
    func runFloorCases(_ concurrencies: [Int], into report: inout Report) async throws {
        for concurrency in concurrencies {
            let (latency, seconds) = try await ClosedLoop.run(count: messages, concurrency: concurrency,
                                                              call(Self.output + "ListOperations", [], instance: "bench"))
            report.latency("floor_c\(concurrency)", "ListOperations (gRPC floor), concurrency \(concurrency)", latency, seconds)
        }
        let (ping, pingSeconds) = try await ClosedLoop.run(count: messages, concurrency: 1, call(Self.output + "Ping", [], instance: "bench"))
        report.latency("ping_c1", "Ping (health check: a name-server route lookup), concurrency 1", ping, pingSeconds)
    }

    /// Starts the producer of the direct sends (and of the Read cases' messages), on `directLoop`.
    /// It is connected before the gRPC create cases, as it was when their figures were measured.
    func connectDirectProducer() async throws {
        let producer = Producer(configuration: ProducerConfiguration(client: ClientConfiguration(nameServers: [nameServer]), group: "bench-direct"),
                                eventLoopGroup: directLoop.eventLoop)
        try await producer.start()
        self.producer = producer
    }

    private var direct: Producer {
        guard let producer else { preconditionFailure("connectDirectProducer() runs first") }
        return producer
    }

    /// The create cases through gRPC, every one before any direct send: a phase of direct sends
    /// slowed the gRPC case after it by 10-15 µs p50 at c=1, while the direct figures did not
    /// depend on order.
    func runCreateCases(_ concurrencies: [Int], _ sizes: [Int]) async throws -> [CreateCase] {
        var cases: [CreateCase] = []
        for concurrency in concurrencies {
            for size in sizes {
                let invoke = InvokeRequest(data: [UInt8](repeating: UInt8(ascii: "x"), count: size), operation: "create").encoded()
                let cpuBefore = (component: component.figures.cpuSeconds, benchmark: ownFigures.cpuSeconds)
                let (latency, seconds) = try await ClosedLoop.run(count: messages, concurrency: concurrency,
                                                                  call(Self.output + "Invoke", invoke, instance: "bench"))
                cases.append(CreateCase(
                    concurrency: concurrency, size: size, latency: latency, seconds: seconds,
                    componentMicroseconds: (component.figures.cpuSeconds - cpuBefore.component) / Double(messages) * 1_000_000,
                    benchmarkMicroseconds: (ownFigures.cpuSeconds - cpuBefore.benchmark) / Double(messages) * 1_000_000))
            }
        }
        return cases
    }

    /// The same sends through the client directly, case by case, reported beside the gRPC figures
    /// with the hop gRPC adds.
    func runDirectSends(comparedWith viaGRPC: [CreateCase], into report: inout Report) async throws {
        let producer = direct
        for grpc in viaGRPC {
            let (concurrency, size) = (grpc.concurrency, grpc.size)
            let body = [UInt8](repeating: UInt8(ascii: "x"), count: size)
            let (direct, directSeconds) = try await measure(count: messages, concurrency: concurrency, on: directLoop) {
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
        report.value("create_cpu_s_per_10k", "component CPU-seconds per 10,000 create (mean over cases)",
                     cpuPer10k.reduce(0, +) / Double(max(cpuPer10k.count, 1)))
    }

    /// Publish → delivery latency through a Read stream, one message at a time.
    func measureDelivery(into report: inout Report) async throws {
        let producer = direct
        let properties = ["topics": "latency", "nameServer": nameServer, "consumerGroup": "latency-app", "consumeFromWhere": "first"]
            .merging(extraProperties) { $1 }
        _ = try await unary(Self.input + "Init", BindingInitRequest(properties: properties).encoded(), instance: "latency")
        let stream = ReadStream(channel: channel, instance: "latency")
        _ = try await producer.send(OutgoingMessage(topic: "latency", body: Array("warm-up".utf8)))
        _ = try await stream.next()  // the consumer has joined and delivers
        var delivery = LatencyRecorder()
        let start = ContinuousClock.now
        for index in 0..<min(messages, 2000) {
            let sent = ContinuousClock.now
            _ = try await producer.send(OutgoingMessage(topic: "latency", body: Array("\(index)".utf8)))
            _ = try await stream.next()
            delivery.record(ContinuousClock.now - sent)
        }
        report.latency("read_delivery", "publish → Read delivery (one at a time)", delivery, Benchmark.seconds(ContinuousClock.now - start))
        stream.cancel()
    }

    /// The drain rate of a backlog through a Read stream with immediate acks.
    func measureDrain(backlog: Int, into report: inout Report) async throws {
        let producer = direct
        let batch = 128
        var published = 0
        while published < backlog {
            let count = min(batch, backlog - published)
            _ = try await producer.sendBatch((0..<count).map { OutgoingMessage(topic: "drain", body: Array("d-\(published + $0)".utf8)) })
            published += count
        }
        let properties = ["topics": "drain", "nameServer": nameServer, "consumerGroup": "drain-app", "consumeFromWhere": "first",
                          "consumerThreadNums": "1000", "consumerBatchSize": "256"].merging(extraProperties) { $1 }
        _ = try await unary(Self.input + "Init", BindingInitRequest(properties: properties).encoded(), instance: "drain")
        let cpuBefore = (component: component.figures.cpuSeconds, benchmark: ownFigures.cpuSeconds)
        let start = ContinuousClock.now
        let stream = ReadStream(channel: channel, instance: "drain", keepingMessages: false)
        await stream.waitUntilReceived(backlog)
        let seconds = Benchmark.seconds(ContinuousClock.now - start)
        report.value("drain_msgs_per_s", "Read drain of a \(backlog)-message backlog (msgs/s)", Double(backlog) / seconds)
        report.value("drain_cpu_s_per_10k", "component CPU-seconds per 10,000 delivered",
                     (component.figures.cpuSeconds - cpuBefore.component) / Double(backlog) * 10_000)
        report.value("drain_benchmark_cpu_s_per_10k", "benchmark process CPU-seconds per 10,000 delivered",
                     (ownFigures.cpuSeconds - cpuBefore.benchmark) / Double(backlog) * 10_000)
        stream.cancel()
    }

    /// Stops the direct producer and the component, then closes the channel.
    func close() async {
        await producer?.shutdown()
        component.stop()
        await channel.close()
    }

    func unary(_ method: String, _ request: [UInt8], instance: String) async throws -> [UInt8] {
        try await channel.unary(method, request, metadata: [Self.instanceHeader: instance], timeout: .seconds(30))
    }

    /// One unary call for `ClosedLoop`, on the completion form of the client.
    func call(_ method: String, _ request: [UInt8], instance: String) -> ClosedLoop.Call {
        { [channel] done in
            channel.unary(method, request, metadata: [Self.instanceHeader: instance], timeout: .seconds(30)) { result in
                if case .failure(let status) = result { done(status) } else { done(nil) }
            }
        }
    }

    /// Runs `count` operations with `concurrency` tasks preferring `executor`; latency per operation.
    private func measure(count: Int, concurrency: Int, on executor: any TaskExecutor,
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
        return (total, Benchmark.seconds(ContinuousClock.now - start))
    }
}

/// Hands out `count` tickets to concurrent workers.
final class Ticket: @unchecked Sendable {  // `remaining` guarded by `lock`
    private let lock = NSLock()
    private var remaining: Int
    init(_ count: Int) { remaining = count }
    func take() -> Bool { lock.withLock { remaining > 0 ? ({ remaining -= 1; return true })() : false } }
}
