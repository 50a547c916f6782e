// swift-tools-version: 6.1
// libFuzzer targets, one per decoder of bytes that come from outside (issue #20,
// "Fuzzing"). A package of their own, like Benchmarks/, so the product's build
// and tests never compile them. Build and run them through tools/fuzz-all, which
// passes `-sanitize=fuzzer,address` to every Swift module (the main package's
// included, so its code is instrumented for coverage).
import PackageDescription

// Every target is an executable whose only entry is `LLVMFuzzerTestOneInput`;
// libFuzzer supplies `main`.
func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    fuzzTarget(name, products.map { .product(name: $0, package: "Cairn") })
}

// `-parse-as-library` on the targets only (not on every module through
// -Xswiftc): a dependency's own executable, such as Hummingbird's
// PerformanceTest, has top-level code and would not build with it.
func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(
        name: name, dependencies: ["FuzzSupport"] + dependencies,
        swiftSettings: [.unsafeFlags(["-parse-as-library"])])
}

let package = Package(
    name: "CairnFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Cairn", path: ".."),
        // fuzz-http-bodies hands requests to the service's router in process.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // What the targets share: reading choices from the fuzzer's bytes, a
        // lib0 writer for generated Yjs updates, property checks, fixtures.
        .target(name: "FuzzSupport", dependencies: [.product(name: "YDoc", package: "Cairn")]),
        // Stored event bytes -> EventCodec.decode / view (EventLog).
        fuzzTarget("fuzz-event-codec", ["EventLog", "Encoding"]),
        // Yjs update v1 bytes -> Doc.applyUpdate, on an empty document and on fixtures/ydoc/base.update.
        fuzzTarget("fuzz-ydoc-update", ["YDoc"]),
        // Structure-aware: fuzzer bytes drive a generator of well-formed updates (valid
        // headers, clocks near the document's state, origins on items it holds).
        fuzzTarget("fuzz-ydoc-structured", ["YDoc"]),
        // y-protocols sync frames, answered as the document hub answers them.
        fuzzTarget("fuzz-ydoc-sync", ["YDoc"]),
        // Cron expression, time zone, day match, start time -> CronSchedule next/previous.
        fuzzTarget("fuzz-cron", ["Cron"]),
        // JSON text -> JSONParser.parse, and a round trip through the writer.
        fuzzTarget("fuzz-json", ["JSON"]),
        // One line of `cairn ingest` -> WorkerProtocol.decodeLine.
        fuzzTarget("fuzz-ingest-line", ["EventLog"]),
        // A whole ingest file -> a fresh store: validation, append, projections, verify.
        fuzzTarget("fuzz-ingest-store", ["CairnKit", "EventLog", "LMDB", "JSON", "Workflows"]),
        // Workflow JSON -> WorkflowJSON.decode, validation, the Y.Doc layout and back.
        fuzzTarget("fuzz-workflow-json", ["Workflows", "JSON", "YDoc"]),
        // Yjs updates to a workflow document -> WorkflowDocument.materialize (the repairs).
        fuzzTarget("fuzz-workflow-doc", ["Workflows", "YDoc"]),
        // Records read back from a data folder (dataclips, snapshots, tokens, run records,
        // stored document updates) -> their decoders, through @_spi(Fuzz) entry points.
        fuzzTarget("fuzz-stored-records", ["EventLog", "Projections", "YDoc"]),
        // y-protocols sync frames -> the service's DocumentHub and the store's document writes.
        fuzzTarget(
            "fuzz-document-hub",
            [
                .product(name: "CairnServer", package: "Cairn"), .product(name: "CairnKit", package: "Cairn"),
                .product(name: "LMDB", package: "Cairn"), .product(name: "YDoc", package: "Cairn"),
            ]),
        // An HTTP request (route, token, path id, body) -> the service's router in process.
        fuzzTarget(
            "fuzz-http-bodies",
            [
                .product(name: "CairnServer", package: "Cairn"), .product(name: "CairnKit", package: "Cairn"),
                .product(name: "EventLog", package: "Cairn"), .product(name: "LMDB", package: "Cairn"),
                .product(name: "Workflows", package: "Cairn"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]),
    ]
)
