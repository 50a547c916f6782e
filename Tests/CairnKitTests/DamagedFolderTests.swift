import EventLog
import Foundation
import LMDB
import Projections
import TestSupport
import Testing
import Workflows

@testable import CairnKit

/// Values a damaged disk, or another program, may leave in a data folder
/// (session 21's review wrote each with liblmdb): each made the process
/// trap, on open or on the next write. A damaged folder gets a typed error
/// or, where the damaged thing is derived (a projection), is rebuilt.
@Suite struct DamagedFolderTests {
    static let workflowId = "7b1c2b4e-0c2d-4f7a-9a51-1d2f3e4a5b60"

    /// A folder with the sample workflow and one run.
    static func folder() throws -> TemporaryFolder {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        _ = try store.publish(try WorkflowOwnershipTests.sample(project: "pa"))
        let outcomes = try store.append([Submission(id: .random(), command: .createRun(CreateRun(
            runId: "r1", workflowId: Self.workflowId, input: NewDataclip(type: .global, body: Array("{}".utf8)))))])
        guard case .appended = outcomes.first else { throw StoreError.corrupted(what: "setup: \(outcomes)") }
        return folder
    }

    /// `folder()` with one update stored in the workflow's document (the update, returned).
    static func folderWithADocument() throws -> (TemporaryFolder, [UInt8]) {
        let folder = try folder()
        let update = Array(try Fixtures.data("ydoc/base.update"))
        let store = try Store(path: folder.path)
        _ = try store.appendDocument(workflowId, [update], owner: "pa", writer: "pa")
        return (folder, update)
    }

    /// Writes one value as another program would: LMDB alone, no store (which may refuse to open).
    static func put(_ folder: TemporaryFolder, _ database: String, _ key: [UInt8], _ value: [UInt8]) throws {
        let environment = try Environment(path: folder.path)
        let db = try environment.database(database)
        try environment.write { txn in try txn.put(db, key: key, value: value) }
    }

    /// A projection's checkpoint naming slot 2: `1 - slot` trapped on open
    /// (when the projection needed a rebuild), in `rebuild` and in `info`.
    /// The projection is derived, so opening rebuilds it from the log.
    @Test func aCheckpointNamingNoSlotIsRebuiltFromTheLog() throws {
        let folder = try Self.folder()
        try Self.put(folder, "checkpoints", Array("runs".utf8), [2] + UInt32(1).bigEndianBytes + UInt64(1).bigEndianBytes)
        let store = try Store(path: folder.path)
        #expect(try store.run("r1") != nil)
        #expect(try store.info().projections.allSatisfy { $0.slot <= 1 })
        #expect(try store.verifyProjections().isEmpty)
    }

    /// The index checkpoint past the log's last event: counting the events
    /// from there underflowed, on every open.
    @Test func anIndexCheckpointPastTheLogIsATypedError() throws {
        let folder = try Self.folder()
        try Self.put(folder, "log_index", Array("checkpoint".utf8), UInt64(1_000).bigEndianBytes)
        #expect {
            _ = try Store(path: folder.path)
        } throws: { error in
            "\(error)".contains("checkpointed at event 1000")
        }
        try Self.put(folder, "log_index", Array("checkpoint".utf8), UInt64.max.bigEndianBytes)
        #expect(throws: (any Error).self) { _ = try Store(path: folder.path) }
    }

    /// An event key far past the rest: the distance did not fit an `Int`
    /// (a trap), or, smaller, reserved memory until the process died, before
    /// the check that names the gap.
    @Test func aStrayEventKeyFarPastTheLogIsATypedError() throws {
        for stray in [UInt64(0xff00_0000_0000_0001), 1 << 40] {
            let folder = try Self.folder()
            try Self.put(folder, "events", stray.bigEndianBytes, [0])
            #expect {
                _ = try Store(path: folder.path)
            } throws: { error in
                "\(error)".contains("the log skips")
            }
        }
    }

    /// A document's revision at the largest value: the next write trapped.
    @Test func aDocumentRevisionAtItsLimitIsATypedError() throws {
        let (folder, _) = try Self.folderWithADocument()
        let id = Self.workflowId
        try Self.put(folder, "doc_revisions", Array(id.utf8), UInt64.max.bigEndianBytes)
        let store = try Store(path: folder.path)
        #expect {
            _ = try store.appendDocument(id, [Array(try Fixtures.data("ydoc/base.update"))], owner: "pa", writer: "pa")
        } throws: { error in
            error as? StoreError == .corrupted(what: "document \(id)'s revision is \(UInt64.max)")
        }
    }

    /// A stored update's key near the largest sequence: the append wrote
    /// one update at the last sequence there is and trapped counting past
    /// it. Now an append that would not fit is refused before its first write.
    @Test func aDocumentUpdateKeyNearItsLimitIsATypedError() throws {
        let (folder, update) = try Self.folderWithADocument()
        let id = Self.workflowId
        try Self.put(folder, "doc_updates", Array(id.utf8) + [0] + (UInt64.max - 1).bigEndianBytes, update)
        let store = try Store(path: folder.path)
        #expect {
            _ = try store.appendDocument(id, [update, update], owner: "pa", writer: "pa")
        } throws: { error in
            error as? StoreError == .corrupted(what: "document \(id) has an update at sequence \(UInt64.max - 1)")
        }
        // One more still fits, at the last sequence; the next has none.
        _ = try store.appendDocument(id, [update], owner: "pa", writer: "pa")
        #expect {
            _ = try store.appendDocument(id, [update], owner: "pa", writer: "pa")
        } throws: { error in
            error as? StoreError == .corrupted(what: "document \(id) has an update at sequence \(UInt64.max)")
        }
    }

    /// A stored update's key that is not prefix + 8 bytes read as sequence
    /// 0, so the next append overwrote the acknowledged update at 1.
    @Test func aDocumentUpdateKeyOfTheWrongLengthIsATypedError() throws {
        let (folder, update) = try Self.folderWithADocument()
        let id = Self.workflowId
        try Self.put(folder, "doc_updates", Array(id.utf8) + [0, 1, 2, 3], update)
        let edit = Array(try Fixtures.data("ydoc/body-edits.a.update"))
        do {
            let store = try Store(path: folder.path)
            #expect {
                _ = try store.appendDocument(id, [edit], owner: "pa", writer: "pa")
            } throws: { error in
                error as? StoreError == .corrupted(what: "document \(id) has an update key of 3 bytes")
            }
        }
        let environment = try Environment(path: folder.path)
        let updates = try environment.database("doc_updates")
        let first = Array(id.utf8) + [0] + UInt64(1).bigEndianBytes
        #expect(try environment.read { txn in try txn.get(updates, key: first) } == update)
    }

    /// Two processes creating a folder at the same moment both found it
    /// unmarked, and the second wrote its salts over the first's, which may
    /// already be salting run ids: each cron fire then got two run ids. The
    /// mark is checked again inside the transaction that writes it.
    @Test func aFolderMarkedMeanwhileKeepsItsSalts() throws {
        let folder = try Self.folder()
        let environment = try Environment(path: folder.path)
        let meta = try environment.database("meta")
        func salts() throws -> [[UInt8]?] {
            try environment.read { txn in
                try ["event_id_salt", "run_id_salt", "created_at"].map { try txn.get(meta, key: Array($0.utf8)) }
            }
        }
        let before = try salts()
        #expect(before.allSatisfy { $0 != nil })
        #expect(try environment.write { txn in try Store.createFormat(txn, meta, createdAt: 1) } == false)
        #expect(try salts() == before)
    }
}
