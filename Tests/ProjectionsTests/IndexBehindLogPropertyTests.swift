import EventLog
import Foundation
import JSON
import LMDB
import Projections
import TestSupport
import Testing

/// The indexes behind the log against a plain model: random interleavings
/// of appends (valid, invalid and re-sent), index flushes, crashes (the
/// in-memory entries dropped), reopenings and a second writer on the same
/// folder. After every step the log, every index lookup (event ids through
/// re-sends, streams, steps, dataclips, projects) agrees with the model;
/// after every reopening the projections rebuild to what they hold.
@Suite struct IndexBehindLogPropertyTests {
    /// What the log must hold, built from what the test sent, not from the store.
    struct Model {
        var head: UInt64 = 0
        var streams: [String: [UInt64]] = [:]
        var steps: [String: String] = [:]
        /// Dataclip id → its body, `nil` once wiped.
        var dataclips: [String: [UInt8]?] = [:]
        var projects: Set<String> = []
        var accepted: [(submission: Submission, sequence: UInt64)] = []

        mutating func record(_ submission: Submission, stream: String) -> AppendOutcome {
            head += 1
            streams[stream, default: []].append(head)
            accepted.append((submission, head))
            return .appended(sequence: head)
        }
    }

    struct Run {
        var id: String
        var stage: Int  // 0 available, 1 claimed, 2 started
        var steps = 0
        var lastOutput: String?
    }

    /// The store under test; replaced when the test "reopens" the folder.
    final class Subject {
        let folder = TemporaryFolder()
        var environment: Environment!
        var log: EventStore!

        init() throws { try open() }

        func open() throws {
            log = nil
            environment = nil  // the old environment closes before the folder opens again
            environment = try Environment(path: folder.path)
            log = try EventStore(environment: environment, indexPolicy: .manual)
        }
    }

    @Test(arguments: [UInt64(3), 17, 2026])
    func indexesAgreeWithTheModel(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let s = try Subject()
        var model = Model()
        var runs: [Run] = []
        var nextRun = 0
        var nextDataclip = 0
        var tally: [String: Int] = [:]

        func send(_ batch: [(Submission, AppendOutcome)], through log: EventStore) throws {
            let outcomes = try log.append(batch.map(\.0))
            #expect(outcomes == batch.map(\.1), "seed \(seed): outcomes")
        }

        // A project and a workflow first.
        let setup = Submission(id: .random(), command: .configureProject(projectId: "p0", name: nil, retention: nil))
        let publish = Submission(id: .random(), command: .publishWorkflow(PublishRequest(
            workflowId: "w", projectId: "p0", deleted: false, jobIds: ["j1", "j2"], triggers: [],
            content: Array("v1".utf8), document: { _ in Array("{}".utf8) })))
        model.projects.insert("p0")
        let first = [(setup, model.record(setup, stream: "project:p0")), (publish, model.record(publish, stream: "workflow:w"))]
        try send(first, through: s.log)

        /// One random submission and the outcome the model predicts for it.
        func next() -> (Submission, AppendOutcome)? {
            let roll = rng.next() % 100
            if roll < 25 || runs.isEmpty {
                let id = "r\(nextRun)"
                nextRun += 1
                let input = "in-\(nextDataclip)"
                nextDataclip += 1
                let body = Array("{\"run\":\(nextRun)}".utf8)
                let submission = Submission(id: .random(), command: .createRun(CreateRun(
                    runId: id, workflowId: "w", inputDataclipId: input, input: NewDataclip(type: .global, body: body))))
                runs.append(Run(id: id, stage: 0))
                model.dataclips[input] = .some(body)
                return (submission, model.record(submission, stream: "run:" + id))
            }
            if roll < 33, !model.accepted.isEmpty {
                let (submission, sequence) = model.accepted[Int(rng.next() % UInt64(model.accepted.count))]
                return (submission, .duplicate(sequence: sequence))
            }
            if roll < 40 {
                let live = model.dataclips.filter { $0.value != nil }.keys.sorted()
                guard !live.isEmpty else { return nil }
                let victim = live[Int(rng.next() % UInt64(live.count))]
                let submission = Submission(id: .random(), command: .wipeDataclip(dataclipId: victim, timestamp: nil))
                model.dataclips[victim] = .some(nil)
                return (submission, model.record(submission, stream: "dataclip:" + victim))
            }
            if roll < 45 {
                // A step id another run started: refused by the step index.
                let started = model.steps.sorted { $0.key < $1.key }
                guard !started.isEmpty else { return nil }
                let (step, owner) = started[Int(rng.next() % UInt64(started.count))]
                guard let thief = runs.first(where: { $0.stage == 2 && $0.id != owner })
                else { return nil }
                let submission = Submission(id: .random(), command: .startStep(StartStep(runId: thief.id, stepId: step, jobId: "j1")))
                return (submission, .rejected(.stepOfAnotherRun(stepId: step, runId: owner)))
            }
            if roll < 48 {
                let project = "p\(model.projects.count)"
                model.projects.insert(project)
                let submission = Submission(id: .random(), command: .configureProject(projectId: project, name: nil, retention: nil))
                return (submission, model.record(submission, stream: "project:" + project))
            }
            let index = Int(rng.next() % UInt64(runs.count))
            var run = runs[index]
            let stream = "run:" + run.id
            let submission: Submission
            switch run.stage {
            case 0:
                submission = Submission(id: .random(), command: .claimRun(runId: run.id, workerName: "w", timestamp: nil))
                run.stage = 1
            case 1:
                submission = Submission(id: .random(), command: .startRun(runId: run.id, timestamp: nil))
                run.stage = 2
            default:
                let step = "\(run.id)-s\(run.steps / 2)"
                if run.steps < 4 && run.steps % 2 == 0 {
                    submission = Submission(id: .random(), command: .startStep(StartStep(runId: run.id, stepId: step, jobId: "j1")))
                    model.steps[step] = run.id
                } else if run.steps < 4 {
                    let output = "out-\(nextDataclip)"
                    nextDataclip += 1
                    let body = Array("{\"step\":\"\(step)\"}".utf8)
                    submission = Submission(id: .random(), command: .completeStep(CompleteStep(
                        runId: run.id, stepId: step, jobId: "j1", reason: .success, outputDataclipId: output,
                        outputDataclip: body)))
                    model.dataclips[output] = .some(body)
                    run.lastOutput = output
                } else {
                    // Half the runs leave a final state of their own, a dataclip it creates.
                    let id = EventID.random()
                    if rng.next() % 2 == 0 {
                        submission = Submission(id: id, command: .completeRun(CompleteRun(
                            runId: run.id, state: .success, finalState: .object([("done", .bool(true))]))))
                        model.dataclips[EventID.derived(id.description, "final_state").description] =
                            .some(Array(#"{"done":true}"#.utf8))
                    } else {
                        submission = Submission(id: id, command: .completeRun(CompleteRun(
                            runId: run.id, state: .success, finalDataclipId: run.lastOutput)))
                    }
                    runs.remove(at: index)
                    return (submission, model.record(submission, stream: stream))
                }
                run.steps += 1
            }
            runs[index] = run
            return (submission, model.record(submission, stream: stream))
        }

        func check(everything: Bool) throws {
            let log = s.log!
            #expect(try log.lastSequence() == model.head, "seed \(seed): head")
            func sample<T>(_ items: [T]) -> [T] {
                everything || items.count <= 12 ? items : (0..<12).map { _ in items[Int(rng.next() % UInt64(items.count))] }
            }
            for (name, sequences) in sample(model.streams.sorted { $0.key < $1.key }) {
                let stream = try log.stream(name)
                #expect(stream.map(\.sequence) == sequences, "seed \(seed): stream \(name)")
                #expect(stream.map(\.streamVersion) == Array(1...UInt32(sequences.count)), "seed \(seed): versions of \(name)")
            }
            #expect(try log.stream("run:never").isEmpty)
            for (step, run) in sample(model.steps.sorted { $0.key < $1.key }) {
                #expect(try log.runId(ofStep: step) == run, "seed \(seed): step \(step)")
            }
            #expect(try log.runId(ofStep: "no-such-step") == nil)
            for (id, body) in sample(model.dataclips.sorted { $0.key < $1.key }) {
                let stored = try log.dataclip(id)
                #expect(stored?.id == id && stored?.body == body, "seed \(seed): dataclip \(id)")
                #expect((stored?.wipedAt != nil) == (body == nil), "seed \(seed): dataclip \(id) wiped")
            }
            #expect(try log.dataclip("no-such-dataclip") == nil)
            #expect(try log.projectIds() == model.projects.sorted(), "seed \(seed): projects")
            if everything {
                #expect(try log.events(from: 1).map(\.id) == model.accepted.map(\.submission.id), "seed \(seed): the log")
            }
        }

        for _ in 0..<260 {
            let roll = rng.next() % 100
            switch roll {
            case 0..<8:
                try s.log.flushIndexes()
                tally["flush", default: 0] += 1
            case 8..<13:
                s.log.dropIndexOverlay()
                tally["crash", default: 0] += 1
            case 13..<16:
                try s.open()
                tally["reopen", default: 0] += 1
                try check(everything: true)
                let projections = try Projections(log: s.log)
                #expect(try projections.engine.verify().isEmpty, "seed \(seed): projections after reopening")
            case 16..<21:
                // Another writer on the same folder: the store under test learns of its events from the log.
                let other = try EventStore(environment: s.environment, indexPolicy: .manual)
                var batch: [(Submission, AppendOutcome)] = []
                for _ in 0..<(1 + rng.next() % 4) { if let item = next() { batch.append(item) } }
                try send(batch, through: other)
                if rng.next() % 2 == 0 { try other.flushIndexes() }
                tally["other writer", default: 0] += 1
            default:
                var batch: [(Submission, AppendOutcome)] = []
                for _ in 0..<(1 + rng.next() % 6) { if let item = next() { batch.append(item) } }
                try send(batch, through: s.log)
                tally["batch", default: 0] += 1
            }
            try check(everything: false)
        }
        try s.log.flushIndexes()
        try s.open()
        try check(everything: true)
        #expect(try Projections(log: s.log).engine.verify().isEmpty)
        #expect(tally["flush", default: 0] > 5 && tally["crash", default: 0] > 5 && tally["reopen", default: 0] > 2)
    }
}
