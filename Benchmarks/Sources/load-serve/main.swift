// The service under load: simulated workers and editors against a running
// `cairn serve`, then a check of what it wrote. Driven by tools/load-serve,
// which builds, starts and stops the server around these steps:
//
//   load-serve setup DIR            write DIR/workflow.json and DIR/workflow.update
//                                   (its Yjs document); print "PROJECT WORKFLOW"
//   load-serve run                  the load; configuration from the environment:
//     LOAD_URL (http://127.0.0.1:PORT), LOAD_OUT (a folder for what the checks
//     read), LOAD_SECONDS (60), LOAD_WORKERS (64), LOAD_EDITORS (4),
//     LOAD_SERVER_PID (for its memory), LOAD_IO_THREADS (1), LOAD_CLAIM (`own`:
//     each worker claims its own run through the events route), and the bearer
//     secrets LOAD_WORKER_TOKEN, LOAD_EDITOR_TOKEN (in the environment, never
//     on a command line, where `ps` shows them)
//   load-serve verify DATA ACKS SETUP   every acknowledged event in the stopped
//                                   server's log exactly once; SETUP = events before the load
//   load-serve compare-docs STORED EDITOR...   the editors' final documents equal the stored one
//
// Each prints Markdown table rows and exits 1 on a violation.
import Encoding
import Foundation
import NIOPosix
import YDoc

let arguments = CommandLine.arguments
let environment = ProcessInfo.processInfo.environment

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("load-serve: \(message)\n".utf8))
    exit(2)
}

switch arguments.dropFirst().first {
case "setup":
    guard arguments.count == 3 else { fail("usage: load-serve setup DIR") }
    let folder = URL(fileURLWithPath: arguments[2])
    try Data(Plan.workflowJSON().utf8).write(to: folder.appendingPathComponent("workflow.json"))
    try Data(Plan.seedDocument()).write(to: folder.appendingPathComponent("workflow.update"))
    print(Plan.projectId, Plan.workflowId)

case "run":
    exit(await runLoad())

case "verify":
    guard arguments.count == 5, let setup = UInt64(arguments[4]) else { fail("usage: load-serve verify DATA ACKS SETUP_EVENTS") }
    let result = try Verify.check(data: arguments[2], acks: arguments[3])
    let expected = setup + UInt64(result.appended) + UInt64(result.unacknowledged)
    let dense = result.scanned == result.lastSequence
    print(Report.row("acknowledged events missing from the log", Report.count(result.lost), "0", result.lost == 0))
    print(Report.row(
        "acknowledged events in the log more than once (or about another run)", "\(result.duplicated) (\(result.mismatched))", "0",
        result.duplicated + result.mismatched == 0))
    print(Report.row(
        "log events no acknowledgement names (an answer lost in transit)", Report.count(result.unacknowledged), "0",
        result.unacknowledged == 0))
    print(Report.row(
        "log's last sequence = setup events + acknowledged appends",
        "\(Report.count(Int(result.lastSequence))) = \(setup) + \(Report.count(result.appended))\(result.unacknowledged > 0 ? " + \(result.unacknowledged) unacknowledged" : "") (sequences dense: \(dense ? "yes" : "no"); other events: \(result.otherEvents))",
        "equal", result.lastSequence == expected && dense && result.otherEvents == Int(setup)))
    for sample in result.samples { FileHandle.standardError.write(Data("load-serve: verify: \(sample)\n".utf8)) }
    let ok = result.lost + result.duplicated + result.mismatched + result.unacknowledged == 0
        && result.lastSequence == expected && dense && result.otherEvents == Int(setup)
    exit(ok ? 0 : 1)

case "compare-docs":
    guard arguments.count >= 4 else { fail("usage: load-serve compare-docs STORED EDITOR...") }
    var states: [(name: String, stateVector: [UInt64: UInt64], content: [Lib0Any])] = []
    for path in arguments[2...] {
        let doc = Doc()
        try doc.applyUpdate(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        states.append((URL(fileURLWithPath: path).lastPathComponent, doc.stateVector, DocumentContent.of(doc)))
    }
    let stored = states[0]
    let differing = states.dropFirst().filter { $0.stateVector != stored.stateVector || $0.content != stored.content }.map(\.name)
    print(Report.row(
        "editors converged: each final document equals the stored one (`cairn doc export`)",
        differing.isEmpty ? "\(states.count - 1) editors, state vectors and content equal" : "differ: \(differing.joined(separator: ", "))",
        "equal", differing.isEmpty))
    exit(differing.isEmpty ? 0 : 1)

default:
    fail("usage: load-serve setup DIR | run | verify DATA ACKS SETUP_EVENTS | compare-docs STORED EDITOR...")
}

/// The load: workers and editors until the deadline, then the report and
/// the files the checks read (`acks.bin`, `editor-N.update`, `memory.md`).
func runLoad() async -> Int32 {
    guard let url = environment["LOAD_URL"].flatMap(URL.init(string:)), let host = url.host, let port = url.port else {
        fail("LOAD_URL must be http://HOST:PORT")
    }
    guard let out = environment["LOAD_OUT"] else { fail("LOAD_OUT must name a folder") }
    let length = Double(environment["LOAD_SECONDS"] ?? "60") ?? 60
    let workers = Int(environment["LOAD_WORKERS"] ?? "64") ?? 64
    let editors = Int(environment["LOAD_EDITORS"] ?? "4") ?? 4
    let secret = { (name: String) in environment[name].flatMap { $0.isEmpty ? nil : $0 } }
    // One event loop by default, and the workers run on it (see `Worker`):
    // no request hops between threads, and the generator takes at most one
    // of the two cores the server needs.
    let group = MultiThreadedEventLoopGroup(numberOfThreads: Int(environment["LOAD_IO_THREADS"] ?? "1") ?? 1)
    let progress = Progress()
    let ledger = EditLedger(editors: editors)
    // Two seconds for the editors to connect and receive the document before the clock starts.
    let start = ContinuousClock.now + .seconds(2)
    let deadline = start + .milliseconds(Int(length * 1000))

    let workerSetup = WorkerSetup(
        host: host, port: port, bearer: secret("LOAD_WORKER_TOKEN"), group: group, start: start, deadline: deadline, progress: progress,
        claimOwn: environment["LOAD_CLAIM"] == "own")
    let editorSetup = EditorSetup(
        url: "ws://\(host):\(port)/api/v1/workflows/\(Plan.workflowId)/sync", bearer: secret("LOAD_EDITOR_TOKEN"), editors: editors,
        group: group, start: start, deadline: deadline, ledger: ledger, progress: progress)
    let pid = environment["LOAD_SERVER_PID"].flatMap { Int32($0) }

    async let editorRecords = withTaskGroup(of: EditorRecord.self) { tasks in
        for index in 0..<editors { tasks.addTask { await Editor.run(index: index, setup: editorSetup) } }
        return await tasks.reduce(into: []) { $0.append($1) }.sorted { $0.index < $1.index }
    }
    // Where the machine's CPU went over the run: the server, the generator, everything else.
    async let baseline: (machine: MachineCPU?, own: Double) = {
        try? await Task.sleep(until: start, clock: .continuous)
        return (MachineCPU.read(), ownCPUSeconds())
    }()
    async let samples: [MemorySample] = {
        guard let pid else { return [] }
        return await MemorySampler(pid: pid, interval: .seconds(5), progress: progress).run(from: start, until: deadline)
    }()
    let record = await withTaskGroup(of: WorkerRecord.self) { tasks in
        for index in 0..<workers {
            tasks.addTask {
                await Worker(index: index, setup: workerSetup).run()
            }
        }
        return await tasks.reduce(into: WorkerRecord()) { $0.merge($1) }
    }
    let finished = ContinuousClock.now
    let final = pid.flatMap { MemorySample.read(pid: $0, at: seconds(finished - start)) }
    let cpuAtEnd = (machine: MachineCPU.read(), own: ownCPUSeconds())
    let editorsDone = await editorRecords
    let memory = await samples
    let cpuAtStart = await baseline
    var cpu: Report.CPU?
    if let before = cpuAtStart.machine, let after = cpuAtEnd.machine, let first = memory.first, let final {
        cpu = Report.CPU(
            server: final.cpuSeconds - first.cpuSeconds, generator: cpuAtEnd.own - cpuAtStart.own,
            machineBusy: after.busy - before.busy, machineTotal: after.total - before.total)
    }
    try? await group.shutdownGracefully()

    let first = editorsDone.first
    let converged = editorsDone.allSatisfy {
        $0.failure == nil && $0.stateVector == first?.stateVector && $0.content == first?.content
    }
    let run = Report.Run(
        workers: workers, editors: editors, seconds: length, elapsed: seconds(finished - start), record: record,
        editorRecords: editorsDone, converged: converged, samples: memory, final: final, cpu: cpu)
    print(Report.header)
    for row in Report.rows(run) { print(row) }

    // What the checks after the server stops read.
    var acks = Data()
    acks.reserveCapacity(record.acks.count * Ack.size)
    for ack in record.acks { ack.write(into: &acks) }
    do {
        let folder = URL(fileURLWithPath: out)
        try acks.write(to: folder.appendingPathComponent("acks.bin"))
        for editor in editorsDone {
            try Data(editor.finalUpdate).write(to: folder.appendingPathComponent("editor-\(editor.index).update"))
        }
        try Data((Report.memoryTable(memory) + "\n").utf8).write(to: folder.appendingPathComponent("memory.md"))
    } catch {
        fail("cannot write to \(out): \(error)")
    }
    for sample in record.errors.samples { FileHandle.standardError.write(Data("load-serve: \(sample)\n".utf8)) }
    let violations = record.errors.total + record.runsAbandoned + (converged ? 0 : 1)
    return violations == 0 ? 0 : 1
}
