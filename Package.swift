// swift-tools-version:6.0
// dapr-rocketmq: a Dapr pluggable component (input and output binding) for Apache RocketMQ.
// Module story, from the C libraries up (docs/architecture.md has the map, the data paths and the
// threads): CGRPCCore → GRPCCore (the gRPC server) · DaprProtoC → DaprProto (the Dapr messages)
// → DaprComponents (the pluggable-component server) · CZlib → RocketMQWire (the remoting
// protocol) → RocketMQClient (producer, consumers) · RocketMQHTTP (the HTTP access protocol) ·
// RocketMQBinding (the binding) → dapr-rocketmq (the executable). Each C module has one door:
// GRPCCore, DaprProto, RocketMQWire. RocketMQTestBroker is a test double, used by the tests, the
// benchmark and the demo (--demo-broker) only. Under Tests/, linked only by tests (GRPCTestClient
// also by the benchmark): TestSupport, GRPCTestClient, MQHTTPTestServer.
import PackageDescription

let package = Package(
    name: "dapr-rocketmq",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "dapr-rocketmq", targets: ["dapr-rocketmq"]),
        .executable(name: "dapr-rocketmq-bench", targets: ["dapr-rocketmq-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // The gRPC C core; GRPCCore is its only door.
        .systemLibrary(name: "CGRPCCore", path: "Sources/CGRPCCore"),
        .target(
            name: "GRPCCore",
            dependencies: ["CGRPCCore", .product(name: "Logging", package: "swift-log")]
        ),
        // protoc-c stubs generated from Protos/ (scripts/generate-protos.sh); DaprProto is its only door.
        .target(
            name: "DaprProtoC",
            sources: ["generated"],
            linkerSettings: [.linkedLibrary("protobuf-c")]
        ),
        .target(name: "DaprProto", dependencies: ["DaprProtoC"]),
        .target(
            name: "DaprComponents",
            dependencies: [
                "GRPCCore", "DaprProto",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // zlib; RocketMQWire is its only door.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(
            name: "RocketMQWire",
            dependencies: [
                "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "RocketMQClient",
            dependencies: [
                "RocketMQWire",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // The RocketMQ HTTP access protocol (accessProto: http): signing, XML bodies, the client.
        .target(
            name: "RocketMQHTTP",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // An in-memory name server + broker speaking the real wire format: a TEST DOUBLE, not
        // RocketMQ. Used by the tests, the benchmark and the demo (`--demo-broker`, only for
        // components that name no name server) — nothing else.
        .target(
            name: "RocketMQTestBroker",
            dependencies: [
                "RocketMQWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "RocketMQBinding",
            dependencies: [
                "DaprComponents", "DaprProto", "RocketMQClient", "RocketMQWire", "RocketMQHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .executableTarget(
            name: "dapr-rocketmq",
            dependencies: [
                "RocketMQBinding", "DaprComponents", "RocketMQTestBroker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            // Idle memory: lld packs the ~120,000 relative relocations that a position-independent
            // static binary carries (RELR: 2.8 MB → 23 KB, all read at every start), and the
            // executable exports no symbol table (2.7 MB of names the static runtime would export;
            // nothing looks symbols up in it). Together about 4.5 MiB less RSS.
            linkerSettings: [.unsafeFlags([
                "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic",
            ])],
            plugins: ["BuildCommit"]
        ),
        // Before every build: the git commit, for --version (Plugins/BuildCommit; `unknown` without git).
        .plugin(name: "BuildCommit", capability: .buildTool(), path: "Plugins/BuildCommit"),
        // The benchmark (not a test): throughput, latency, memory and start-up of the component.
        .executableTarget(
            name: "dapr-rocketmq-bench",
            dependencies: [
                "GRPCTestClient", "DaprComponents", "DaprProto", "RocketMQBinding", "RocketMQClient", "RocketMQTestBroker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Fuzz targets for libFuzzer (scripts/fuzz.sh); built normally, it replays inputs.
        .executableTarget(
            name: "dapr-rocketmq-fuzz",
            dependencies: ["DaprProto", "RocketMQHTTP", "RocketMQWire", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // Process, folder and client helpers shared by the end-to-end tests.
        .target(name: "TestSupport", dependencies: ["DaprComponents"], path: "Tests/TestSupport"),
        // A gRPC client on the C core, for the tests and the benchmark (the component only serves).
        // Outside Sources/, the one place besides GRPCCore that may import CGRPCCore.
        .target(name: "GRPCTestClient", dependencies: ["GRPCCore", "CGRPCCore"], path: "Tests/GRPCTestClient"),
        // An in-memory server of the HTTP access protocol: a test double that only test targets link.
        .target(
            name: "MQHTTPTestServer",
            dependencies: [
                "RocketMQHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/MQHTTPTestServer"
        ),
        .testTarget(name: "GRPCCoreTests", dependencies: ["GRPCCore", "CGRPCCore", "GRPCTestClient"]),
        .testTarget(name: "DaprProtoTests", dependencies: ["DaprProto"]),
        .testTarget(
            name: "DaprComponentsTests",
            dependencies: [
                "DaprComponents", "DaprProto", "GRPCCore", "GRPCTestClient", "TestSupport", "dapr-rocketmq",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "RocketMQWireTests",
            dependencies: [
                "RocketMQWire", "TestSupport", "dapr-rocketmq-fuzz",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "RocketMQClientTests",
            dependencies: [
                "RocketMQClient", "RocketMQTestBroker", "RocketMQWire", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "RocketMQTestBrokerTests",
            dependencies: [
                "RocketMQTestBroker", "RocketMQWire", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "RocketMQHTTPTests",
            dependencies: ["RocketMQHTTP", "MQHTTPTestServer", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "RocketMQBindingTests",
            dependencies: [
                "RocketMQBinding", "RocketMQClient", "RocketMQHTTP", "RocketMQTestBroker", "MQHTTPTestServer",
                "DaprComponents", "DaprProto", "GRPCCore", "GRPCTestClient", "TestSupport", "dapr-rocketmq",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
