import Encoding
import Foundation
import TestSupport
import Testing
import YDoc

/// Issue #17: a Yjs update setting `workflow.concurrency` to 1e19 was
/// accepted by `doc apply`, and every later `doc materialize` (and so
/// publish) died with SIGILL. It now materializes, with a repair naming
/// the field.
@Suite struct DocNumberCommandTests {
    let workflow = "6513270e-269e-4d37-b2a7-4de452e6b438"

    @Test func aHugeConcurrencyIsRepairedNotFatal() throws {
        let folder = TemporaryFolder()
        let data = ["--data", folder.path]
        let base = Fixtures.url("ydoc/base.update").path
        // A peer's edit on top of the base document.
        let doc = Doc(clientID: 4242)
        try doc.applyUpdate(Array(try Fixtures.data("ydoc/base.update")))
        let before = doc.encodeStateVector()
        doc.transact { txn in doc.map("workflow").set("concurrency", .number(1e19), txn) }
        let edit = folder.path + "/huge-concurrency.update"
        try Data(try doc.encodeStateAsUpdate(stateVector: before)).write(to: URL(fileURLWithPath: edit))

        let applied = try CLI.run(["doc", "apply", workflow, base, edit, "--json"] + data)
        #expect(try applied.json() as? NSDictionary == ["workflow_id": workflow, "applied": 2, "rejected": 0])
        for _ in 0..<2 {  // and again: nothing is left broken
            let materialized = try CLI.run(["doc", "materialize", workflow, "--json"] + data)
            #expect(materialized.status == 0, "\(materialized.stderr)")
            let result = try #require(try materialized.json() as? [String: Any])
            #expect(result["concurrency"] is NSNull || result["concurrency"] == nil)
            let repairs = try #require(result["repairs"] as? [[String: Any]])
            #expect(repairs.contains { $0["path"] as? String == "workflow.concurrency" }, "\(repairs)")
        }
    }
}
