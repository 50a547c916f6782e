import LMDB
import TestSupport
import Testing

@testable import EventLog
@testable import Projections

/// Steps are found through the log's step → run index and read from the
/// runs projection; the runs projection keeps no step table of its own.
@Suite struct StepLookupTests {
    @Test func aStepIsFoundWithItsRunAndItsLatestState() throws {
        let f = try LogFixture()
        let projections = try Projections(log: f.log)
        try f.run("r1")
        try f.run("r2")
        try f.accept("step:start", #"{"run_id":"r1","step_id":"s1","job_id":"j1"}"#)
        try f.accept("step:start", #"{"run_id":"r2","step_id":"s2","job_id":"j1"}"#)
        try projections.catchUp()
        let started = try #require(try projections.step("s2"))
        #expect(started.run.runId == "r2")
        #expect(started.step.jobId == "j1")
        #expect(started.step.exitReason == nil)

        try f.accept("step:complete", #"{"run_id":"r2","step_id":"s2","job_id":"j1","reason":"fail"}"#)
        try projections.catchUp()
        #expect(try projections.step("s2")?.step.exitReason == .fail)
        #expect(try projections.step("s1")?.run.runId == "r1")
        #expect(try projections.step("nope") == nil)
    }

    @Test func aStepTheProjectionHasNotReachedIsNotFoundYet() throws {
        let f = try LogFixture()
        let projections = try Projections(log: f.log)
        try f.run("r1")
        try projections.catchUp()
        try f.accept("step:start", #"{"run_id":"r1","step_id":"s1","job_id":"j1"}"#)
        #expect(try projections.step("s1") == nil)
        try projections.catchUp()
        #expect(try projections.step("s1")?.step.id == "s1")
    }

    @Test func upgradingTheRunsProjectorDropsTheTableItNoLongerHas() throws {
        let f = try LogFixture()
        try f.run("r1")
        _ = try Projections(log: f.log)
        // A store written by version 2, which kept `steps` in both slots.
        for slot in 0...1 {
            let old = try f.environment.database("proj.runs.steps.\(slot)")
            try f.environment.write { txn in try txn.put(old, key: Array("s1".utf8), value: Array("r1".utf8)) }
        }
        let checkpoints = try f.environment.database("checkpoints")
        try f.environment.write { txn in
            var bytes = try #require(try txn.get(checkpoints, key: Array("runs".utf8)))
            bytes.replaceSubrange(1..<5, with: UInt32(2).bigEndianBytes)
            try txn.put(checkpoints, key: Array("runs".utf8), value: bytes)
        }
        let reopened = try Projections(log: f.log)
        let names = try f.environment.databaseNames()
        #expect(!names.contains { $0.hasPrefix("proj.runs.steps.") })
        #expect(names.contains("proj.runs.runs.0") && names.contains("proj.runs.available_by_project.1"))
        #expect(try reopened.run("r1")?.state == .started)
        #expect(try reopened.engine.verify().isEmpty)
    }

    /// Version 4 moved `by_workflow` to a projection of its own: a store of
    /// version 3 loses the old table and builds the new projection from
    /// the log when it opens.
    @Test func upgradingToWorkflowRunsMovesTheIndex() throws {
        let f = try LogFixture()
        try f.run("r1")
        try f.run("r2", to: .available)
        let projections = try Projections(log: f.log)
        let checkpoints = try f.environment.database("checkpoints")
        let oldTables = try (0...1).map { try f.environment.database("proj.runs.by_workflow.\($0)") }
        try f.environment.write { txn in
            for (slot, old) in oldTables.enumerated() {
                try txn.put(old, key: Key.part(f.workflow) + Array("r1".utf8), value: [])
                for table in try projections.engine.handles(projections.workflowRuns, slot: UInt8(slot)) { try txn.clear(table) }
            }
            _ = try txn.delete(checkpoints, key: Array("workflow_runs".utf8))
            var bytes = try #require(try txn.get(checkpoints, key: Array("runs".utf8)))
            bytes.replaceSubrange(1..<5, with: UInt32(3).bigEndianBytes)
            try txn.put(checkpoints, key: Array("runs".utf8), value: bytes)
        }
        #expect(try projections.runs(ofWorkflow: f.workflow).isEmpty, "the store now looks like version 3's")
        let reopened = try Projections(log: f.log)
        let names = try f.environment.databaseNames()
        #expect(!names.contains { $0.hasPrefix("proj.runs.by_workflow.") })
        #expect(try reopened.runs(ofWorkflow: f.workflow).map(\.runId) == ["r2", "r1"])
        #expect(try reopened.engine.verify().isEmpty)
    }
}
