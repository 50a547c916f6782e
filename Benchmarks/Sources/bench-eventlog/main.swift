// Durable appends of realistic run events through the event log, three ways:
// batches of 1,000 (one transaction each), one event per transaction from a
// single task, and one event per call from 64 concurrent tasks (group commit);
// with, for the first and the last, how far the indexes behind the log fell
// behind it (the overlay's peak, the flushes); then the batches again for
// 1,000,000 events, to see the flusher keep up. Then the catch-up on open: a
// log of 1,000,000 events whose indexes were never flushed, reopened by a
// fresh environment, and the flush of those events' index entries.
// tools/bench-eventlog runs this beside the C floor and the Python peer.
import EventLog
import BenchSupport
import Foundation
import LMDB


let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: bench-eventlog DIR [RUNS]")
    exit(2)
}
let root = arguments[1]
let runs = arguments.count > 2 ? Int(arguments[2]) ?? 10_000 : 10_000
let output = String(repeating: "x", count: 180)
let environment = ProcessInfo.processInfo.environment
/// Runs in the catch-up log (10 events each); `BENCH_CATCHUP_RUNS` for a smaller profile.
let catchUpRuns = environment["BENCH_CATCHUP_RUNS"].flatMap { Int($0) } ?? 100_000
/// Runs in the sustained phase; `BENCH_SUSTAINED_RUNS` for a smaller profile.
let sustainedRuns = environment["BENCH_SUSTAINED_RUNS"].flatMap { Int($0) } ?? 100_000

/// The ten commands of run number `r`: created, claimed, start, 3 × (step
/// start, step complete with a ~200-byte output), complete. Ids are random
/// UUIDs, as workers send them (counters would make every index append-only).
func runCommands(_ r: Int) -> [Command] {
    let run = benchUUID(UInt64(r))
    var commands: [Command] = [
        .createRun(CreateRun(runId: run, workflowId: "w", inputDataclipId: "input")),
        .claimRun(runId: run, workerName: "worker", timestamp: nil),
        .startRun(runId: run, timestamp: nil),
    ]
    for s in 0..<3 {
        let step = benchUUID(UInt64(r * 3 + s), salt: 1)
        commands.append(.startStep(StartStep(runId: run, stepId: step, jobId: "j\(s)")))
        commands.append(.completeStep(CompleteStep(
            runId: run, stepId: step, jobId: "j\(s)", reason: .success, outputDataclipId: benchUUID(UInt64(r * 3 + s), salt: 2),
            outputDataclip: Array("{\"data\":\"\(output)\"}".utf8))))
    }
    commands.append(.completeRun(CompleteRun(runId: run, state: .success, finalDataclipId: benchUUID(UInt64(r * 3 + 2), salt: 2))))
    return commands
}

func freshLog(_ name: String, indexPolicy: IndexFlushPolicy = IndexFlushPolicy(), mapSize: Int = 1 << 30) throws -> EventStore {
    let path = root + "/" + name
    try? FileManager.default.removeItem(atPath: path)
    let env = try Environment(path: path, options: .init(mapSize: mapSize))
    let log = try EventStore(environment: env, indexPolicy: indexPolicy)
    _ = try log.append([
        Submission(id: .random(), command: .publishWorkflow(PublishRequest(
            workflowId: "w", projectId: "p", deleted: false, jobIds: ["j0", "j1", "j2"], triggers: [],
            content: Array("bench".utf8), document: { _ in Array("{}".utf8) }))),
        Submission(id: .random(), command: .createRun(CreateRun(
            runId: "seed", workflowId: "w", inputDataclipId: "input",
            input: NewDataclip(type: .global, body: Array("{}".utf8))))),
    ])
    return log
}

func bytesOfEvents(_ log: EventStore) throws -> Int {
    try log.environment.read { txn in try txn.statistics(try log.environment.database("events")).bytes }
}

/// Stops the run with `message` on standard error (a release build's
/// `precondition` drops its message).
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    guard !condition else { return }
    FileHandle.standardError.write(Data("bench-eventlog: \(message())\n".utf8))
    exit(1)
}

/// Appends runs `0..<runs` (ten events each) to `log`, `runsPerCall` runs a
/// call; stops the benchmark unless every event is appended. Returns the
/// seconds spent inside `append`.
func appendRuns(_ runs: Int, to log: EventStore, runsPerCall: Int) throws -> Double {
    var seconds = 0.0
    var appended = 0
    var miss = "none"
    var r = 0
    while r < runs {
        let upper = min(r + runsPerCall, runs)
        let submissions = (r..<upper).flatMap { runCommands($0).map { Submission(id: .random(), command: $0) } }
        let start = now()
        let outcomes = try log.append(submissions)
        seconds += now() - start
        appended += outcomes.filter { if case .appended = $0 { return true } else { return false } }.count
        if miss == "none" { miss = firstMiss(outcomes, submissions) }
        r = upper
    }
    require(appended == runs * 10, "only \(appended) of \(runs * 10) appended; the first not: \(miss)")
    return seconds
}

/// Why the first submission of `outcomes` not appended was not, for `require`.
func firstMiss(_ outcomes: [AppendOutcome], _ submissions: [Submission]) -> String {
    for (outcome, submission) in zip(outcomes, submissions) {
        if case .appended = outcome { continue }
        return "\(submission.command.eventName): \(outcome)"
    }
    return "none"
}

/// The index statistics of a phase, as `key=value` fields.
func indexFields(_ phase: String, _ s: IndexStatistics) -> String {
    "\(phase)_peak=\(s.peak) \(phase)_flushes=\(s.flushes) \(phase)_flushed=\(s.flushed) \(phase)_unflushed=\(s.unflushed)"
}

// Phases 1-4; `BENCH_CATCHUP_ONLY=1` skips them.
if environment["BENCH_CATCHUP_ONLY"] == nil {
    // 1. Batches of 1,000 events (100 runs interleaved run by run), durable.
    // Submissions are made first so only appending is timed.
    let batchLog = try freshLog("batch")
    var batches: [[Submission]] = []
    var pending: [Submission] = []
    for r in 0..<runs {
        pending += runCommands(r).map { Submission(id: .random(), command: $0) }
        if pending.count >= 1_000 || r == runs - 1 {
            batches.append(pending)
            pending.removeAll()
        }
    }
    var batchSeconds = 0.0
    var appended = 0
    var miss = "none"
    for batch in batches {
        let start = now()
        let outcomes = try batchLog.append(batch)
        batchSeconds += now() - start
        appended += outcomes.filter { if case .appended = $0 { return true } else { return false } }.count
        if miss == "none" { miss = firstMiss(outcomes, batch) }
    }
    require(appended == runs * 10, "only \(appended) of \(runs * 10) appended; the first not: \(miss)")
    var eventBytes = 0
    var eventCount = 0
    try batchLog.forEachEncodedEvent(from: 1) { _, bytes in
        eventBytes += bytes.count
        eventCount += 1
        return true
    }

    // How far the indexes fell behind, as the phase ended; then the rest is
    // flushed, untimed, so no flush of this log runs into the next phase.
    let batchIndex = batchLog.indexStatistics
    try batchLog.flushIndexes()

    if environment["BENCH_BATCH_ONLY"] != nil {
        print("batch_events=\(runs * 10) batch_seconds=\(batchSeconds) \(indexFields("batch", batchIndex))")
        exit(0)
    }

    // 2. One event per durable transaction, one task.
    let singleRuns = max(runs / 50, 20)
    let singleLog = try freshLog("single")
    var start = now()
    for r in 0..<singleRuns {
        for command in runCommands(r) { _ = try await singleLog.append(Submission(id: .random(), command: command)) }
    }
    let singleSeconds = now() - start
    try singleLog.flushIndexes()

    // 3. The same number of calls from 64 concurrent tasks (group commit).
    let groupRuns = singleRuns * 8
    let groupLog = try freshLog("group")
    start = now()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for task in 0..<64 {
            group.addTask {
                var r = task
                while r < groupRuns {
                    for command in runCommands(r) { _ = try await groupLog.append(Submission(id: .random(), command: command)) }
                    r += 64
                }
            }
        }
        try await group.waitForAll()
    }
    let groupSeconds = now() - start
    let groupIndex = groupLog.indexStatistics
    try groupLog.flushIndexes()

    // 4. Sustained: the batches of phase 1 for ten times as long (1,000,000
    // events by default, several flush intervals), with the default flush
    // policy: whether the flusher keeps up, and the overlay stays bounded.
    let sustainedLog = try freshLog("sustained", mapSize: 4 << 30)
    let sustainedSeconds = try appendRuns(sustainedRuns, to: sustainedLog, runsPerCall: 100)
    let sustainedIndex = sustainedLog.indexStatistics
    try sustainedLog.flushIndexes()

    print("batch_events=\(runs * 10) batch_seconds=\(batchSeconds) mean_event_bytes=\(eventBytes / max(eventCount, 1)) single_events=\(singleRuns * 10) single_seconds=\(singleSeconds) group_events=\(groupRuns * 10) group_seconds=\(groupSeconds) sustained_events=\(sustainedRuns * 10) sustained_seconds=\(sustainedSeconds) \(indexFields("batch", batchIndex)) \(indexFields("group", groupIndex)) \(indexFields("sustained", sustainedIndex))", terminator: " ")
}

// 5. Catch-up on open. 1,000,000 events (100,000 runs) appended in calls of
// 10,000 submissions with the manual flush policy, so none of their index
// entries reaches LMDB; the store and its environment are then closed, and
// a new environment and store open the folder, indexing every event from
// the log before the initialiser returns (`openCatchUp`). Last, those
// events' index entries are flushed to LMDB in one go, timed.
// `BENCH_REOPEN=1` reuses DIR/catchup as a previous run left it
// (`BENCH_NO_FLUSH=1` leaves it un-flushed): profiles of the open alone.
let catchUpPath = root + "/catchup"
var buildSeconds = 0.0
weak var closedEnvironment: Environment?
if environment["BENCH_REOPEN"] == nil {
    let log = try freshLog("catchup", indexPolicy: .manual, mapSize: 4 << 30)
    buildSeconds = try appendRuns(catchUpRuns, to: log, runsPerCall: 1_000)
    let statistics = log.indexStatistics
    require(statistics.flushes == 0 && statistics.unflushed == catchUpRuns * 10 + 2, "the build flushed: \(statistics)")
    closedEnvironment = log.environment
}
require(closedEnvironment == nil, "the first store's environment is still open")

var start4 = now()
let reopened = try EventStore(
    environment: try Environment(path: catchUpPath, options: .init(mapSize: 4 << 30)), indexPolicy: .manual)
let openSeconds = now() - start4
let catchUp = reopened.openCatchUp
var flushEvents = 0
var flushSeconds = 0.0
if environment["BENCH_NO_FLUSH"] == nil {
    start4 = now()
    flushEvents = try reopened.flushIndexes()
    flushSeconds = now() - start4
}
print("build_events=\(environment["BENCH_REOPEN"] == nil ? catchUpRuns * 10 : 0) build_seconds=\(buildSeconds) catchup_events=\(catchUp.events) catchup_seconds=\(catchUp.seconds) open_seconds=\(openSeconds) flush_events=\(flushEvents) flush_seconds=\(flushSeconds)")
