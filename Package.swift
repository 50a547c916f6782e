// swift-tools-version: 6.1
// Cairn: an event-sourced engine for workflow runs. See README.md and docs/.
import PackageDescription

// Strict settings shared by every target of ours.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Cairn",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "cairn", targets: ["cairn"]),
        .library(name: "CairnKit", targets: ["CairnKit"]),
        .library(name: "LMDB", targets: ["LMDB"]),
        // For the benchmarks package (Benchmarks/), which measures the modules directly.
        .library(name: "EventLog", targets: ["EventLog"]),
        .library(name: "Projections", targets: ["Projections"]),
        .library(name: "Scheduler", targets: ["Scheduler"]),
        .library(name: "Cron", targets: ["Cron"]),
        .library(name: "YDoc", targets: ["YDoc"]),
        // For the fuzz targets (Fuzz/), which drive these modules' decoders directly.
        .library(name: "JSON", targets: ["JSON"]),
        .library(name: "Encoding", targets: ["Encoding"]),
        .library(name: "Workflows", targets: ["Workflows"]),
        .library(name: "CairnServer", targets: ["CairnServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.0.0"),
        // NIOLockedValueBox: a pthread lock ThreadSanitizer sees (Synchronization's
        // Mutex waits on raw futexes it cannot, docs/reliability.md); already in
        // the graph through Hummingbird's.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        // SHA-256 (content hashes, derived ids); already in the graph through Hummingbird's.
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        // Runs the service's parts as one (graceful shutdown); already in the graph through Hummingbird's.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        // Logging (the service's request and startup lines); already in the graph through Hummingbird's.
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // /metrics: a Prometheus registry per server; brings swift-metrics' CoreMetrics with it.
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // The page's HTML templates (Sources/CairnServer/Pages/, docs/page.md).
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.0"),
    ],
    targets: [
        // Debian's liblmdb, through pkg-config; only `LMDB` imports it.
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .target(name: "LMDB", dependencies: ["CLMDB"], swiftSettings: strict),
        // A prefetch hint for the replay's appends (see DeferredWrites).
        .target(name: "CPUHints"),
        .target(name: "Encoding", swiftSettings: strict),
        .target(name: "Cron", swiftSettings: strict),
        .target(name: "JSON", swiftSettings: strict),
        .target(
            name: "EventLog",
            dependencies: [
                "LMDB", "Encoding", "JSON", "Cron", "CPUHints", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .target(name: "YDoc", dependencies: ["Encoding", "JSON"], swiftSettings: strict),
        .target(name: "Workflows", dependencies: ["JSON", "Cron", "YDoc", "Encoding"], swiftSettings: strict),
        .target(name: "Projections", dependencies: ["EventLog", "LMDB", "Encoding", "Cron", "CPUHints"], swiftSettings: strict),
        .target(name: "Scheduler", dependencies: ["Projections", "EventLog", "Cron", "LMDB"], swiftSettings: strict),
        .target(
            name: "CairnKit",
            dependencies: [
                "LMDB", "Encoding", "Cron", "JSON", "EventLog", "Workflows", "Projections", "Scheduler", "YDoc",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CairnServer",
            dependencies: [
                "CairnKit", "EventLog", "LMDB", "JSON", "Projections", "Scheduler", "Cron", "Workflows", "YDoc",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "cairn",
            dependencies: [
                "CairnKit",
                "LMDB",
                "Cron",
                "EventLog",
                "JSON",
                "Workflows",
                "Projections",
                "Scheduler",
                "YDoc",
                "CairnServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // Helpers shared by the test targets: seeded randomness, temporary folders, fixtures.
        .target(name: "TestSupport", dependencies: ["EventLog", "JSON", "LMDB"], path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "LMDBTests", dependencies: ["LMDB", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "EncodingTests", dependencies: ["Encoding", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "JSONTests", dependencies: ["JSON", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "CronTests", dependencies: ["Cron", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "EventLogTests", dependencies: ["EventLog", "Encoding", "JSON", "LMDB", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ProjectionsTests", dependencies: ["Projections", "EventLog", "JSON", "LMDB", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "SchedulerTests", dependencies: ["Scheduler", "Projections", "EventLog", "JSON", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "YDocTests", dependencies: ["YDoc", "Encoding", "JSON", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "WorkflowsTests", dependencies: ["Workflows", "YDoc", "Encoding", "JSON", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "CairnKitTests", dependencies: ["CairnKit", "Workflows", "YDoc", "Encoding", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "CairnServerTests",
            dependencies: [
                "CairnServer", "CairnKit", "EventLog", "LMDB", "Encoding", "Workflows", "YDoc", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "CairnCLITests", dependencies: ["cairn", "TestSupport", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")], swiftSettings: strict),
    ]
)
