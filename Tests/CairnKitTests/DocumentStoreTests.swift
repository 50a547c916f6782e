import CairnKit
import Encoding
import Foundation
import TestSupport
import Testing
import Workflows
import YDoc

@Suite struct DocumentStoreTests {
    /// Updates from one editing replica, one per keystroke-sized change.
    func edits(_ count: Int, client: UInt64) -> [[UInt8]] {
        let doc = Doc(clientID: client)
        var updates: [[UInt8]] = []
        for i in 0..<count {
            let before = doc.stateVector
            doc.transact { txn in doc.text("notes").insert(doc.text("notes").count, "\(client):\(i) ", txn) }
            updates.append(try! doc.encodeStateAsUpdate(stateVector: {
                var w = ByteWriter()
                w.writeVarUInt(UInt64(before.count))
                for (c, clock) in before { w.writeVarUInt(c); w.writeVarUInt(clock) }
                return w.bytes
            }()))
        }
        return updates
    }

    @Test func reopeningLosesNoAcknowledgedUpdate() throws {
        let folder = TemporaryFolder()
        let updates = edits(30, client: 7)
        for (i, update) in updates.enumerated() {
            // A new process for every update: open, apply, "crash".
            let store = try Store(path: folder.path)
            let result = try store.applyDocumentUpdates("w", [update])
            #expect(result.applied == 1, "update \(i)")
        }
        let text = try Store(path: folder.path).documents.load("w").text("notes").string
        #expect(text == (0..<30).map { "7:\($0) " }.joined())
    }

    @Test func compactionUnderConcurrentAppendsKeepsEverything() async throws {
        let folder = TemporaryFolder()
        let environment = try Store(path: folder.path).environment
        // Two writers (think: two connections) with a tiny compaction threshold.
        let a = try DocumentStore(environment: environment, compactAfterUpdates: 5, compactAfterBytes: 1 << 20)
        let b = try DocumentStore(environment: environment, compactAfterUpdates: 3, compactAfterBytes: 1 << 20)
        let first = edits(40, client: 1)
        let second = edits(40, client: 2)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { for u in first { try a.append("w", [u]) } }
            group.addTask { for u in second { try b.append("w", [u]) } }
            try await group.waitForAll()
        }
        let text = try a.load("w").text("notes").string
        for i in 0..<40 {
            #expect(text.contains("1:\(i) "))
            #expect(text.contains("2:\(i) "))
        }
        #expect(try a.tailCount("w") < 5)
    }

    @Test func malformedUpdatesAreRefusedAndTheRestStored() throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        let good = edits(2, client: 3)
        let result = try store.applyDocumentUpdates("w", [good[0], [1, 2, 3], good[1]])
        #expect(result.applied == 2)
        #expect(result.rejected.map(\.index) == [1])
        #expect(try Store(path: folder.path).documents.load("w").text("notes").string == "3:0 3:1 ")
    }

    @Test func documentAndJSONPublishesMakeIdenticalSnapshots() throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        let workflow = try WorkflowJSON.decode(Array(try Fixtures.data("workflows/daily-report.json")))
        let first = try store.publish(workflow)
        #expect(first.changed && first.lockVersion == 1)
        let doc = Doc(clientID: 4)
        WorkflowDocument.populate(doc, with: workflow)
        _ = try store.applyDocumentUpdates(workflow.id, [try doc.encodeStateAsUpdate()])
        let second = try store.publishDocument(workflow.id)
        #expect(second == PublishResult(workflowId: workflow.id, lockVersion: 1, changed: false))
        // An edit in the document is a change; publishing again without one is not.
        let edit = Doc(clientID: 5)
        try edit.applyUpdate(try store.exportDocument(workflow.id))
        let before = edit.encodeStateVector()
        edit.transact { txn in edit.map("workflow").set("name", .string("Renamed"), txn) }
        _ = try store.applyDocumentUpdates(workflow.id, [try edit.encodeStateAsUpdate(stateVector: before)])
        #expect(try store.publishDocument(workflow.id) == PublishResult(workflowId: workflow.id, lockVersion: 2, changed: true))
        #expect(try store.publishDocument(workflow.id).changed == false)
        #expect(try store.workflow(workflow.id)?.name == "Renamed")
    }

    @Test func validationErrorsGoIntoTheDocumentAndLeaveWhenFixed() throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        var workflow = try WorkflowJSON.decode(Array(try Fixtures.data("workflows/daily-report.json")))
        workflow.triggers[0].cronExpression = "0 0 30 2 *"
        let doc = Doc(clientID: 6)
        WorkflowDocument.populate(doc, with: workflow)
        _ = try store.applyDocumentUpdates(workflow.id, [try doc.encodeStateAsUpdate()])
        #expect(throws: PublishError.self) { try store.publishDocument(workflow.id) }
        let errors = try store.documents.load(workflow.id).map("errors")
        #expect(errors.keys == ["triggers[0].cron_expression"])
        #expect(try store.log.snapshot(workflow.id) == nil)
        // Fix it in the document: the error goes away and the publish goes through.
        let fix = Doc(clientID: 7)
        try fix.applyUpdate(try store.exportDocument(workflow.id))
        let before = fix.encodeStateVector()
        fix.transact { txn in
            if case .map(let t)? = fix.array("triggers").get(0) { t.set("cron_expression", .string("0 6 * * *"), txn) }
        }
        _ = try store.applyDocumentUpdates(workflow.id, [try fix.encodeStateAsUpdate(stateVector: before)])
        #expect(try store.publishDocument(workflow.id).changed)
        #expect(try store.documents.load(workflow.id).map("errors").keys.isEmpty)
    }
}
