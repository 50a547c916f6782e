import CairnKit
import EventLog
import Foundation
import JSON
import TestSupport
import Testing
import Workflows

/// A workflow published before the size caps (docs/semantics.md) may be
/// over them; the caps must not lock it: it can still be changed,
/// disabled and deleted, only not grown (session 21's third review).
@Suite struct WorkflowCapsOnOldFoldersTests {
    static func overCap() throws -> (Store, Workflow, TemporaryFolder) {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        var workflow = try WorkflowOwnershipTests.sample(project: "pa")
        workflow.triggers += (0..<(WorkflowValidator.maxTriggers + 20)).map {
            Trigger(id: String(format: "f0000000-0000-4000-8000-%012x", $0), type: .webhook)
        }
        #expect(WorkflowValidator.problems(in: workflow).map(\.path) == ["triggers"])
        // As a cairn from before the caps published it.
        let triggers = Store.triggerSummaries(of: workflow)
        try LegacyPublish.write(
            store.log, workflowId: workflow.id, projectId: "pa", jobIds: workflow.jobs.map(\.id), triggers: triggers,
            document: WorkflowJSON.encode(workflow).serialized(sortedKeys: true))
        return (store, workflow, folder)
    }

    @Test func itCanBeChangedAndDisabledButNotGrown() throws {
        let (store, workflow, _) = try Self.overCap()
        var disabled = workflow
        disabled.triggers[0].enabled = false
        #expect(try store.publish(disabled).changed)
        var grown = disabled
        grown.triggers.append(Trigger(id: "f1000000-0000-4000-8000-000000000001", type: .webhook))
        #expect {
            _ = try store.publish(grown)
        } throws: { error in
            "\(error)".contains("triggers: has \(grown.triggers.count)")
        }
        var fewer = disabled
        fewer.triggers.removeLast(5)
        #expect(try store.publish(fewer).changed)
    }

    /// Deleting is no exception to "not grown": a deleted version over the
    /// caps, published again undeleted, would have lifted them (a fourth review).
    @Test func aDeletedVersionCannotCarryAWorkflowPastTheCaps() throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        var big = try WorkflowOwnershipTests.sample(project: "pa")
        big.triggers += (0..<WorkflowValidator.maxTriggers).map {
            Trigger(id: String(format: "f0000000-0000-4000-8000-%012x", $0), type: .webhook)
        }
        big.deletedAt = "2027-01-01T00:00:00Z"
        #expect(throws: PublishError.self) { _ = try store.publish(big) }
        #expect(try store.workflow(big.id) == nil)
    }

    @Test func itCanBeDeleted() throws {
        let (store, workflow, _) = try Self.overCap()
        var deleted = workflow
        deleted.deletedAt = "2027-01-01T00:00:00Z"
        #expect(try store.publish(deleted).changed)
    }
}
