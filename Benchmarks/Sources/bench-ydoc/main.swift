// YDoc on real editing traces: local apply (one transaction per edit),
// remote apply (one update per edit), v1 size, loading that encoding,
// merging the halves of a concurrent trace, replaying concurrent traces.
// tools/bench-ydoc runs pycrdt (yrs) on the same traces beside it.
import BenchSupport
import Foundation
import YDoc


func load(_ path: String) throws -> [String: Any] {
    // A folder of already unzipped traces (valgrind cannot spawn gzip).
    if path.hasSuffix(".gz"), let plain = FileManager.default.contents(atPath: String(path.dropLast(3))) {
        return try JSONSerialization.jsonObject(with: plain) as! [String: Any]
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["gzip", "-dc", path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return try JSONSerialization.jsonObject(with: data) as! [String: Any]
}

typealias Patch = (Int, Int, String)
func patches(_ txn: [String: Any]) -> [Patch] {
    (txn["patches"] as! [[Any]]).map { (($0[0] as! NSNumber).intValue, ($0[1] as! NSNumber).intValue, $0[2] as! String) }
}

func apply(_ doc: Doc, _ edits: [Patch]) {
    let text = doc.text("text")
    doc.transact { t in
        for (position, deleted, inserted) in edits {
            if deleted > 0 { text.delete(position, deleted, t) }
            if !inserted.isEmpty { text.insert(position, inserted, t) }
        }
    }
}

let folder = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "fixtures/editing-traces"

/// Profiling the merge alone: `BENCH_HALVES=DIR` saves the two halves there
/// after a full run; a later run that finds them merges them
/// `BENCH_MERGE_LOOP` times (default 1) and does nothing else.
func mergeLoop(_ aState: [UInt8], _ bState: [UInt8], _ n: Int) throws {
    var t1 = 0.0, t2 = 0.0
    let bToo = ProcessInfo.processInfo.environment["BENCH_A_ONLY"] == nil
    for _ in 0..<n {
        let s0 = now()
        var s1 = s0
        do {
            let m = Doc(clientID: 99)
            try m.applyUpdate(aState)
            s1 = now()
            if bToo { try m.applyUpdate(bState) }
        }
        // b's time includes freeing the document, as the Python side's does.
        t1 += s1 - s0; t2 += now() - s1
    }
    print("a: \(t1 / Double(n)) b: \(t2 / Double(n)) sizes \(aState.count) \(bState.count)")
}
let halvesFolder = ProcessInfo.processInfo.environment["BENCH_HALVES"]
let loopCount = ProcessInfo.processInfo.environment["BENCH_MERGE_LOOP"].flatMap(Int.init)
if let halvesFolder, let a = FileManager.default.contents(atPath: halvesFolder + "/a.update"),
    let b = FileManager.default.contents(atPath: halvesFolder + "/b.update")
{
    try mergeLoop(Array(a), Array(b), loopCount ?? 1)
    exit(0)
}
let paper = try load(folder + "/automerge-paper.json.gz")
let paperEdits = (paper["txns"] as! [[String: Any]]).map(patches)
let end = paper["endContent"] as! String

// 1. Local apply.
var doc = Doc(clientID: 1)
var start = now()
for edits in paperEdits { apply(doc, edits) }
let localSeconds = now() - start
precondition(doc.text("text").string == end)
if ProcessInfo.processInfo.environment["BENCH_LOCAL_ONLY"] != nil && ProcessInfo.processInfo.environment["BENCH_REMOTE_ONLY"] == nil {
    print("edits=\(paperEdits.count) local_seconds=\(localSeconds)")
    exit(0)
}

// 2. Remote apply: the same history as one update per edit.
let recorder = Doc(clientID: 1)
nonisolated(unsafe) var updates: [[UInt8]] = []
updates.reserveCapacity(paperEdits.count)
recorder.observeUpdates { updates.append($0) }  // each transaction's own update, as Yjs emits them
for edits in paperEdits { apply(recorder, edits) }
let remote = Doc(clientID: 2)
start = now()
for update in updates { try remote.applyUpdate(update) }
let remoteSeconds = now() - start
precondition(remote.text("text").string == end)
if ProcessInfo.processInfo.environment["BENCH_REMOTE_ONLY"] != nil {
    print("edits=\(paperEdits.count) remote_seconds=\(remoteSeconds)")
    exit(0)
}

// 3–4. Size of the whole document as one v1 update, and loading it.
// Loading and merging take milliseconds: best of 5 (on both sides), so one
// scheduling hiccup or first-use cost does not decide the row.
let encoded = try doc.encodeStateAsUpdate()
var loadSeconds = Double.infinity
for _ in 0..<5 {
    start = now()
    let loaded = Doc(clientID: 3)
    try loaded.applyUpdate(encoded)
    loadSeconds = min(loadSeconds, now() - start)
    precondition(loaded.text("text").string == end)
}

// 5–6. Concurrent traces: one document per agent, each transaction on the merge of its parents.
func replay(_ name: String) throws -> (seconds: Double, halves: (Doc, Doc)?, end: String) {
    let trace = try load(folder + "/\(name).json.gz")
    let txns = trace["txns"] as! [[String: Any]]
    let agents = (txns.map { ($0["agent"] as! NSNumber).intValue }.max() ?? 0) + 1
    let docs = (0..<agents).map { Doc(clientID: UInt64($0) + 1) }
    nonisolated(unsafe) var own: [[UInt8]] = []
    var has = docs.map { _ in Set<Int>() }
    nonisolated(unsafe) var recording = false
    for doc in docs { doc.observeUpdates { update in if recording { own.append(update) } } }
    func bring(_ agent: Int, _ txn: Int) throws {
        guard !has[agent].contains(txn) else { return }
        for parent in (txns[txn]["parents"] as! [NSNumber]).map(\.intValue) { try bring(agent, parent) }
        try docs[agent].applyUpdate(own[txn])
        has[agent].insert(txn)
    }
    let begin = now()
    for (i, txn) in txns.enumerated() {
        let agent = (txn["agent"] as! NSNumber).intValue
        for parent in (txn["parents"] as! [NSNumber]).map(\.intValue) { try bring(agent, parent) }
        let count = own.count
        recording = true
        apply(docs[agent], patches(txn))
        recording = false
        if own.count == count { own.append(try docs[agent].encodeStateAsUpdate(stateVector: docs[agent].encodeStateVector())) }
        has[agent].insert(i)
    }
    let seconds = now() - begin
    return (seconds, docs.count >= 2 ? (docs[0], docs[1]) : nil, trace["endContent"] as! String)
}
let friends = try replay("friendsforever")
let clowns = try replay("clownschool")

// Merge the two agents' halves of friendsforever.
let (a, b) = friends.halves!
let aState = try a.encodeStateAsUpdate()
let bState = try b.encodeStateAsUpdate()
var mergeSeconds = Double.infinity
for _ in 0..<5 {
    // Timed with freeing the document (the Python side frees the previous
    // one inside its timing), but not the check of its content.
    start = now()
    var merged: Doc? = Doc(clientID: 99)
    try merged!.applyUpdate(aState)
    try merged!.applyUpdate(bState)
    let applied = now() - start
    precondition(merged!.text("text").string == friends.end)
    let freeing = now()
    merged = nil
    mergeSeconds = min(mergeSeconds, applied + now() - freeing)
}

// The same merge 200 times back to back (steady state), as the Python side does.
start = now()
for _ in 0..<200 {
    let merged = Doc(clientID: 99)
    try merged.applyUpdate(aState)
    try merged.applyUpdate(bState)
}
let mergeMeanSeconds = (now() - start) / 200

print("edits=\(paperEdits.count) local_seconds=\(localSeconds) remote_seconds=\(remoteSeconds) v1_bytes=\(encoded.count) load_seconds=\(loadSeconds) merge_seconds=\(mergeSeconds) merge_mean_seconds=\(mergeMeanSeconds) friends_seconds=\(friends.seconds) clowns_seconds=\(clowns.seconds)")
if let halvesFolder {
    FileManager.default.createFile(atPath: halvesFolder + "/a.update", contents: Data(aState))
    FileManager.default.createFile(atPath: halvesFolder + "/b.update", contents: Data(bState))
}
if let loopCount { try mergeLoop(aState, bState, loopCount) }
