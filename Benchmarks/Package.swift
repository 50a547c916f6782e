// swift-tools-version: 6.1
// Benchmarks live in their own package so the product's build and tests never
// compile them. Run them through tools/bench-* (release mode, with their peers).
import PackageDescription

let package = Package(
    name: "CairnBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Cairn", path: "..")],
    targets: [
        .executableTarget(
            name: "bench-lmdb",
            dependencies: [.product(name: "LMDB", package: "Cairn")]
        ),
        .executableTarget(
            name: "bench-eventlog",
            dependencies: [.product(name: "EventLog", package: "Cairn"), .product(name: "LMDB", package: "Cairn")]
        ),
        .executableTarget(
            name: "bench-replay",
            dependencies: [
                .product(name: "EventLog", package: "Cairn"), .product(name: "Projections", package: "Cairn"),
                .product(name: "LMDB", package: "Cairn"),
            ]
        ),
        .executableTarget(
            name: "bench-scheduler",
            dependencies: [
                .product(name: "EventLog", package: "Cairn"), .product(name: "Projections", package: "Cairn"),
                .product(name: "Scheduler", package: "Cairn"), .product(name: "Cron", package: "Cairn"),
                .product(name: "LMDB", package: "Cairn"),
            ]
        ),
        .executableTarget(
            name: "bench-ydoc",
            dependencies: [.product(name: "YDoc", package: "Cairn")]
        ),
    ]
)
