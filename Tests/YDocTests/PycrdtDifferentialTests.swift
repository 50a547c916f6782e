import Encoding
import Foundation
import JSON
import TestSupport
import Testing

@testable import YDoc

/// Live differential tests against pycrdt (yrs, a Yjs port): sessions where
/// some replicas are pycrdt documents and some are Cairn's exchange v1
/// updates and state vectors; all must end equal. `tools/bootstrap --peers`
/// installs pycrdt.
@Suite struct PycrdtDifferentialTests {
    /// One replica, on either side.
    enum Replica {
        case cairn(Doc)
        case pycrdt(Int)
    }

    final class Session {
        let peer: PythonPeer
        var replicas: [Replica] = []

        init() throws {
            guard let peer = PythonPeer(script: "ydoc_peer.py") else { throw PythonPeer.PeerError(message: "python3 missing") }
            self.peer = peer
        }

        func add(cairn client: UInt64) {
            replicas.append(.cairn(Doc(clientID: client)))
        }

        func add(pycrdt client: UInt64) throws {
            let id = replicas.count
            try peer.call(["op": "new", "doc": id, "client": client])
            replicas.append(.pycrdt(id))
        }

        func update(_ i: Int, since sv: [UInt8]? = nil) throws -> [UInt8] {
            switch replicas[i] {
            case .cairn(let doc): return try doc.encodeStateAsUpdate(stateVector: sv)
            case .pycrdt(let id):
                let answer = try peer.call(["op": "update", "doc": id, "sv": sv.map(\.hex) ?? NSNull()])
                return [UInt8](hex: answer["update"] as! String)!
            }
        }

        func stateVector(_ i: Int) throws -> [UInt8] {
            switch replicas[i] {
            case .cairn(let doc): return doc.encodeStateVector()
            case .pycrdt(let id): return [UInt8](hex: try peer.call(["op": "sv", "doc": id])["sv"] as! String)!
            }
        }

        func apply(_ i: Int, _ update: [UInt8]) throws {
            switch replicas[i] {
            case .cairn(let doc): try doc.applyUpdate(update)
            case .pycrdt(let id): try peer.call(["op": "apply", "doc": id, "update": update.hex])
            }
        }

        /// The replica's roots as JSON, numbers as doubles.
        func json(_ i: Int) throws -> Lib0Any {
            switch replicas[i] {
            case .cairn(let doc):
                return .object([("m", doc.map("m").toJSON()), ("a", doc.array("a").toJSON()), ("t", .string(doc.text("t").string))])
            case .pycrdt(let id):
                let answer = try peer.call(["op": "json", "doc": id])
                let data = try JSONSerialization.data(withJSONObject: answer["json"]!)
                return Lib0Any(try JSONParser.parse(Array(data)))
            }
        }

        /// A random edit, the same kinds on both sides (ASCII text: both count it alike).
        func edit(_ i: Int, _ rng: inout SplitMix64) throws {
            let current = try json(i)
            guard case .object(let roots) = current,
                case .array(let array)? = roots.first(where: { $0.key == "a" })?.value,
                case .string(let text)? = roots.first(where: { $0.key == "t" })?.value
            else { return }
            let kind = rng.next() % 7
            let key = "k\(rng.next() % 4)"
            let number = Double(rng.next() % 1000)
            let index = Int(rng.next() % UInt64(array.count + 1))
            let textIndex = Int(rng.next() % UInt64(text.utf16.count + 1))
            let word = String((0..<Int(rng.next() % 4) + 1).map { _ in Character(Unicode.Scalar(UInt8(97 + rng.next() % 26))) })
            switch replicas[i] {
            case .cairn(let doc):
                try doc.transact { txn in
                    switch kind {
                    case 0: doc.map("m").set(key, .number(number), txn)
                    case 1: doc.map("m").set(key, .text(word), txn)
                    case 2: doc.map("m").delete(key, txn)
                    case 3: try doc.array("a").insert(index, [.number(number), .string(word)], txn)
                    case 4: if !array.isEmpty { try doc.array("a").delete(index % array.count, count: 1, txn) }
                    case 5: doc.text("t").insert(textIndex, word, txn)
                    default: if !text.isEmpty { doc.text("t").delete(textIndex % text.utf16.count, 1, txn) }
                    }
                }
            case .pycrdt(let id):
                switch kind {
                case 0: try peer.call(["op": "map_set", "doc": id, "key": key, "value": number])
                case 1: try peer.call(["op": "map_set", "doc": id, "key": key, "value": ["$text": word]])
                case 2: try peer.call(["op": "map_delete", "doc": id, "key": key])
                case 3: try peer.call(["op": "array_insert", "doc": id, "index": index, "values": [number, word]])
                case 4:
                    if !array.isEmpty { try peer.call(["op": "array_delete", "doc": id, "index": index % array.count, "count": 1]) }
                case 5: try peer.call(["op": "text_insert", "doc": id, "index": textIndex, "text": word])
                default:
                    if !text.isEmpty { try peer.call(["op": "text_delete", "doc": id, "index": textIndex % text.utf16.count, "count": 1]) }
                }
            }
        }
    }

    @Test(arguments: [UInt64(11), 12, 13, 14])
    func mixedSessionsConverge(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let session = try Session()
        session.add(cairn: 100 + seed)
        try session.add(pycrdt: 200 + seed)
        session.add(cairn: 300 + seed)
        try session.add(pycrdt: 400 + seed)
        let n = session.replicas.count
        for _ in 0..<120 {
            try session.edit(Int(rng.next() % UInt64(n)), &rng)
            if rng.next() % 3 == 0 {
                // Sync a random pair the way y-protocols does: state vector, then the diff.
                let from = Int(rng.next() % UInt64(n))
                let to = Int(rng.next() % UInt64(n))
                try session.apply(to, try session.update(from, since: try session.stateVector(to)))
            }
        }
        for from in 0..<n {
            for to in 0..<n where to != from { try session.apply(to, try session.update(from)) }
        }
        let reference = try session.json(0)
        // The session really edited something on every side of the merge.
        guard case .object(let roots) = reference, case .string(let text)? = roots.first(where: { $0.key == "t" })?.value,
            case .array(let array)? = roots.first(where: { $0.key == "a" })?.value
        else {
            Issue.record("seed \(seed): unexpected shape \(reference)")
            return
        }
        #expect(text.count > 10 && array.count > 4, "seed \(seed)")
        for i in 1..<n { #expect(try session.json(i) == reference, "seed \(seed): replica \(i) differs") }
    }

    @Test func cairnStateLoadsInPycrdtAndBack() throws {
        let session = try Session()
        session.add(cairn: 1)
        try session.add(pycrdt: 2)
        guard case .cairn(let doc) = session.replicas[0] else { return }
        try doc.transact { txn in
            doc.map("m").set("name", .string("Daily"), txn)
            doc.map("m").set("nested", .map([("x", .number(1.5)), ("body", .text("fn(state => state)"))]), txn)
            try doc.array("a").insert(0, [.number(1), .string("two"), .bool(true), .null], txn)
            doc.text("t").insert(0, "hello world", txn)
            doc.text("t").delete(5, 6, txn)
        }
        try session.apply(1, try doc.encodeStateAsUpdate())
        #expect(try session.json(1) == session.json(0))
        // And pycrdt's encoding of it loads back here.
        let back = Doc(clientID: 3)
        try back.applyUpdate(try session.update(1))
        #expect(
            Lib0Any.object([("m", back.map("m").toJSON()), ("a", back.array("a").toJSON()), ("t", .string(back.text("t").string))])
                == (try session.json(0)))
    }
}
