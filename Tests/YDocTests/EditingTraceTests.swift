import Foundation
import TestSupport
import Testing

@testable import YDoc

/// Real editing histories (fixtures/editing-traces/): replaying them must
/// give the recorded end content.
struct Trace {
    struct Txn {
        var patches: [(position: Int, deleted: Int, inserted: String)]
        var parents: [Int]
        var agent: Int
    }

    var endContent: String
    var txns: [Txn]

    static func load(_ name: String) throws -> Trace {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc", Fixtures.url("editing-traces/\(name).json.gz").path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let root = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let txns = (root["txns"] as! [[String: Any]]).map { t in
            Txn(
                patches: (t["patches"] as! [[Any]]).map { p in
                    ((p[0] as! NSNumber).intValue, (p[1] as! NSNumber).intValue, p[2] as! String)
                },
                parents: (t["parents"] as? [NSNumber])?.map(\.intValue) ?? [],
                agent: (t["agent"] as? NSNumber)?.intValue ?? 0)
        }
        return Trace(endContent: root["endContent"] as! String, txns: txns)
    }
}

@Suite struct EditingTraceTests {
    @Test(arguments: ["automerge-paper", "seph-blog1"])
    func sequentialTraceGivesItsEndContent(_ name: String) throws {
        let trace = try Trace.load(name)
        let doc = Doc(clientID: 1)
        let text = doc.text("text")
        for txn in trace.txns {
            doc.transact { t in
                for patch in txn.patches {
                    if patch.deleted > 0 { text.delete(patch.position, patch.deleted, t) }
                    if !patch.inserted.isEmpty { text.insert(patch.position, patch.inserted, t) }
                }
            }
        }
        #expect(text.string == trace.endContent)
        // The whole history survives an encode/decode round trip.
        let copy = Doc(clientID: 2)
        try copy.applyUpdate(try doc.encodeStateAsUpdate())
        #expect(copy.text("text").string == trace.endContent)
    }

    /// One document per agent; each transaction applies to the merge of its
    /// parents (the agent's document first receives every ancestor it lacks).
    @Test(arguments: ["friendsforever", "clownschool"])
    func concurrentTraceMergesToItsEndContent(_ name: String) throws {
        let trace = try Trace.load(name)
        let agents = (trace.txns.map(\.agent).max() ?? 0) + 1
        let docs = (0..<agents).map { Doc(clientID: UInt64($0) + 1) }
        var own: [[UInt8]] = []  // each transaction's own update
        var has = docs.map { _ in Set<Int>() }  // transactions each doc holds (causally closed)
        // Ancestors first, with an explicit stack: the chain of ancestors
        // runs thousands deep, too deep to recurse on a test worker's stack
        // (it overflowed under AddressSanitizer).
        func bring(_ agent: Int, _ txn: Int) throws {
            var stack = [(txn: txn, parentsDone: false)]
            while let (next, parentsDone) = stack.popLast() {
                guard !has[agent].contains(next) else { continue }
                if parentsDone {
                    try docs[agent].applyUpdate(own[next])
                    has[agent].insert(next)
                } else {
                    stack.append((next, true))
                    for parent in trace.txns[next].parents.reversed() where !has[agent].contains(parent) {
                        stack.append((parent, false))
                    }
                }
            }
        }
        for (i, txn) in trace.txns.enumerated() {
            let doc = docs[txn.agent]
            for parent in txn.parents { try bring(txn.agent, parent) }
            let before = doc.stateVector
            let text = doc.text("text")
            doc.transact { t in
                for patch in txn.patches {
                    if patch.deleted > 0 { text.delete(patch.position, patch.deleted, t) }
                    if !patch.inserted.isEmpty { text.insert(patch.position, patch.inserted, t) }
                }
            }
            own.append(doc.encodeStateAsUpdate(from: before))
            has[txn.agent].insert(i)
        }
        let merged = Doc(clientID: 999)
        for doc in docs { try merged.applyUpdate(try doc.encodeStateAsUpdate()) }
        #expect(merged.text("text").string == trace.endContent)
    }
}
