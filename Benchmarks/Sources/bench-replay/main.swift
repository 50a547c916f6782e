// Generates RUNS ten-event runs over 1,000 workflows, then times a full
// rebuild of every projection beside a raw scan of the same `events`
// database (the floor), and prints peak memory.
import EventLog
import BenchSupport
import Foundation
import LMDB
import Projections



let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: bench-replay DIR [RUNS]")
    exit(2)
}
let runs = arguments.count > 2 ? Int(arguments[2]) ?? 100_000 : 100_000
let workflows = 1_000
// Generation is not measured: skip fsync while filling the log.
let env = try Environment(path: arguments[1], options: .init(mapSize: 4 << 30, noSync: true))
let log = try EventStore(environment: env)
// A folder that already holds the log is reused: tools/bench-replay rebuilds
// in a process of its own, and profiling wants the rebuild alone.
let reuse = try log.lastSequence() > 0

/// Job ids are global (a workflow's own, docs/architecture.md): each workflow has its three.
func job(_ s: Int, of w: Int) -> String { "w\(w)j\(s)" }
var setup: [Submission] = []
for w in 0..<workflows {
    setup.append(Submission(id: EventID.derived("wf", String(w)), command: .publishWorkflow(PublishRequest(
        workflowId: "w\(w)", projectId: "p\(w % 10)", deleted: false, jobIds: (0..<3).map { job($0, of: w) },
        triggers: [TriggerSummary(id: "t\(w)", type: "cron", enabled: true, cronExpression: "*/5 * * * *", cronCursorJobId: w % 2 == 0 ? job(0, of: w) : nil)],
        content: Array("w\(w)".utf8), document: { _ in Array("{}".utf8) }))))
}
if !reuse { _ = try log.append(setup) }
let output = Array("{\"data\":\"\(String(repeating: "x", count: 180))\"}".utf8)
var pending: [Submission] = []
var clock: Int64 = 1_700_000_000_000_000
var generated = 0
for r in 0..<(reuse ? 0 : runs) {
    let run = benchUUID(UInt64(r))
    let w = r % workflows
    clock += 1_000
    var commands: [Command] = [
        .createRun(CreateRun(runId: run, workflowId: "w\(w)", startingTriggerId: "t\(w)",
                             input: NewDataclip(type: .global, body: Array("{}".utf8)), timestamp: Timestamp(microseconds: clock))),
        .claimRun(runId: run, workerName: "worker", timestamp: Timestamp(microseconds: clock + 1)),
        .startRun(runId: run, timestamp: Timestamp(microseconds: clock + 2)),
    ]
    for s in 0..<3 {
        let step = benchUUID(UInt64(r * 3 + s), salt: 1)
        commands.append(.startStep(StartStep(runId: run, stepId: step, jobId: job(s, of: w), timestamp: Timestamp(microseconds: clock + 3))))
        commands.append(.completeStep(CompleteStep(
            runId: run, stepId: step, jobId: job(s, of: w), reason: .success, outputDataclipId: benchUUID(UInt64(r * 3 + s), salt: 2), outputDataclip: output,
            timestamp: Timestamp(microseconds: clock + 4))))
    }
    commands.append(.completeRun(CompleteRun(runId: run, state: .success, finalDataclipId: benchUUID(UInt64(r * 3 + 2), salt: 2), timestamp: Timestamp(microseconds: clock + 5))))
    pending += commands.enumerated().map { Submission(id: EventID.derived(run, String($0.offset)), command: $0.element) }
    if pending.count >= 10_000 || r == runs - 1 {
        generated += try log.append(pending).filter { if case .appended = $0 { return true } else { return false } }.count
        pending.removeAll(keepingCapacity: true)
    }
}
try env.sync()
let events = try log.lastSequence()
precondition(reuse || generated == runs * 10, "generated \(generated) of \(runs * 10)")
let rssAfterGeneration = peakRSSMiB()
// A log to copy for each profiling run: a rebuild over a folder rebuilt before
// reuses freed pages and is not the same measurement (see docs/benchmarks.md).
if ProcessInfo.processInfo.environment["BENCH_GENERATE_ONLY"] != nil {
    print("events=\(events)")
    exit(0)
}

// The floor: a raw cursor scan over the same events. Five of them: on a
// shared machine one scan of 0.07 s moves by half from run to run, and
// every ratio below moves with it.
var scanTimes: [Double] = []
var checksum = 0
for _ in 0..<5 {
    let scanStart = now()
    checksum = 0
    try log.forEachEncodedEvent(from: 1) { _, bytes in
        checksum &+= bytes.count
        return true
    }
    scanTimes.append(now() - scanStart)
}
let scanSeconds = scanTimes.sorted()[scanTimes.count / 2]
var start = now()

// A full rebuild of every projection.
let projections = try Projections(log: log)
// Opening caught the projections up with the log, a few hundred megabytes
// of writes the kernel is still flushing: flushed now, so the timed
// rebuild does not share the machine with the untimed catch-up's I/O (as
// the scan above did not, either).
try env.sync()
if let size = ProcessInfo.processInfo.environment["BENCH_REPLAY_BATCH"].flatMap(Int.init) { projections.engine.replayBatchSize = size }
// One thread: every projector's work on the one callgrind follows.
if ProcessInfo.processInfo.environment["BENCH_ONE_THREAD"] != nil { projections.engine.parallelReplay = false }
if let mib = ProcessInfo.processInfo.environment["BENCH_REPLAY_BUDGET_MIB"].flatMap(Int.init) {
    projections.engine.replayMemoryBudget = mib << 20
}
start = now()
// Heap in use, sampled after every replay transaction: the mapped file pages
// in the RSS are the database itself, the heap is what the replay holds.
nonisolated(unsafe) var anonymousPeak = anonymousRSSMiB()
try projections.engine.rebuild(progress: { _, _ in anonymousPeak = max(anonymousPeak, anonymousRSSMiB()) })
let rebuildSeconds = now() - start
let lastRun = try projections.run(benchUUID(UInt64(runs - 1)))
precondition(ProcessInfo.processInfo.environment["BENCH_ONLY"] != nil || lastRun?.state == .success, "the last run did not replay")
// The same rebuild twice more: the first one found the data file sized for
// the log and the incrementally built projections, and grew it for the new
// slot; the later ones, like any later rebuild of a store, reuse pages the
// file has. All three are reported, and their median.
// The heap is reported for the first only: glibc keeps what a rebuild
// freed for the next one, so later samples add up two rebuilds' arenas.
let heapPeak = anonymousPeak
var rebuildTimes = [rebuildSeconds]
for _ in 0..<2 {
    try env.sync()
    let again = now()
    try projections.engine.rebuild()
    rebuildTimes.append(now() - again)
}

print(
    "events=\(events) scan_seconds=\(scanSeconds) scan_min_seconds=\(scanTimes.min()!)",
    "rebuild_seconds=\(rebuildSeconds) rebuild_median_seconds=\(rebuildTimes.sorted()[1]) rebuild_min_seconds=\(rebuildTimes.min()!)",
    "rss_generation_mib=\(rssAfterGeneration) rss_peak_mib=\(peakRSSMiB()) heap_peak_mib=\(heapPeak) checksum=\(checksum)")
if ProcessInfo.processInfo.environment["BENCH_SPLIT"] != nil {
    let only = ProcessInfo.processInfo.environment["BENCH_ONLY"]
    for p in projections.engine.projectors where only == nil || only == p.name {
        let s = now()
        try projections.engine.rebuild([p])
        print("  \(p.name): \(now() - s)")
    }
    let s = now()
    var n = 0
    try log.forEachEncodedEvent(from: 1) { seq, bytes in
        let e = try EventCodec.decode(Array(bytes), sequence: seq)
        if case .runCreated = e.event { n += 1 }
        return true
    }
    print("  decode only: \(now() - s) \(n)")
}
