import Foundation
import YDoc

/// What must hold of a document after any sequence of updates, accepted or not.
public enum YDocChecks {
    /// The document's state (pending structs included) survives encoding:
    /// a fresh document that applies it reaches the same state vector, and
    /// encoding that one again is accepted by a third. A replica built from
    /// what this one sends must be the same replica.
    public static func roundTrips(_ doc: Doc, _ what: @autoclosure () -> String) {
        // Without pending structs: what a peer is sent as a diff.
        let integrated = (try? doc.encodeStateAsUpdate()) ?? []
        let plain = Doc(clientID: 7)
        do { try plain.applyUpdate(integrated) } catch {
            require(false, "\(what()): the document's state (no pending) is refused: \(error)")
            return
        }
        require(plain.stateVector == doc.stateVector,
                "\(what()): a copy made from the state (no pending) has state vector \(plain.stateVector), not \(doc.stateVector); state \(hex(integrated))")
        // With pending structs: what compaction stores (docs/documents.md, "Compaction").
        let state: [UInt8]
        do { state = try doc.encodeStateAsUpdate(includingPending: true) } catch {
            require(false, "\(what()): encodeStateAsUpdate failed: \(error)")
            return
        }
        let copy = Doc(clientID: 7)
        do { try copy.applyUpdate(state) } catch {
            require(false, "\(what()): the document's own state is refused: \(error)")
            return
        }
        sound(copy, "\(what()): a copy made from its state")
        // Finding 2 (Fuzz/README.md): a copy integrated structs the document held pending.
        require(copy.stateVector == doc.stateVector,
                "\(what()): a copy made from the state including pending has state vector \(copy.stateVector), not \(doc.stateVector); state \(hex(state))")
        // And the same content: equal state vectors with different text was a finding of its own
        // (crossed neighbours placed by how each replica's structs were split).
        require(copy.contentJSON() == doc.contentJSON(),
                "\(what()): a copy made from the state including pending has other content; state \(hex(state))")
        // A diff against a peer's state vector is accepted by that peer.
        let sv = plain.encodeStateVector()
        do {
            let diff = try doc.encodeStateAsUpdate(stateVector: sv)
            try plain.applyUpdate(diff)
        } catch {
            require(false, "\(what()): a diff against the copy's state vector is refused: \(error)")
        }
        require(plain.stateVector == doc.stateVector, "\(what()): applying the diff moved the copy's state vector")
        require(plain.contentJSON() == doc.contentJSON(), "\(what()): a copy made from the state and a diff has other content")
    }
}

extension YDocChecks {
    /// Applies `update` and checks what must hold of any update: a refused
    /// one changes nothing (the state vector stays); `checkUpdate` refuses
    /// exactly what `applyUpdate` refuses; an accepted one applied again
    /// changes nothing, unless two different structs claimed one id in the
    /// document (`Doc.sawTwoStructsForOneId`). Returns whether it was accepted.
    @discardableResult
    public static func apply(_ doc: Doc, _ update: [UInt8], _ label: @autoclosure () -> String) -> Bool {
        defer { sound(doc, label()) }
        let before = doc.stateVector
        var checkError: YDocError?
        do { try doc.checkUpdate(update) } catch { checkError = error }
        do {
            try doc.applyUpdate(update)
            require(checkError == nil, "\(label()): checkUpdate refused (\(checkError!)) what applyUpdate accepted")
            let after = doc.stateVector
            let rivals = doc.sawTwoStructsForOneId
            try? doc.applyUpdate(update)
            // Where two structs claimed one id, which one wins may depend
            // on what came before, in Yjs too (finding 21). The flag clears
            // once nothing waits, so it is read after each application.
            require(doc.stateVector == after || rivals || doc.sawTwoStructsForOneId,
                    "\(label()): applying the same update twice moved the state vector")
            return true
        } catch {
            require(checkError != nil, "\(label()): checkUpdate accepted what applyUpdate refused: \(error)")
            require(doc.stateVector == before, "\(label()): a refused update (\(error)) changed the state vector")
            return false
        }
    }
}

extension YDocChecks {
    /// The struct graph is sound (`Doc.integrityProblems`): every linked
    /// item held, every held item linked by its parent. Links are
    /// unretained, so a break here is a freed read waiting to happen, even
    /// where this input did not yet make one.
    public static func sound(_ doc: Doc, _ what: @autoclosure () -> String) {
        let problems = doc.integrityProblems()
        require(problems.isEmpty, "\(what()): the struct graph is broken: \(problems)")
    }
}

/// With `CAIRN_FUZZ_DUMP=DIR` in the environment, a structure-aware target
/// writes the updates it made into DIR, in the order the document got them
/// (`NN-remote.update`: generated; `NN-local.update`: what a local edit
/// emitted), and `all.ffffff`: the same joined with `FF FF FF`, which
/// `fuzz-ydoc-update` reads as that sequence (on an empty document, then on
/// base.update). So a finding of the generator becomes plain Yjs updates for
/// a regression test in the main suite (`onBase` says whether the document
/// started from fixtures/ydoc/base.update).
public final class Dump {
    let folder: String?
    let onBase: Bool
    var updates: [(kind: String, bytes: [UInt8])] = []

    public init(onBase: Bool) {
        self.onBase = onBase
        folder = ProcessInfo.processInfo.environment["CAIRN_FUZZ_DUMP"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Written at once: a finding may stop the process before the next update.
    public func add(_ kind: String, _ bytes: [UInt8]) {
        guard let folder else { return }
        if updates.isEmpty {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            FileManager.default.createFile(
                atPath: folder + "/README", contents: Data("on base.update: \(onBase)\n".utf8))
        }
        updates.append((kind, bytes))
        let name = String(format: "%02d-%@.update", updates.count - 1, kind)
        FileManager.default.createFile(atPath: folder + "/" + name, contents: Data(bytes))
        var all: [UInt8] = []
        for (i, u) in updates.enumerated() {
            if i > 0 { all += [0xFF, 0xFF, 0xFF] }
            all += u.bytes
        }
        FileManager.default.createFile(atPath: folder + "/all.ffffff", contents: Data(all))
    }

    public func write() {}
}
