// A whole `cairn ingest` file -> a fresh store: each line decoded
// (WorkerProtocol.decodeLine), appended in batches through the validating
// writer (Store.append: run lifecycle, dataclips, snapshots, id owners), the
// projections caught up, then read back the ways the CLI and the service do.
// This is where a worker's bytes go after the decoder; `fuzz-ingest-line`
// covers the decoder alone, at a far higher rate.
//
// Each input gets a store of its own (LMDB without fsync, on /dev/shm when
// there is one), holding fixtures/workflows/daily-report.json published, and
// a fixed clock, so a finding replays from its input alone. A blank line ends
// a batch (one durable transaction in `cairn ingest`); at most 64 lines.
// The published store is made once; each input opens a copy of its data
// file (94 KB), which is what publishing again would write, at a fraction
// of the cost (publishing was an eighth of an input's time).
//
// Properties: appending never throws for a worker's mistakes (they are
// refusals); the live projections equal a replay of the log
// (`rebuild --verify` finds no difference); every stored event decodes.
import CairnKit
import EventLog
import Foundation
import FuzzSupport
import JSON
import LMDB
import Workflows

let workflow: Workflow = {
    do { return try WorkflowJSON.decode(Fixtures.bytes("workflows/daily-report.json")) } catch {
        fatalError("daily-report.json refused: \(error)")
    }
}()
/// Where each input's store goes, a folder an input.
let scratch = scratchFolder("cairn-fuzz-ingest-", inMemory: true)
nonisolated(unsafe) var counter = 0
let clock = Timestamp(microseconds: 1_795_500_000_000_000)

/// The data file of a store with the workflow published. Bytes, not
/// `Data`: LeakSanitizer does not see a `Data` global's storage through its
/// tagged representation, and reported it leaked.
let template: [UInt8] = {
    let path = "\(scratch)/template"
    defer { try? FileManager.default.removeItem(atPath: path) }
    do {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        do {
            let store = try Store(path: path, options: Environment.Options(noSync: true), clock: { clock }, notice: { _ in })
            _ = try store.publish(workflow)
        }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(path)/data.mdb")))
    } catch {
        fatalError("a store with daily-report.json published: \(error)")
    }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIngestStore(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
    counter += 1
    let path = "\(scratch)/\(counter)"
    defer { try? FileManager.default.removeItem(atPath: path) }
    let store: Store
    do {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Data(template).write(to: URL(fileURLWithPath: "\(path)/data.mdb"))
        store = try Store(path: path, options: Environment.Options(noSync: true), clock: { clock }, notice: { _ in })
    } catch {
        fatalError("a copy of the store with daily-report.json: \(error)")
    }
    var batches: [[Submission]] = [[]]
    var lines = 0
    for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
            if !batches[batches.count - 1].isEmpty { batches.append([]) }
            continue
        }
        lines += 1
        if lines > 64 { break }
        var name: String?
        guard let submission = try? WorkerProtocol.decodeLine(line, name: &name) else { continue }
        batches[batches.count - 1].append(submission)
    }
    for batch in batches where !batch.isEmpty {
        do { _ = try store.append(batch) } catch {
            require(false, "Store.append threw instead of refusing: \(error)")
        }
    }
    do {
        // Verifying replays the whole log, so every stored event decodes.
        let differences = try store.verifyProjections()
        require(differences.isEmpty, "live projections differ from a replay of the log: \(differences.prefix(3))")
        for trigger in workflow.triggers {
            _ = try store.cursorView(trigger.id)
            _ = try store.nextCronInput(trigger.id)
        }
        _ = try store.runs(ofWorkflow: workflow.id, limit: 10)
        _ = try store.availableRuns(project: nil, limit: 10)
    } catch {
        require(false, "reading the store back threw: \(error)")
    }
    return 0
}

// SwiftPM's entry for this executable; see FuzzSupport/Driver.swift.
@_cdecl("fuzz_ingest_store_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzIngestStore)
}
