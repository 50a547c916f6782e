import EventLog
import Foundation
import LMDB
import Projections
import TestSupport
import Testing

/// A data folder written before ids were owned (issue #17, item 6) may hold
/// two workflows with the same trigger id. The trigger is the first
/// publisher's: the copy neither reads nor moves its cursor, and neither
/// takes nor stops its schedule.
@Suite struct TriggerOwnershipTests {
    /// `LogFixture`'s w1 (project p1, cron trigger t1, jobs j1, j2), then,
    /// written as an older cairn did, w2 of project p2 with the same trigger id.
    final class World {
        let f: LogFixture
        let projections: Projections

        init() throws {
            f = try LogFixture()
            try f.expectAppended(.configureProject(projectId: "p2", name: "P2", retention: nil))
            try LegacyPublish.write(
                f.log, workflowId: "w2", projectId: "p2", jobIds: ["k1"],
                triggers: [TriggerSummary(id: "t1", type: "cron", enabled: true, cronExpression: "*/5 * * * *")],
                document: Array("w2 v1".utf8))
            projections = try Projections(log: f.log)
        }

        /// A successful run of `workflow` started by t1, whose final is `<id>-final`.
        func succeed(_ id: String, workflow: String, job: String, finished: Int64) throws {
            try f.accept("run:created", #"{"run_id":"\#(id)","workflow_id":"\#(workflow)","starting_trigger_id":"t1","input":{"type":"global","body":{}},"timestamp":\#(finished - 100)}"#)
            try f.accept("run:claimed", #"{"run_id":"\#(id)","timestamp":\#(finished - 90)}"#)
            try f.accept("run:start", #"{"run_id":"\#(id)","timestamp":\#(finished - 80)}"#)
            try f.accept("step:start", #"{"run_id":"\#(id)","step_id":"\#(id)-s","job_id":"\#(job)","timestamp":\#(finished - 50)}"#)
            try f.accept("step:complete", #"{"run_id":"\#(id)","step_id":"\#(id)-s","job_id":"\#(job)","reason":"success","output_dataclip_id":"\#(id)-final","output_dataclip":"{\"of\":\"\#(workflow)\"}","timestamp":\#(finished - 10)}"#)
            try f.accept("run:complete", #"{"run_id":"\#(id)","reason":"success","final_dataclip_id":"\#(id)-final","timestamp":\#(finished)}"#)
            try projections.catchUp()
        }
    }

    @Test func aTriggersCursorReadsOnlyItsOwnWorkflowsFinals() throws {
        let w = try World()
        try w.projections.catchUp()
        // The copy's runs (created before the upgrade, or by a worker) end in finals of project p2.
        try w.succeed("copy-run", workflow: "w2", job: "k1", finished: 2_000)
        #expect(try w.projections.nextCronInput("t1") == CronInput(triggerId: "t1", source: .empty, dataclipId: nil))
        try w.succeed("own-run", workflow: "w1", job: "j1", finished: 1_000)
        try w.succeed("copy-run-2", workflow: "w2", job: "k1", finished: 3_000)
        #expect(try w.projections.nextCronInput("t1") == CronInput(triggerId: "t1", source: .finalState, dataclipId: "own-run-final"))
        // The same from a rebuild.
        try w.projections.engine.rebuild()
        #expect(try w.projections.nextCronInput("t1")?.dataclipId == "own-run-final")
        #expect(try w.projections.engine.verify().isEmpty)
    }

    @Test func theCopyNeitherTakesNorStopsTheSchedule() throws {
        let w = try World()
        try w.projections.catchUp()
        func owners() throws -> [String] { try w.projections.allTriggers().filter { $0.id == "t1" }.map(\.workflowId) }
        #expect(try owners() == ["w1"])
        #expect(try w.projections.trigger("t1")?.summary.cronExpression == "* * * * *")
        // The owner publishes again, then the copy drops the trigger: the owner's schedule stays.
        try w.f.expectAppended(.publishWorkflow(w.f.publishRequest(content: "w1 v2")))
        try LegacyPublish.write(w.f.log, workflowId: "w2", projectId: "p2", jobIds: ["k1"], triggers: [], document: Array("w2 v2".utf8))
        try w.projections.catchUp()
        #expect(try owners() == ["w1"])
        let due = try w.projections.triggersDue(by: Timestamp(microseconds: 4_000_000_000_000_000))
        #expect(due.map(\.trigger.workflowId) == ["w1"])
        #expect(try w.projections.engine.verify().isEmpty)
    }
}
