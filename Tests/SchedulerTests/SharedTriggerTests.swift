import EventLog
import Foundation
import Projections
import Scheduler
import TestSupport
import Testing

/// A data folder written before ids were owned (issue #17, item 6) may hold
/// two workflows with the same cron trigger id. Only the first publisher's
/// trigger fires, with the run id it always had.
@Suite struct SharedTriggerTests {
    @Test func onlyTheOwnersTriggerFiresWithItsUsualRunId() throws {
        let f = try LogFixture()  // w1 of p1: t1 "* * * * *"
        try f.expectAppended(.configureProject(projectId: "p2", name: "P2", retention: nil))
        try LegacyPublish.write(
            f.log, workflowId: "w2", projectId: "p2", jobIds: ["k1"],
            triggers: [TriggerSummary(id: "t1", type: "cron", enabled: true, cronExpression: "* * * * *")],
            document: Array("w2".utf8))
        let projections = try Projections(log: f.log)
        let minute = ISO8601DateFormatter().date(from: "2026-03-01T10:00:00Z")!
        let created = try Scheduler(log: f.log, projections: projections).tick(at: minute).created
        #expect(created.map(\.workflowId) == ["w1"])
        // Derived from (trigger, minute) as before the fix: a minute ticked
        // again across the upgrade finds its run and creates none.
        let micros = String(Int64(minute.timeIntervalSince1970) * 1_000_000)
        #expect(created.first?.runId == UUID.derived(["cron-run", "t1", micros]).lowercasedString)
        #expect(try Scheduler(log: f.log, projections: projections).tick(at: minute).created.isEmpty)
    }
}
