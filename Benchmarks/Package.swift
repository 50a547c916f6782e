// swift-tools-version: 6.1
// Benchmarks live in their own package so the product's build and tests never
// compile them. Run them through tools/bench-* (release mode, with their peers).
import PackageDescription

let package = Package(
    name: "CairnBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Cairn", path: "..")],
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
    ]
)
