// Durable appends of realistic run events through the event log, three ways:
// batches of 1,000 (one transaction each), one event per transaction from a
// single task, and one event per call from 64 concurrent tasks (group commit).
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

func freshLog(_ name: String) throws -> EventStore {
    let path = root + "/" + name
    try? FileManager.default.removeItem(atPath: path)
    let env = try Environment(path: path, options: .init(mapSize: 1 << 30))
    let log = try EventStore(environment: env)
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
for batch in batches {
    let start = now()
    let outcomes = try batchLog.append(batch)
    batchSeconds += now() - start
    appended += outcomes.filter { if case .appended = $0 { return true } else { return false } }.count
}
precondition(appended == runs * 10, "only \(appended) of \(runs * 10) appended")
var eventBytes = 0
var eventCount = 0
try batchLog.forEachEncodedEvent(from: 1) { _, bytes in
    eventBytes += bytes.count
    eventCount += 1
    return true
}

if ProcessInfo.processInfo.environment["BENCH_BATCH_ONLY"] != nil {
    print("batch_events=\(runs * 10) batch_seconds=\(batchSeconds)")
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

print("batch_events=\(runs * 10) batch_seconds=\(batchSeconds) mean_event_bytes=\(eventBytes / max(eventCount, 1)) single_events=\(singleRuns * 10) single_seconds=\(singleSeconds) group_events=\(groupRuns * 10) group_seconds=\(groupSeconds)")
