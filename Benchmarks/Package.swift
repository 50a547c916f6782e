// swift-tools-version: 6.1
// Benchmarks live in their own package so the product's build and tests never
// compile them. Run them through tools/bench-* (release mode, with their peers).
import PackageDescription

let package = Package(
    name: "CairnBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Cairn", path: ".."),
        // load-serve only: a plain HTTP/1.1 client on SwiftNIO, and the WebSocket client
        // (both already in the main package's graph through Hummingbird).
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.0.0"),
    ],
    targets: [
        // What every benchmark shares: the clock, peak memory.
        .target(name: "BenchSupport"),
        .executableTarget(
            name: "bench-lmdb",
            dependencies: ["BenchSupport", .product(name: "LMDB", package: "Cairn")]
        ),
        .executableTarget(
            name: "bench-eventlog",
            dependencies: ["BenchSupport", .product(name: "EventLog", package: "Cairn"), .product(name: "LMDB", package: "Cairn")]
        ),
        .executableTarget(
            name: "bench-replay",
            dependencies: [
                "BenchSupport",
                .product(name: "EventLog", package: "Cairn"), .product(name: "Projections", package: "Cairn"),
                .product(name: "LMDB", package: "Cairn"),
            ]
        ),
        .executableTarget(
            name: "bench-scheduler",
            dependencies: [
                "BenchSupport",
                .product(name: "EventLog", package: "Cairn"), .product(name: "Projections", package: "Cairn"),
                .product(name: "Scheduler", package: "Cairn"), .product(name: "Cron", package: "Cairn"),
                .product(name: "LMDB", package: "Cairn"),
            ]
        ),
        .executableTarget(
            name: "bench-ydoc",
            dependencies: ["BenchSupport", .product(name: "YDoc", package: "Cairn")]
        ),
        // The service under load (tools/load-serve): simulated workers and
        // editors against a running `cairn serve`, then a check of its log.
        .executableTarget(
            name: "load-serve",
            dependencies: [
                "BenchSupport",
                .product(name: "YDoc", package: "Cairn"), .product(name: "EventLog", package: "Cairn"),
                .product(name: "LMDB", package: "Cairn"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
