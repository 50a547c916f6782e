// A workflow JSON document (`cairn workflow publish FILE`, the body of
// `POST /api/v1/workflows/{id}/publish`) -> WorkflowJSON.decode, then what
// publishing does with a decoded workflow before the store: validation with
// field paths, the canonical JSON a snapshot stores, and the Y.Doc layout a
// collaborative document starts from.
//
// Properties, for a workflow that decodes: its canonical JSON decodes to the
// same workflow; written into a document (`WorkflowDocument.populate`) and
// read back (`materialize`), a workflow that passes validation comes back
// the same, with no repairs.
import FuzzSupport
import JSON
import Workflows
import YDoc

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWorkflowJSON(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
    guard let workflow = try? WorkflowJSON.decode(bytes) else { return 0 }
    let problems = WorkflowValidator.problems(in: workflow)
    _ = problems.map(\.description)

    let canonical = WorkflowJSON.encode(workflow)
    let reread: Workflow?
    do { reread = try WorkflowJSON.decode(canonical) } catch {
        require(false, "the canonical JSON of a decoded workflow is refused: \(error)")
        return 0
    }
    require(reread == workflow, "the canonical JSON decodes to another workflow: \(canonical.serializedString())")

    let doc = Doc(clientID: 1)
    WorkflowDocument.populate(doc, with: workflow)
    let (materialized, repairs) = WorkflowDocument.materialize(doc, projectId: workflow.projectId)
    // Finding 3 (Fuzz/README.md, fixed): the JSON and the document read trigger fields alike.
    let expected = workflow
    let expectedRepairs = 0
    if problems.isEmpty {
        require(repairs.count == expectedRepairs, "a valid workflow needs repairs after populate: \(repairs)")
        // Compared as a snapshot stores them (keys sorted): a document's maps have no key order,
        // so `positions` comes back sorted (crash-ec922369 was that alone, not a defect).
        let stored = { (w: Workflow) in WorkflowJSON.encode(w).serialized(sortedKeys: true) }
        require(stored(materialized) == stored(expected), "populate then materialize changes a valid workflow: \(WorkflowJSON.encode(materialized).serializedString()) vs \(WorkflowJSON.encode(expected).serializedString())")
    }
    // The document survives its own encoding (what is stored and sent to editors).
    YDocChecks.roundTrips(doc, "populated workflow document")
    return 0
}

// SwiftPM's entry for this executable; see FuzzSupport/Driver.swift.
@_cdecl("fuzz_workflow_json_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzWorkflowJSON)
}
