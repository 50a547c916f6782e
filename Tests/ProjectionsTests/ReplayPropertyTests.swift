import EventLog
import Foundation
import JSON
import LMDB
@testable import Projections
import TestSupport
import Testing

/// Replay equals incremental: random valid event streams (interleaved runs,
/// retries, duplicates, wipes) applied in random batches, with the
/// projections "crashing" (reopened from their checkpoints) between batches,
/// end byte-identical to one full replay.
@Suite struct ReplayPropertyTests {
    @Test(arguments: [UInt64(1), 7, 42])
    func incrementalEqualsRebuild(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let f = try LogFixture()
        try f.expectAppended(.publishWorkflow(f.publishRequest(
            triggers: [
                TriggerSummary(id: "t1", type: "cron", enabled: true, cronExpression: "*/5 * * * *", cronCursorJobId: "j1"),
                TriggerSummary(id: "t2", type: "cron", enabled: true, cronExpression: "0 * * * *"),
            ], content: "property")))
        var projections: Projections? = try Projections(log: f.log)

        // Each live run is a little state machine the generator advances.
        struct Live { var id: String; var stage: Int; var steps: Int; var lastOutput: String? = nil }
        var live: [Live] = []
        var outputs: [String] = []  // not wiped yet: what a wipe may pick
        var everOutput: [String] = []  // what a step or a final may reuse, wiped or not
        var pending: [Submission] = []
        var sent: [Submission] = []
        var nextRun = 0
        var clock: Int64 = 1_000_000
        var tally: [String: Int] = [:]
        func count(_ outcomes: [AppendOutcome]) {
            for outcome in outcomes {
                switch outcome {
                case .appended: tally["appended", default: 0] += 1
                case .duplicate: tally["duplicate", default: 0] += 1
                case .rejected: tally["rejected", default: 0] += 1
                case .unchanged: tally["unchanged", default: 0] += 1
                }
            }
        }

        func line(_ event: String, _ payload: String) throws -> Submission {
            try WorkerProtocol.submission(event: event, id: .random(), payload: try JSONParser.parse(payload))
        }

        let runCount = 1_500
        while nextRun < runCount || !live.isEmpty {
            clock += Int64(rng.next() % 5_000)
            let roll = rng.next() % 100
            if (live.isEmpty || roll < 15) && nextRun < runCount {
                let id = "r\(nextRun)"
                nextRun += 1
                let trigger = rng.next() % 2 == 0 ? "t1" : "t2"
                pending.append(try line("run:created", #"{"run_id":"\#(id)","workflow_id":"w1","starting_trigger_id":"\#(trigger)","input":{"type":"global","body":{"n":\#(nextRun)}},"timestamp":\#(clock)}"#))
                live.append(Live(id: id, stage: 0, steps: 0))
            } else if roll < 20, !outputs.isEmpty {
                let victim = outputs.remove(at: Int(rng.next() % UInt64(outputs.count)))
                pending.append(try line("dataclip:wiped", #"{"dataclip_id":"\#(victim)","timestamp":\#(clock)}"#))
            } else if roll < 25, !sent.isEmpty {
                pending.append(sent[Int(rng.next() % UInt64(sent.count))])  // a retry: must be a duplicate
            } else if !live.isEmpty {
                let index = Int(rng.next() % UInt64(live.count))
                var run = live[index]
                // Finish times jitter backwards sometimes: out-of-order arrival.
                let t = clock - Int64(rng.next() % 20_000)
                switch run.stage {
                case 0: pending.append(try line("run:claimed", #"{"run_id":"\#(run.id)","timestamp":\#(t)}"#))
                case 1: pending.append(try line("run:start", #"{"run_id":"\#(run.id)","timestamp":\#(t)}"#))
                default:
                    if run.steps < 2 && rng.next() % 3 != 0 {
                        let job = run.steps == 0 ? "j1" : "j2"
                        let step = "\(run.id)-s\(run.steps)"
                        // Now and then a step outputs another run's dataclip again.
                        let reuse = !everOutput.isEmpty && rng.next() % 8 == 0
                        let out = reuse ? everOutput[Int(rng.next() % UInt64(everOutput.count))] : "\(step)-out"
                        let reason = rng.next() % 4 == 0 ? "fail" : "success"
                        pending.append(try line("step:start", #"{"run_id":"\#(run.id)","step_id":"\#(step)","job_id":"\#(job)","timestamp":\#(t)}"#))
                        pending.append(try line("step:complete", #"{"run_id":"\#(run.id)","step_id":"\#(step)","job_id":"\#(job)","reason":"\#(reason)","output_dataclip_id":"\#(out)","output_dataclip":"{\"v\":\#(rng.next() % 1000)}","timestamp":\#(t + 1)}"#))
                        if !reuse {
                            outputs.append(out)
                            everOutput.append(out)
                        }
                        run.lastOutput = out
                        run.steps += 1
                        live[index] = run
                        continue
                    }
                    let state = rng.next() % 3 == 0 ? "fail" : "success"
                    // A final is the run's last output, another run's output, or a final_state.
                    let final: String
                    let pick = rng.next() % 6
                    if pick < 3, let last = run.lastOutput {
                        final = #","final_dataclip_id":"\#(last)""#
                    } else if pick == 3 && !everOutput.isEmpty {
                        final = #","final_dataclip_id":"\#(everOutput[Int(rng.next() % UInt64(everOutput.count))])""#
                    } else {
                        final = #","final_state":{"x":\#(rng.next() % 9)}"#
                    }
                    pending.append(try line("run:complete", #"{"run_id":"\#(run.id)","reason":"\#(state)"\#(final),"timestamp":\#(t + 2)}"#))
                    live.remove(at: index)
                    continue
                }
                run.stage += 1
                live[index] = run
            }
            // Flush a random-size batch now and then; sometimes "crash" the projections.
            if pending.count >= Int(rng.next() % 40) + 1 {
                count(try f.log.append(pending))
                sent += pending
                pending.removeAll()
                switch rng.next() % 5 {
                case 0: projections = nil  // crash before catching up
                case 1: projections = try Projections(log: f.log)  // reopen: resumes from checkpoints
                default: try projections?.catchUp()
                }
            }
        }
        count(try f.log.append(pending))
        // The generator makes valid streams: everything lands or is a duplicate of what did.
        #expect(tally["rejected", default: 0] == 0, "seed \(seed): \(tally)")
        #expect(tally["appended", default: 0] > 9_000 && tally["duplicate", default: 0] > 50, "seed \(seed): \(tally)")
        let final = try projections ?? Projections(log: f.log)
        try final.catchUp()
        let differences = try final.engine.verify()
        #expect(differences.isEmpty, "seed \(seed): \(differences.prefix(5))")
        // Every run ended, so the cursor projections remember no run in flight.
        let inFlight: [(any Projector, Int)] = [
            (JobOutputsProjector(), JobOutputsProjector.runWorkflow), (TriggerFinalsProjector(), TriggerFinalsProjector.runTrigger),
        ]
        for (projector, index) in inFlight {
            let table = try final.engine.table(projector, index)
            #expect(try f.environment.read { try $0.statistics(table).entries } == 0, "seed \(seed): \(projector.name)")
        }
        // The cursor tables hold exactly what a naive reading of the log says.
        let expected = try Self.naiveCursorEntries(f.log)
        #expect(try Self.entries(final, JobOutputsProjector(), JobOutputsProjector.outputs) == expected.outputs, "seed \(seed)")
        #expect(try Self.entries(final, TriggerFinalsProjector(), TriggerFinalsProjector.finals) == expected.finals, "seed \(seed)")
        #expect(expected.outputs.count > 500 && expected.finals.count > 200, "seed \(seed)")
        // The runs projection folds events read in place (`RunDraft`); the
        // log folds them into `RunAggregate` for its lifecycle checks. The
        // two agree on every run.
        for r in 0..<runCount {
            #expect(try final.run("r\(r)") == f.log.run("r\(r)"), "seed \(seed): run r\(r)")
        }
        // Replays cut into many transactions (by event count, then by the
        // memory budget) load later batches into tables that already hold
        // keys on both sides of theirs: the same state all the same.
        final.engine.replayBatchSize = 97
        #expect(try final.engine.verify().isEmpty, "seed \(seed), replay batches of 97 events")
        // Both ways a parallel batch can end: the second thread sorting the
        // writer's tables while the writer writes its own, or not.
        for handOff in [ProjectionEngine.SortHandOff.wait, .never] {
            final.engine.sortHandOff = handOff
            #expect(try final.engine.verify().isEmpty, "seed \(seed), batches of 97 events, sort hand-off \(handOff)")
        }
        final.engine.sortHandOff = .whenReady
        final.engine.replayBatchSize = 1 << 20
        final.engine.replayMemoryBudget = 1
        #expect(try final.engine.verify().isEmpty, "seed \(seed), replay batches cut by memory")
        final.engine.replayMemoryBudget = 256 << 20
        // The same on one thread (the runs projection is replayed on a
        // second one by default).
        final.engine.parallelReplay = false
        #expect(try final.engine.verify().isEmpty, "seed \(seed), replayed on one thread")
        // Every projector handed every event: no projector's `kinds` leaves
        // out an event its `apply` acts on.
        final.engine.honoursKinds = false
        try final.engine.rebuild()
        final.engine.honoursKinds = true
        final.engine.parallelReplay = true
        #expect(try final.engine.verify().isEmpty, "seed \(seed), kinds honoured against every event to every projector")
        // And the projections say something: runs exist and cursors resolved.
        #expect(try final.run("r0") != nil)
        #expect(try final.nextCronInput("t1") != nil)
    }

    /// One cursor entry: the key's leading parts (workflow and job, or
    /// workflow and trigger), the use's time and sequence, and the dataclip.
    struct CursorEntry: Hashable { var key: [UInt8]; var time: Timestamp; var sequence: UInt64; var dataclip: String }

    /// §4.4 from the whole log, with no projection code: a successful use of
    /// a dataclip is an entry unless the dataclip is wiped now (wiped before
    /// the use, it never counted; after, the wipe removed it).
    static func naiveCursorEntries(_ log: EventStore) throws -> (outputs: Set<CursorEntry>, finals: Set<CursorEntry>) {
        var workflowOf: [String: String] = [:]
        var triggerOf: [String: String] = [:]
        var wiped: Set<String> = []
        var outputs: [CursorEntry] = []
        var finals: [CursorEntry] = []
        try log.forEachEvent(from: 1) { recorded in
            switch recorded.event {
            case .runCreated(let e):
                workflowOf[e.runId] = e.workflowId
                triggerOf[e.runId] = e.startingTriggerId
            case .stepCompleted(let e):
                if e.reason == .success, let output = e.outputDataclipId, let workflow = workflowOf[e.runId] {
                    outputs.append(CursorEntry(
                        key: Key.part(workflow) + Key.part(e.jobId), time: e.timestamp, sequence: recorded.sequence,
                        dataclip: output))
                }
            case .runCompleted(let e):
                if e.state == .success, let final = e.finalDataclipId, let trigger = triggerOf[e.runId],
                    let workflow = workflowOf[e.runId]
                {
                    finals.append(CursorEntry(
                        key: Key.part(workflow) + Key.part(trigger), time: e.timestamp, sequence: recorded.sequence,
                        dataclip: final))
                }
            case .dataclipWiped(let e):
                wiped.insert(e.dataclipId)
            default:
                break
            }
            return true
        }
        return (Set(outputs.filter { !wiped.contains($0.dataclip) }), Set(finals.filter { !wiped.contains($0.dataclip) }))
    }

    /// The entries of a cursor projection's table (`LatestByTime`'s layout).
    static func entries(_ projections: Projections, _ projector: any Projector, _ table: Int) throws -> Set<CursorEntry> {
        let database = try projections.engine.table(projector, table)
        return try projections.engine.log.environment.read { txn in
            var found: Set<CursorEntry> = []
            try txn.scan(database) { key, value in
                let bytes = Array(key)
                found.insert(CursorEntry(
                    key: Array(bytes.dropLast(16)), time: Key.time(from: bytes.dropLast(8).suffix(8))!,
                    sequence: UInt64(bigEndianBytes: bytes.suffix(8))!, dataclip: String(decoding: value, as: UTF8.self)))
                return true
            }
            return found
        }
    }

    @Test func aProjectorWhoseVersionChangedIsRebuiltOnOpen() throws {
        let f = try LogFixture()
        try f.run("r1")
        let projections = try Projections(log: f.log)
        #expect(try projections.run("r1")?.state == .started)
        // Corrupt the live runs table, then pretend the projector's version changed.
        let engine = projections.engine
        let table = try engine.table(projections.runs, 0)
        try f.environment.write { txn in try txn.clear(table) }
        #expect(try projections.run("r1") == nil)
        let checkpoints = try f.environment.database("checkpoints")
        try f.environment.write { txn in
            var bytes = try #require(try txn.get(checkpoints, key: Array("runs".utf8)))
            bytes[4] ^= 0xFF  // version field
            try txn.put(checkpoints, key: Array("runs".utf8), value: bytes)
        }
        let reopened = try Projections(log: f.log)
        #expect(try reopened.run("r1")?.state == .started)
        #expect(try reopened.engine.verify().isEmpty)
    }

    /// Session 21's review: a process kept catching up into a projection
    /// that another cairn, with another projector version, had rebuilt in
    /// its own layout, mixing the two. Its catch-up now refuses, naming
    /// both versions; the projection is left as the other wrote it.
    @Test func aCatchUpRefusesAProjectionAnotherVersionRebuilt() throws {
        let f = try LogFixture()
        try f.run("r1")
        let projections = try Projections(log: f.log)
        let checkpoints = try f.environment.database("checkpoints")
        // Another cairn's rebuild: its checkpoint, with its version.
        var other: [UInt8] = []
        try f.environment.write { txn in
            other = try #require(try txn.get(checkpoints, key: Array("runs".utf8)))
            other[4] ^= 0xFF
            try txn.put(checkpoints, key: Array("runs".utf8), value: other)
        }
        try f.run("r2")
        #expect {
            try projections.catchUp()
        } throws: { error in
            guard case ProjectionError.otherVersion(projection: "runs", _, _)? = error as? ProjectionError else { return false }
            return true
        }
        #expect(try f.environment.read { txn in try txn.get(checkpoints, key: Array("runs".utf8)) } == other)
    }

    @Test func rebuildSwapsInAReplayAndVerifyCatchesDamage() throws {
        let f = try LogFixture()
        for i in 0..<20 { try f.run("r\(i)") }
        let projections = try Projections(log: f.log)
        #expect(try projections.engine.verify().isEmpty)
        // Damage one value of the live state: verify must see it, rebuild must repair it.
        let table = try projections.engine.table(projections.runs, 0)
        try f.environment.write { txn in try txn.put(table, key: Array("r3".utf8), value: [1, 2, 3]) }
        let differences = try projections.engine.verify()
        #expect(differences.count == 1)
        #expect(differences.first?.description.contains("r3") == true)
        try projections.engine.rebuild()
        #expect(try projections.engine.verify().isEmpty)
        #expect(try projections.run("r3")?.state == .started)
    }
}
