import DaprComponents
import Foundation
import RocketMQTestBroker

/// The phase "start broker": the name server the component uses — the in-memory test broker in
/// this process unless `--name-server` names one.
struct BrokerUnderTest {
    let nameServer: String
    private let broker: RocketMQTestBroker?

    static func start(nameServer given: String?, into report: inout Report) async throws -> BrokerUnderTest {
        if let given { return BrokerUnderTest(nameServer: given, broker: nil) }
        var configuration = RocketMQTestBrokerConfiguration()
        configuration.logger.logLevel = .error
        let broker = try await RocketMQTestBroker.start(configuration)
        report.note("broker", "in-memory test broker in the benchmark process (\(broker.nameServerAddress))")
        return BrokerUnderTest(nameServer: broker.nameServerAddress, broker: broker)
    }

    func shutdown() async {
        try? await broker?.shutdown()
    }
}

/// The component under test, a child process serving on a socket in its own temporary folder.
/// Phases: "start component" (`launch`), "start-up time" (`measureStartup`), "idle RSS"
/// (`measureIdle`) and the figures after the run (`measureAfterwards`).
final class ComponentProcess {
    let process: Process
    let folder: String
    let socketPath: String
    let launched: ContinuousClock.Instant
    /// The component's figures, read from /proc.
    let figures: ProcessFigures

    private init(process: Process, folder: String, launched: ContinuousClock.Instant) {
        self.process = process
        self.folder = folder
        self.socketPath = folder + "/rocketmq.sock"
        self.launched = launched
        self.figures = ProcessFigures(pid: process.processIdentifier)
    }

    /// Starts `path` with its sockets folder set to a fresh temporary one; with `cpus`, confined
    /// to those CPUs (taskset execs the component in its own process, so the pid and the figures
    /// are the component's).
    /// With `metrics`, the component serves its Prometheus endpoint on a free port, so the cost of
    /// keeping the metrics shows in the figures.
    static func launch(_ path: String, cpus: String?, metrics: Bool = false, into report: inout Report) throws -> ComponentProcess {
        let folder = NSTemporaryDirectory() + "dapr-rocketmq-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let process = Process()
        if let cpus {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
            process.arguments = ["-c", cpus, path, "--log-level", "error"]
            report.note("component CPUs", "confined to \(cpus) (taskset -c)")
        } else {
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = ["--log-level", "error"]
        }
        var environment = ["DAPR_COMPONENTS_SOCKETS_FOLDER": folder]
        if metrics {
            environment["DAPR_ROCKETMQ_METRICS_PORT"] = "0"
            report.note("metrics", "on: DAPR_ROCKETMQ_METRICS_PORT=0")
        }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let launched = ContinuousClock.now
        try process.run()
        return ComponentProcess(process: process, folder: folder, launched: launched)
    }

    /// Start-up time: from exec until the socket accepts connections.
    func measureStartup(into report: inout Report) async throws {
        while !ComponentSocket.isListening(socketPath) {
            guard process.isRunning, ContinuousClock.now - launched < .seconds(10) else { fatalError("the component did not start") }
            try await Task.sleep(for: .microseconds(200))
        }
        report.value("startup_ms", "exec → socket accepting", Benchmark.milliseconds(ContinuousClock.now - launched))
    }

    /// Idle RSS and threads, once the started component has settled.
    func measureIdle(into report: inout Report) async throws {
        try await Task.sleep(for: .milliseconds(300))
        report.value("idle_rss_mib", "RSS idle", Double(figures.residentKiB) / 1024)
        report.value("idle_threads", "threads idle", Double(figures.threads))
    }

    /// Peak RSS and threads after the cases.
    func measureAfterwards(into report: inout Report) {
        report.value("peak_rss_mib", "RSS peak", Double(figures.peakResidentKiB) / 1024)
        report.value("threads_after", "threads after the run", Double(figures.threads))
    }

    /// Asks the component to stop (SIGTERM) and waits for it.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }

    /// Kills the component if it still runs and removes its folder.
    func remove() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: folder)
    }
}
