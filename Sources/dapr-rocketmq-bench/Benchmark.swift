import ArgumentParser
import Foundation
import Logging

/// `dapr-rocketmq-bench`: measures the component as a user meets it — through its socket, with a
/// native gRPC client on the same C core — and prints a table (and JSON with `--json PATH`).
/// Not a test: nothing here asserts; it reports.
///
/// `run` lists the phases in order; each is one function of `BenchmarkSession` (Phases.swift) or
/// of `ComponentProcess`, and writes its figures into the report.
@main
struct Benchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dapr-rocketmq-bench",
        abstract: "Throughput, latency, memory and start-up of the dapr-rocketmq component, through its socket.",
        discussion: """
            Starts the in-memory test broker (unless --name-server) and the component, then runs the \
            cases and prints the figures table. Flags come as --flag value or --flag=value.
            """
    )

    @Option(help: ArgumentHelp("A RocketMQ name server to use instead of the in-memory test broker.", valueName: "host:port"))
    var nameServer: String?

    @Option(help: ArgumentHelp("The component executable: dapr-rocketmq beside this one unless given.", valueName: "path"))
    var component: String = Benchmark.defaultComponent

    @Option(help: "Calls per case.")
    var messages = 5000

    @Option(help: "Messages in the backlog the Read drain case empties.")
    var backlog = 100_000

    @Option(help: ArgumentHelp("Also write the figures as JSON to this file.", valueName: "path"))
    var json: String?

    @Option(help: ArgumentHelp("Soak instead of benchmark: this many minutes of moderate load, figures sampled.", valueName: "minutes"))
    var soakMinutes: Double?

    @Option(name: .customLong("concurrency"), help: ArgumentHelp("Concurrencies of the cases (a subset, to profile one).", valueName: "1,16,64"))
    var concurrencies = IntegerList([1, 16, 64])

    @Option(name: .customLong("sizes"), help: ArgumentHelp("Body sizes of the create cases, in bytes.", valueName: "128,1024,16384"))
    var sizes = IntegerList([128, 1024, 16 * 1024])

    @Flag(name: .customLong("no-read"), help: "Skip the Read cases (delivery latency and drain).")
    var noRead = false

    @Flag(name: .customLong("trace"), help: "Initialise every instance with enableTrace: true (message trace records written to RMQ_SYS_TRACE_TOPIC).")
    var trace = false

    @Flag(name: .customLong("metrics"), help: "Start the component with its Prometheus endpoint on (DAPR_ROCKETMQ_METRICS_PORT=0).")
    var metrics = false

    @Option(name: .customLong("component-cpus"), help: ArgumentHelp("CPUs the component is confined to (taskset -c syntax; default: the scheduler's choice).", valueName: "list"))
    var componentCPUs: String?

    static var defaultComponent: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dapr-rocketmq").path
    }

    /// As ArgumentParser's, but a usage error exits with 2, as it always did.
    static func main() async {
        do {
            let command = try parse()
            try await command.run()
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .error
            return handler
        }
        var report = Report()
        let broker = try await BrokerUnderTest.start(nameServer: nameServer, into: &report)
        let process = try ComponentProcess.launch(component, cpus: componentCPUs, metrics: metrics, into: &report)
        defer { process.remove() }
        try await process.measureStartup(into: &report)
        try await process.measureIdle(into: &report)

        if trace { report.note("message trace", "on: every instance initialised with enableTrace: true") }
        let session = try await BenchmarkSession.open(process, nameServer: broker.nameServer, messages: messages,
                                                      extraProperties: trace ? ["enableTrace": "true"] : [:])
        if let minutes = soakMinutes {
            try await session.soak(minutes: minutes)
            await session.close()
            await broker.shutdown()
            return
        }
        try await session.runFloorCases(concurrencies.values, into: &report)
        try await session.connectDirectProducer()
        let viaGRPC = try await session.runCreateCases(concurrencies.values, sizes.values)
        try await session.runDirectSends(comparedWith: viaGRPC, into: &report)
        if !noRead {
            try await session.measureDelivery(into: &report)
            try await session.measureDrain(backlog: backlog, into: &report)
        }
        process.measureAfterwards(into: &report)
        await session.close()
        await broker.shutdown()

        report.print(machine: Self.machineDescription())
        if let json { try report.json().write(to: URL(fileURLWithPath: json)) }
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

/// A comma-separated list of integers, such as `1,16,64`; at least one.
struct IntegerList: ExpressibleByArgument, CustomStringConvertible {
    var values: [Int]

    init(_ values: [Int]) {
        self.values = values
    }

    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
        let values = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.count == parts.count, values.allSatisfy({ $0 > 0 }) else { return nil }
        self.values = values
    }

    var description: String { values.map(String.init).joined(separator: ",") }
    var defaultValueDescription: String { description }
}
