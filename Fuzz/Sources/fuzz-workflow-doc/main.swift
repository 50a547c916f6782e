// Yjs updates to a workflow's collaborative document (from editors over the
// sync socket, `cairn doc apply`) -> WorkflowDocument.materialize, which turns
// whatever the merged document holds into a workflow and the repairs it needed
// (what `doc materialize`, `doc publish` and the hub's owner check run).
//
// The document starts as fixtures/ydoc/base.update (a workflow written by
// pycrdt). Half the inputs are raw update bytes (cut at 0xFF 0xFF 0xFF into
// several updates); the other half, chosen by the first byte, drive
// `UpdateGenerator` over the workflow layout's roots and keys, so updates
// land in the `workflow` map, the job/trigger/edge arrays and their maps.
//
// Properties: materializing is deterministic (twice, the same workflow and
// repairs, as every replica must get); the workflow it gives, written into a
// fresh document and materialized, needs no repairs once it validates.
import FuzzSupport
import Workflows
import YDoc

let base = Fixtures.bytes("ydoc/base.update")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWorkflowDoc(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
    let doc = Doc(clientID: 1)
    do { try doc.applyUpdate(base) } catch { fatalError("base.update refused: \(error)") }
    if let mode = bytes.first, mode & 1 == 1 {
        var gen = UpdateGenerator(
            FuzzInput(Array(bytes.dropFirst())),
            roots: ["workflow", "jobs", "triggers", "edges", "positions", "errors"],
            keys: ["id", "name", "body", "adaptor", "type", "enabled", "cron_expression", "cron_cursor_job_id",
                   "timezone", "cron_day_match", "source_trigger_id", "source_job_id", "target_job_id",
                   "condition_type", "lock_version", "concurrency", "project_id", "kafka_configuration"])
        let dump = Dump(onBase: true)
        for _ in 0..<gen.input.int(1...4) {
            let update = gen.update(for: doc)
            dump.add("remote", update)
            _ = try? doc.applyUpdate(update)
        }
        dump.write()
    } else {
        var rest = Array(bytes.dropFirst())
        while !rest.isEmpty {
            let cut = rest.count >= 3 ? (0..<(rest.count - 2)).first { rest[$0] == 0xFF && rest[$0 + 1] == 0xFF && rest[$0 + 2] == 0xFF } : nil
            _ = try? doc.applyUpdate(Array(rest[..<(cut ?? rest.count)]))
            rest = cut.map { Array(rest[($0 + 3)...]) } ?? []
        }
    }
    YDocChecks.sound(doc, "after the updates")
    let first = WorkflowDocument.materialize(doc)
    let second = WorkflowDocument.materialize(doc)
    require(first.workflow == second.workflow && first.repairs == second.repairs, "materialize is not deterministic")
    _ = WorkflowValidator.problems(in: first.workflow)
    _ = WorkflowJSON.encode(first.workflow)
    if WorkflowValidator.problems(in: first.workflow).isEmpty {
        let fresh = Doc(clientID: 2)
        WorkflowDocument.populate(fresh, with: first.workflow)
        let again = WorkflowDocument.materialize(fresh, projectId: first.workflow.projectId)
        require(again.repairs.isEmpty, "a materialized, valid workflow needs repairs once written back: \(again.repairs)")
    }
    return 0
}

// SwiftPM's entry for this executable; see FuzzSupport/Driver.swift.
@_cdecl("fuzz_workflow_doc_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzWorkflowDoc)
}
