import EventLog
import Foundation
import LMDB
import Projections
import TestSupport
import Testing

/// docs/semantics.md, rule by rule.
@Suite struct CronInputTests {
    final class World {
        let f: LogFixture
        let projections: Projections

        init(cursorJob: String? = nil) throws {
            f = try LogFixture()
            if let cursorJob {
                try f.expectAppended(.publishWorkflow(f.publishRequest(
                    triggers: [
                        TriggerSummary(id: "t1", type: "cron", enabled: true, cronExpression: "0 * * * *", cronCursorJobId: cursorJob),
                        TriggerSummary(id: "t2", type: "cron", enabled: true, cronExpression: "0 * * * *"),
                    ],
                    content: "with cursor")))
            } else {
                try f.expectAppended(.publishWorkflow(f.publishRequest(
                    triggers: [
                        TriggerSummary(id: "t1", type: "cron", enabled: true, cronExpression: "0 * * * *"),
                        TriggerSummary(id: "t2", type: "cron", enabled: true, cronExpression: "0 * * * *"),
                    ],
                    content: "no cursor")))
            }
            projections = try Projections(log: f.log)
        }

        /// A run of `trigger` whose steps run `jobs` in order with `reasons`, finishing at `finished` (µs).
        /// Step `i` outputs a new dataclip `<id>-out-<i>`, or `outputs[i]` (which may be another run's);
        /// the run ends on its last output, or on `final`.
        @discardableResult
        func run(
            _ id: String, trigger: String = "t1", jobs: [String] = ["j1"], reasons: [String]? = nil,
            state: String = "success", finished: Int64, finalState: Bool = true, outputs given: [String]? = nil,
            final givenFinal: String? = nil
        ) throws -> [String] {
            try f.accept("run:created", #"{"run_id":"\#(id)","workflow_id":"w1","starting_trigger_id":"\#(trigger)","input":{"type":"global","body":{}},"timestamp":\#(finished - 100)}"#)
            try f.accept("run:claimed", #"{"run_id":"\#(id)","timestamp":\#(finished - 90)}"#)
            try f.accept("run:start", #"{"run_id":"\#(id)","timestamp":\#(finished - 80)}"#)
            var outputs: [String] = []
            for (i, job) in jobs.enumerated() {
                let reason = reasons?[i] ?? "success"
                let output = given?[i] ?? "\(id)-out-\(i)"
                try f.accept("step:start", #"{"run_id":"\#(id)","step_id":"\#(id)-s\#(i)","job_id":"\#(job)","timestamp":\#(finished - 50 + Int64(i))}"#)
                try f.accept("step:complete", #"{"run_id":"\#(id)","step_id":"\#(id)-s\#(i)","job_id":"\#(job)","reason":"\#(reason)","output_dataclip_id":"\#(output)","output_dataclip":"{\"from\":\"\#(output)\"}","timestamp":\#(finished - 10 + Int64(i))}"#)
                outputs.append(output)
            }
            let final = finalState ? #","final_dataclip_id":"\#(givenFinal ?? outputs.last!)""# : ""
            try f.accept("run:complete", #"{"run_id":"\#(id)","reason":"\#(state)"\#(final),"timestamp":\#(finished)}"#)
            try projections.catchUp()
            return outputs
        }

        func input(_ trigger: String = "t1") throws -> CronInput? {
            try projections.catchUp()
            return try projections.nextCronInput(trigger)
        }

        /// Entries in `projector`'s index by dataclip.
        func indexed(_ projector: some Projector) throws -> Int {
            try projections.catchUp()
            let table = try projections.engine.table(projector, projector.tables.firstIndex(of: "by_dataclip")!)
            return try f.environment.read { try $0.statistics(table).entries }
        }

        func wipe(_ dataclip: String) throws {
            try f.accept("dataclip:wiped", #"{"dataclip_id":"\#(dataclip)"}"#)
        }
    }

    @Test func neverRanIsEmpty() throws {
        for cursor in [nil, "j1"] {
            let w = try World(cursorJob: cursor)
            #expect(try w.input() == CronInput(triggerId: "t1", source: .empty, dataclipId: nil))
        }
        #expect(try World().input("no-such-trigger") == nil)
    }

    @Test func withoutCursorTheLatestSuccessfulFinalStateFeedsTheNextRun() throws {
        let w = try World()
        try w.run("r1", finished: 1_000)
        try w.run("r2", finished: 2_000)
        #expect(try w.input() == CronInput(triggerId: "t1", source: .finalState, dataclipId: "r2-out-0"))
        // A failed run does not move it.
        try w.run("r3", reasons: ["fail"], state: "fail", finished: 3_000)
        #expect(try w.input()?.dataclipId == "r2-out-0")
        // Runs of another trigger of the same workflow do not move it.
        try w.run("r4", trigger: "t2", finished: 4_000)
        #expect(try w.input()?.dataclipId == "r2-out-0")
        #expect(try w.input("t2")?.dataclipId == "r4-out-0")
        // A successful run with no final dataclip (an older worker) does not either.
        try w.run("r5", finished: 5_000, finalState: false)
        #expect(try w.input()?.dataclipId == "r2-out-0")
    }

    @Test func withCursorTheJobsLatestSuccessfulOutputFeedsIt() throws {
        let w = try World(cursorJob: "j1")
        try w.run("r1", jobs: ["j1", "j2"], finished: 1_000)
        #expect(try w.input() == CronInput(triggerId: "t1", source: .jobOutput, dataclipId: "r1-out-0"))
        // A failed step of the cursor job is ignored.
        try w.run("r2", jobs: ["j1"], reasons: ["fail"], state: "fail", finished: 2_000)
        #expect(try w.input()?.dataclipId == "r1-out-0")
        // Runs of the workflow started by another trigger count: the cursor is the job's, not the trigger's.
        try w.run("r3", trigger: "t2", jobs: ["j1"], finished: 3_000)
        #expect(try w.input()?.dataclipId == "r3-out-0")
        // A later run that failed overall but whose cursor step succeeded still counts.
        try w.run("r4", jobs: ["j1", "j2"], reasons: ["success", "fail"], state: "fail", finished: 4_000)
        #expect(try w.input()?.dataclipId == "r4-out-0")
    }

    @Test func wipedValuesFallBackToThePreviousOne() throws {
        let w = try World(cursorJob: "j1")
        try w.run("r1", finished: 1_000)
        try w.run("r2", finished: 2_000)
        try w.run("r3", finished: 3_000)
        try w.wipe("r3-out-0")
        #expect(try w.input()?.dataclipId == "r2-out-0")
        try w.wipe("r1-out-0")
        #expect(try w.input()?.dataclipId == "r2-out-0")
        try w.wipe("r2-out-0")
        #expect(try w.input()?.source == .empty)

        let v = try World()
        try v.run("a", finished: 1_000)
        try v.run("b", finished: 2_000)
        try v.wipe("b-out-0")
        #expect(try v.input() == CronInput(triggerId: "t1", source: .finalState, dataclipId: "a-out-0"))
    }

    /// A run's own dataclips are found from the dataclip when it is wiped; a
    /// dataclip another run reused is found through the index by dataclip,
    /// which holds those uses only.
    @Test func wipesReachEveryRunThatUsedTheDataclip() throws {
        // Finals: r2 ends on r1's output, so r1-out-0 is the final of both.
        let w = try World()
        try w.run("r0", finished: 500)
        try w.run("r1", finished: 1_000)
        try w.run("r2", finished: 2_000, final: "r1-out-0")
        #expect(try w.input() == CronInput(triggerId: "t1", source: .finalState, dataclipId: "r1-out-0"))
        #expect(try w.indexed(TriggerFinalsProjector()) == 1, "only r2's final is another run's dataclip")
        try w.wipe("r1-out-0")
        #expect(try w.input() == CronInput(triggerId: "t1", source: .finalState, dataclipId: "r0-out-0"))
        #expect(try w.indexed(TriggerFinalsProjector()) == 0)

        // Job outputs: r2's step reuses r1's output as its own.
        let v = try World(cursorJob: "j1")
        try v.run("r0", finished: 500)
        try v.run("r1", finished: 1_000)
        try v.run("r2", finished: 2_000, outputs: ["r1-out-0"])
        #expect(try v.input()?.dataclipId == "r1-out-0")
        #expect(try v.indexed(JobOutputsProjector()) == 1, "only r2's step reused another run's dataclip")
        try v.wipe("r1-out-0")
        #expect(try v.input() == CronInput(triggerId: "t1", source: .jobOutput, dataclipId: "r0-out-0"))
        // A wipe after a rebuild finds the same entries.
        try v.projections.engine.rebuild()
        #expect(try v.input()?.dataclipId == "r0-out-0")
        try v.wipe("r0-out-0")
        #expect(try v.input()?.source == .empty)
    }

    @Test func latestFinishedWinsNotLatestIngested() throws {
        let w = try World(cursorJob: "j1")
        try w.run("late", finished: 5_000)
        try w.run("early", finished: 1_000)  // arrives after, finished before
        #expect(try w.input()?.dataclipId == "late-out-0")
        let v = try World()
        try v.run("late", finished: 5_000)
        try v.run("early", finished: 1_000)
        #expect(try v.input()?.dataclipId == "late-out-0")
    }

    @Test func renamedCursorJobKeepsItsHistory() throws {
        let w = try World(cursorJob: "j1")
        try w.run("r1", finished: 1_000)
        // A new snapshot: same job id (its name lives in the document), new content.
        try w.f.expectAppended(.publishWorkflow(w.f.publishRequest(
            triggers: [TriggerSummary(id: "t1", type: "cron", enabled: true, cronExpression: "*/5 * * * *", cronCursorJobId: "j1")],
            content: "renamed j1")))
        #expect(try w.input() == CronInput(triggerId: "t1", source: .jobOutput, dataclipId: "r1-out-0"))
    }

    @Test func movingTheCursorSwitchesSource() throws {
        let w = try World(cursorJob: "j2")
        try w.run("r1", jobs: ["j1", "j2"], finished: 1_000)
        #expect(try w.input()?.dataclipId == "r1-out-1")
        try w.f.expectAppended(.publishWorkflow(w.f.publishRequest(
            triggers: [TriggerSummary(id: "t1", type: "cron", enabled: true, cronExpression: "0 * * * *")],
            content: "cursor cleared")))
        #expect(try w.input() == CronInput(triggerId: "t1", source: .finalState, dataclipId: "r1-out-1"))
    }
}
