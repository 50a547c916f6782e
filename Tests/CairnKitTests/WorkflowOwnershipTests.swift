import CairnKit
import EventLog
import Foundation
import JSON
import TestSupport
import Testing
import Workflows

/// Publishing through the store: a workflow's job, trigger and edge ids are
/// its own (issue #17, item 6; docs/architecture.md, "Ids belong to one
/// workflow").
@Suite struct WorkflowOwnershipTests {
    static let sample = "workflows/daily-report.json"
    static let cron = "c1000000-0000-4000-8000-000000000001"

    /// The sample workflow in project `project`.
    static func sample(project: String) throws -> Workflow {
        var workflow = try WorkflowJSON.decode(Array(try Fixtures.data(sample)))
        workflow.projectId = project
        return workflow
    }

    /// A copy under a new workflow id; `fresh` gives new ids to the jobs, triggers and edges named.
    static func copy(of workflow: Workflow, project: String, freshJobs: Bool = false, freshTriggers: Bool = false) -> Workflow {
        var copy = workflow
        copy.id = "9d000000-0000-4000-8000-000000000001"
        copy.projectId = project
        // A first digit of its own for each kind, so renamed ids stay distinct.
        func renamed(_ id: String) -> String { (id.first == "a" ? "b" : "d") + id.dropFirst() }
        if freshJobs {
            for i in copy.jobs.indices { copy.jobs[i].id = renamed(copy.jobs[i].id) }
            for i in copy.triggers.indices { copy.triggers[i].cronCursorJobId = copy.triggers[i].cronCursorJobId.map(renamed) }
            for i in copy.edges.indices {
                copy.edges[i].sourceJobId = copy.edges[i].sourceJobId.map(renamed)
                copy.edges[i].targetJobId = renamed(copy.edges[i].targetJobId)
            }
        }
        if freshTriggers {
            for i in copy.triggers.indices { copy.triggers[i].id = renamed(copy.triggers[i].id) }
            for i in copy.edges.indices { copy.edges[i].sourceTriggerId = copy.edges[i].sourceTriggerId.map(renamed) }
        }
        copy.positions = nil
        return copy
    }

    /// The log's refusal of a publish, or a recorded issue.
    static func refusal(_ publish: () throws -> PublishResult, sourceLocation: SourceLocation = #_sourceLocation) -> EventLogError? {
        do {
            let result = try publish()
            Issue.record("the publish was accepted: \(result)", sourceLocation: sourceLocation)
        } catch PublishError.rejected(let error) {
            return error
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    @Test func aCopyInAnotherProjectIsRefusedWithTheFieldNamed() throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        let original = try Self.sample(project: "pa")
        _ = try store.publish(original)

        let whole = try #require(Self.refusal { try store.publish(Self.copy(of: original, project: "pb")) })
        #expect(whole.field == "jobs[0].id")
        #expect(whole.description.contains("belongs to a workflow of another project"))
        // Only the triggers reused: the first one is named.
        let triggers = try #require(Self.refusal { try store.publish(Self.copy(of: original, project: "pb", freshJobs: true)) })
        #expect(triggers.field == "triggers[0].id")
        #expect(triggers.description.hasPrefix("triggers[0].id: \(Self.cron) belongs to"))
        // Only the edges reused.
        let edges = try #require(Self.refusal {
            try store.publish(Self.copy(of: original, project: "pb", freshJobs: true, freshTriggers: true))
        })
        #expect(edges.field == "edges[0].id")
        #expect(try store.log.snapshot(Self.copy(of: original, project: "pb").id) == nil)
        #expect(try store.projections.trigger(Self.cron)?.workflowId == original.id)
    }

    @Test func theSameWorkflowRepublishesItsIds() throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        var workflow = try Self.sample(project: "pa")
        #expect(try store.publish(workflow).lockVersion == 1)
        workflow.name = "Renamed"
        #expect(try store.publish(workflow) == PublishResult(workflowId: workflow.id, lockVersion: 2, changed: true))
        #expect(try store.publish(workflow).changed == false)
        // Reopened (a new process): still its own.
        workflow.name = "Renamed again"
        #expect(try Store(path: folder.path).publish(workflow).lockVersion == 3)
    }

    @Test func aJobMovingBetweenWorkflowsOfOneProjectIsRefused() throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        let original = try Self.sample(project: "pa")
        _ = try store.publish(original)
        var other = Self.copy(of: original, project: "pa", freshJobs: true, freshTriggers: true)
        other.edges = []
        other.jobs[1].id = original.jobs[1].id
        let error = try #require(Self.refusal { try store.publish(other) })
        #expect(error.description.hasPrefix("jobs[1].id: \(original.jobs[1].id) belongs to workflow \(original.id)"))
    }
}

/// A data folder where a copy of a workflow was published, in another
/// project, with the same ids (accepted before ids were owned).
@Suite struct CopiedWorkflowMigrationTests {
    /// Collects the store's notices.
    final class Notices: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func add(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    @Test func theFirstPublisherKeepsTheTriggerAndItsCursor() throws {
        let folder = TemporaryFolder()
        let original = try WorkflowOwnershipTests.sample(project: "pa")
        let copy = WorkflowOwnershipTests.copy(of: original, project: "pb")
        let cron = WorkflowOwnershipTests.cron
        do {
            let store = try Store(path: folder.path)
            _ = try store.publish(original)
            // The copy, written as an older cairn did, and a successful run of it from the shared trigger.
            try LegacyPublish.write(
                store.log, workflowId: copy.id, projectId: "pb", jobIds: copy.jobs.map(\.id),
                triggers: [TriggerSummary(id: cron, type: "cron", enabled: true, cronExpression: "0 6 * * *")],
                document: WorkflowJSON.encode(copy).serialized(sortedKeys: true))
            let job = copy.jobs[0].id
            for (event, payload) in [
                ("run:created", #"{"run_id":"copy-run","workflow_id":"\#(copy.id)","starting_trigger_id":"\#(cron)","input":{"type":"global","body":{}}}"#),
                ("run:claimed", #"{"run_id":"copy-run"}"#), ("run:start", #"{"run_id":"copy-run"}"#),
                ("step:start", #"{"run_id":"copy-run","step_id":"copy-step","job_id":"\#(job)"}"#),
                ("step:complete", #"{"run_id":"copy-run","step_id":"copy-step","job_id":"\#(job)","reason":"success","output_dataclip_id":"copy-out","output_dataclip":"{\"project\":\"pb\"}"}"#),
                ("run:complete", #"{"run_id":"copy-run","reason":"success","final_dataclip_id":"copy-out"}"#),
            ] {
                let submission = try WorkerProtocol.submission(event: event, id: .random(), payload: try JSONParser.parse(payload))
                guard case .appended = try store.append([submission])[0] else { throw CairnKitTestFailure("\(event) refused") }
            }
        }

        let notices = Notices()
        do {
            let store = try Store(path: folder.path, notice: notices.add)
            try checkMigrated(store, notices, original: original, copy: copy)
        }
        // Built once: the next open has nothing to say.
        #expect(try Store(path: folder.path, notice: notices.add).projections.trigger(cron)?.workflowId == original.id)
        #expect(notices.all.count == 1)
    }

    func checkMigrated(_ store: Store, _ notices: Notices, original: Workflow, copy: Workflow) throws {
        let cron = WorkflowOwnershipTests.cron
        #expect(notices.all.count == 1)
        let notice = try #require(notices.all.first)
        #expect(notice.contains("trigger \(cron) of workflow \(copy.id) (project pb) is also in workflow \(original.id)"))
        #expect(notice.contains("the scheduler and the trigger's cursor ignore its copy"))
        // The cursor is the owner's: the copy's final (of project pb) is not its input.
        let cursor = try #require(try store.cursorView(cron))
        #expect(cursor["source"]?.stringValue == "empty")
        #expect(cursor["dataclip_id"] == .null)
        #expect(try store.projections.trigger(cron)?.workflowId == original.id)
        // The copy is told at its next publish; the owner publishes as before.
        var renamed = copy
        renamed.name = "Copy"
        let refusal = try #require(WorkflowOwnershipTests.refusal { try store.publish(renamed) })
        #expect(refusal.field == "jobs[0].id")
        var changed = original
        changed.name = "Changed"
        #expect(try store.publish(changed).lockVersion == 2)
    }
}

struct CairnKitTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
