import EventLog
import Foundation
import LMDB
import TestSupport
import Testing

/// Job, trigger and edge ids are global: an id belongs to the workflow that
/// first published it, for good (issue #17, item 6; docs/architecture.md,
/// "Ids belong to one workflow").
@Suite struct IdOwnershipTests {
    /// `LogFixture`'s workflow w1 (project p1: jobs j1, j2; trigger t1) and a second project p2.
    static func world() throws -> LogFixture {
        let f = try LogFixture()
        try f.expectAppended(.configureProject(projectId: "p2", name: "P2", retention: nil))
        return f
    }

    static func request(
        _ workflow: String, project: String, jobs: [String], triggers: [String], content: String
    ) -> PublishRequest {
        PublishRequest(
            workflowId: workflow, projectId: project, deleted: false, jobIds: jobs,
            triggers: triggers.map { TriggerSummary(id: $0, type: "cron", enabled: true, cronExpression: "* * * * *") },
            content: Array(content.utf8), document: { v in Array("{\"lock_version\":\(v)}".utf8) })
    }

    /// The error of a refused submission, or a recorded issue.
    static func refusal(_ outcome: AppendOutcome, sourceLocation: SourceLocation = #_sourceLocation) -> EventLogError? {
        guard case .rejected(let error) = outcome else {
            Issue.record("expected a refusal, got \(outcome)", sourceLocation: sourceLocation)
            return nil
        }
        return error
    }

    @Test func aCopyInAnotherProjectIsRefusedWithTheFieldNamed() throws {
        let f = try Self.world()
        let outcome = try f.submit(.publishWorkflow(Self.request(
            "w2", project: "p2", jobs: ["k1"], triggers: ["t1"], content: "copy")))
        let error = try #require(Self.refusal(outcome))
        #expect(error.field == "triggers[0].id")
        // The owner is in a project the publisher may not see: not named.
        #expect(error.description.contains("t1 belongs to a workflow of another project"))
        #expect(!error.description.contains("w1"))
        #expect(try f.log.snapshot("w2") == nil)
    }

    @Test func aJobMovingToAnotherWorkflowOfTheProjectIsRefusedNamingTheOwner() throws {
        let f = try Self.world()
        let outcome = try f.submit(.publishWorkflow(Self.request(
            "w2", project: "p1", jobs: ["k1", "j2"], triggers: [], content: "moved j2")))
        let error = try #require(Self.refusal(outcome))
        #expect(error.field == "jobs[1].id")
        #expect(error.description.contains("j2 belongs to workflow w1"))
    }

    @Test func republishingItsOwnIdsKeepsWorking() throws {
        let f = try Self.world()
        // New content, same ids.
        try f.expectAppended(.publishWorkflow(Self.request("w1", project: "p1", jobs: ["j1", "j2"], triggers: ["t1"], content: "v2")))
        // Unchanged content.
        #expect(try f.submit(.publishWorkflow(Self.request(
            "w1", project: "p1", jobs: ["j1", "j2"], triggers: ["t1"], content: "v2"))) == .unchanged(lockVersion: 2))
        // Dropping ids and taking them back.
        try f.expectAppended(.publishWorkflow(Self.request("w1", project: "p1", jobs: ["j1"], triggers: [], content: "v3")))
        try f.expectAppended(.publishWorkflow(Self.request("w1", project: "p1", jobs: ["j1", "j2"], triggers: ["t1"], content: "v4")))
        #expect(try f.log.snapshot("w1")?.lockVersion == 4)
    }

    @Test func anIdDroppedByItsWorkflowIsNotFreeForAnother() throws {
        let f = try Self.world()
        try f.expectAppended(.publishWorkflow(Self.request("w1", project: "p1", jobs: ["j1"], triggers: [], content: "no t1")))
        // A deleted workflow keeps its ids too.
        try f.expectAppended(.publishWorkflow(PublishRequest(
            workflowId: "w1", projectId: "p1", deleted: true, jobIds: ["j1"], triggers: [], content: Array("deleted".utf8),
            document: { _ in [] })))
        for (jobs, triggers, field) in [([String](), ["t1"], "triggers[0].id"), (["j2"], [], "jobs[0].id"), (["j1"], [], "jobs[0].id")] {
            let outcome = try f.submit(.publishWorkflow(Self.request("w2", project: "p1", jobs: jobs, triggers: triggers, content: "c")))
            #expect(Self.refusal(outcome)?.field == field)
        }
    }

    @Test func twoPublishesOfOneBatchCannotBothClaimAnId() throws {
        let f = try Self.world()
        let outcomes = try f.log.append([
            Submission(id: .random(), command: .publishWorkflow(Self.request("w2", project: "p2", jobs: ["a"], triggers: ["x"], content: "a"))),
            Submission(id: .random(), command: .publishWorkflow(Self.request("w3", project: "p2", jobs: ["b"], triggers: ["x"], content: "b"))),
        ])
        guard case .appended = outcomes[0] else {
            Issue.record("the first claim was refused: \(outcomes[0])")
            return
        }
        let error = try #require(Self.refusal(outcomes[1]))
        #expect(error.field == "triggers[0].id")
        #expect(error.description.contains("x belongs to workflow w2"))
    }
}

/// A data folder written before ids were owned: opening it builds the index
/// from every publish in sequence order, and the first publisher of an id keeps it.
@Suite struct IdOwnershipMigrationTests {
    @Test func openingIndexesEveryPublishAndTheFirstPublisherKeepsItsIds() throws {
        let f = try IdOwnershipTests.world()
        // As an older cairn wrote them: a copy of t1 in project p2 (with an
        // edge in its document), and j2 in another workflow of p1.
        try LegacyPublish.write(
            f.log, workflowId: "w2", projectId: "p2", jobIds: ["k1"],
            triggers: [TriggerSummary(id: "t1", type: "cron", enabled: true, cronExpression: "* * * * *")],
            document: Array(#"{"id":"w2","edges":[{"id":"e1","source_trigger_id":"t1","target_job_id":"k1"}]}"#.utf8))
        try LegacyPublish.write(f.log, workflowId: "w3", projectId: "p1", jobIds: ["j2"], triggers: [], document: [])

        let reopened = try EventStore(environment: f.environment)
        let migration = try #require(reopened.idOwnershipMigration)
        #expect(migration.publishes == 3 && migration.workflows == 3 && migration.ids == 5)
        #expect(migration.conflicts == [
            IdConflict(kind: .trigger, id: "t1", owner: "w1", workflowId: "w2", projectId: "p2"),
            IdConflict(kind: .job, id: "j2", owner: "w1", workflowId: "w3", projectId: "p1"),
        ])
        #expect(migration.description.contains(
            "trigger t1 of workflow w2 (project p2) is also in workflow w1, which published it first and keeps it"))
        for (id, owner) in [("t1", "w1"), ("j1", "w1"), ("j2", "w1"), ("k1", "w2"), ("e1", "w2")] {
            #expect(try reopened.owner(ofId: id) == owner, "\(id)")
        }
        // Built once.
        #expect(try EventStore(environment: f.environment).idOwnershipMigration == nil)

        func publish(_ workflow: String, _ project: String, jobs: [String], triggers: [String], _ content: String) throws -> AppendOutcome {
            try reopened.append([Submission(id: .random(), command: .publishWorkflow(IdOwnershipTests.request(
                workflow, project: project, jobs: jobs, triggers: triggers, content: content)))])[0]
        }
        // The later workflows must give up the shared ids to publish again.
        let copy = try publish("w2", "p2", jobs: ["k1"], triggers: ["t1"], "w2 again")
        #expect(IdOwnershipTests.refusal(copy)?.description.hasPrefix("triggers[0].id: t1 belongs to a workflow of another project") == true)
        let moved = try publish("w3", "p1", jobs: ["j2"], triggers: [], "w3 again")
        #expect(IdOwnershipTests.refusal(moved)?.description.hasPrefix("jobs[0].id: j2 belongs to workflow w1") == true)
        guard case .appended = try publish("w2", "p2", jobs: ["k1"], triggers: ["t2"], "w2 renamed its trigger") else {
            Issue.record("the copy with a new trigger id was refused")
            return
        }
        guard case .appended = try publish("w1", "p1", jobs: ["j1", "j2"], triggers: ["t1"], "w1 again") else {
            Issue.record("the owner's publish was refused")
            return
        }
        #expect(try reopened.owner(ofId: "t2") == "w2")
        // Its own publishes keep the index covering the log: nothing to build at the next open.
        #expect(try EventStore(environment: f.environment).idOwnershipMigration == nil)
    }

    @Test func anEmptyFolderHasNothingToIndex() throws {
        let folder = TemporaryFolder()
        let environment = try Environment(path: folder.path)
        let log = try EventStore(environment: environment)
        #expect(log.idOwnershipMigration == IdOwnershipMigration(publishes: 0, workflows: 0, ids: 0, conflicts: []))
        #expect(try EventStore(environment: environment).idOwnershipMigration == nil)
    }
}
