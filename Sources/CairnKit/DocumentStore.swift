public import LMDB
public import YDoc
import EventLog
import Foundation

/// Workflow documents in LMDB (docs/architecture.md): the updates received since the
/// last compaction (`doc_updates`: workflow, 0, sequence → update) and the
/// compacted state (`doc_state`: workflow → one merged update). Reopening a
/// document replays state then tail. `doc_revisions` (workflow → u64) counts
/// the transactions that added updates, so a holder of the document in
/// memory (the sync hub) can tell cheaply that someone else wrote to it.
/// `doc_owners` (workflow → project id) records the project a document
/// belongs to, from its first write on (`Store.documentOwner`).
public final class DocumentStore: Sendable {
    let environment: Environment
    let updates: Database
    let states: Database
    let revisions: Database
    let owners: Database
    /// Compact after this many tail updates...
    public let compactAfterUpdates: Int
    /// ...or this many tail bytes.
    public let compactAfterBytes: Int

    public init(environment: Environment, compactAfterUpdates: Int = 100, compactAfterBytes: Int = 1 << 20) throws {
        self.environment = environment
        updates = try environment.database("doc_updates")
        states = try environment.database("doc_state")
        revisions = try environment.database("doc_revisions")
        owners = try environment.database("doc_owners")
        self.compactAfterUpdates = compactAfterUpdates
        self.compactAfterBytes = compactAfterBytes
    }

    /// The key of a workflow's records. An id holding a NUL would be read as
    /// another document's prefix (`a` · 0 · `x` lies under `a` · 0): refused,
    /// like every id that cannot be a key (`Identifier`).
    static func key(_ workflowId: String) throws -> [UInt8] {
        if let problem = Identifier.problem(with: workflowId) {
            throw DocumentStoreError.invalidId(workflowId: workflowId, problem: problem)
        }
        return Array(workflowId.utf8)
    }

    /// Where a workflow's updates are: its key and a NUL, then their sequences.
    static func prefix(_ workflowId: String) throws -> [UInt8] { try key(workflowId) + [0] }

    /// Whether anything was ever stored for the document.
    public func exists(_ workflowId: String) throws -> Bool {
        try environment.read { txn in try exists(workflowId, txn) }
    }

    func exists(_ workflowId: String, _ txn: ReadTransaction) throws -> Bool {
        if try txn.get(states, key: try Self.key(workflowId)) != nil { return true }
        var any = false
        try txn.scan(updates, in: .prefix(try Self.prefix(workflowId))) { _, _ in
            any = true
            return false
        }
        return any
    }

    /// The document as `txn` sees it (a write transaction of the log's,
    /// checking who may publish it).
    func load(_ workflowId: String, _ txn: ReadTransaction) throws -> Doc {
        let doc = Doc()
        try replay(workflowId, into: doc, txn)
        return doc
    }

    /// The document rebuilt from its compacted state and the updates after it.
    public func load(_ workflowId: String, clientID: UInt64? = nil) throws -> Doc {
        try loadWithRevision(workflowId, clientID: clientID).0
    }

    /// Replays what is stored, as it was accepted: the limits apply to new
    /// input only (`Doc.applyStoredUpdate`, docs/documents.md "Limits"). A
    /// record that cannot be read at all (damaged) throws, naming it.
    private func replay(_ workflowId: String, into doc: Doc, _ txn: ReadTransaction) throws {
        if let state = try txn.get(states, key: try Self.key(workflowId)) {
            do {
                try doc.applyStoredUpdate(Array(state))
            } catch {
                throw DocumentStoreError.unreadableRecord(workflowId: workflowId, record: "compacted state", error)
            }
        }
        let prefix = try Self.prefix(workflowId)
        try txn.scan(updates, in: .prefix(prefix)) { key, value in
            do {
                try doc.applyStoredUpdate(Array(value))
            } catch let error as YDocError {
                let sequence = UInt64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: key[prefix.count...])) ?? 0
                throw DocumentStoreError.unreadableRecord(workflowId: workflowId, record: "update \(sequence)", error)
            }
            return true
        }
    }

    /// The document's revision: 0 before anything was stored, then one more
    /// for every `append`.
    public func revision(_ workflowId: String) throws -> UInt64 {
        try environment.read { txn in try revision(workflowId, txn) }
    }

    private func revision(_ workflowId: String, _ txn: ReadTransaction) throws -> UInt64 {
        try txn.get(revisions, key: try Self.key(workflowId)).flatMap { UInt64(bigEndianBytes: $0) } ?? 0
    }

    /// The project recorded as the document's owner, if any.
    public func owner(_ workflowId: String) throws -> String? {
        try environment.read { txn in try owner(workflowId, txn) }
    }

    func owner(_ workflowId: String, _ txn: ReadTransaction) throws -> String? {
        try txn.get(owners, key: try Self.key(workflowId)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Records `project` as the document's owner, replacing any other (an
    /// operator's claim, or a publish into that project).
    public func setOwner(_ workflowId: String, _ project: String) throws {
        try environment.write { txn in try txn.put(owners, key: try Self.key(workflowId), value: Array(project.utf8)) }
    }

    /// Stores updates already checked (applied to a document) in one durable
    /// transaction, compacting when the tail has grown. Nothing is
    /// acknowledged before this returns. Returns the document's new revision.
    /// `owner`, when given, is recorded in the same transaction if the
    /// document has none yet (its first write).
    ///
    /// `writer` is the project of the token writing (`nil`: the CLI, an
    /// operator, an open server: not checked). Its access is checked in
    /// this very transaction, so no other write (another connection,
    /// another process, a publish) can come between the check and the
    /// write: the document's owner — `publishedOwner` (its latest
    /// snapshot's project, which `Store.documentOwner` puts first, read in
    /// this transaction), else the one recorded, else `owner` for a first
    /// write — must be `writer`, or `DocumentAccessError` is thrown and
    /// nothing is stored.
    @discardableResult
    public func append(
        _ workflowId: String, _ accepted: [[UInt8]], owner: String? = nil, writer: String? = nil,
        publishedOwner: (ReadTransaction) throws -> String? = { _ in nil }
    ) throws -> UInt64 {
        guard !accepted.isEmpty else { return try revision(workflowId) }
        return try environment.write { txn in
            let recorded = try self.owner(workflowId, txn)
            if let writer {
                let effective = try publishedOwner(txn) ?? recorded ?? owner
                guard effective == writer else {
                    throw DocumentAccessError(
                        workflowId: workflowId, project: writer,
                        reason: effective.map { "it belongs to project \($0)" } ?? "it belongs to no project")
                }
            }
            if let owner, recorded == nil {
                try txn.put(owners, key: try Self.key(workflowId), value: Array(owner.utf8))
            }
            let stored = try self.revision(workflowId, txn)
            guard stored < .max else { throw StoreError.corrupted(what: "document \(workflowId)'s revision is \(stored)") }
            let revision = stored + 1
            try txn.put(revisions, key: try Self.key(workflowId), value: revision.bigEndianBytes)
            let prefix = try Self.prefix(workflowId)
            var next: UInt64 = 1
            var tailCount = 0
            var tailBytes = 0
            try txn.scan(updates, in: .prefix(prefix)) { key, value in
                // A key that is not a sequence read as 0 made the append
                // overwrite the update at 1: a damaged tail is refused whole.
                guard key.count == prefix.count + 8,
                      let last = UInt64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: key[prefix.count...]))
                else { throw StoreError.corrupted(what: "document \(workflowId) has an update key of \(key.count - prefix.count) bytes") }
                next = last &+ 1
                tailCount += 1
                tailBytes += value.count
                return true
            }
            // The last sequence written, next + count - 1, must fit: checked
            // before the first put, not trapped on between two.
            guard next > 0, next - 1 <= UInt64.max - UInt64(accepted.count) else {
                throw StoreError.corrupted(what: "document \(workflowId) has an update at sequence \(next &- 1)")
            }
            for (offset, update) in accepted.enumerated() {
                try txn.put(updates, key: prefix + (next + UInt64(offset)).bigEndianBytes, value: update)
                tailCount += 1
                tailBytes += update.count
            }
            if tailCount >= compactAfterUpdates || tailBytes >= compactAfterBytes {
                // The updates are stored whatever happens here: a document
                // that cannot be compacted keeps its tail, and says so.
                do {
                    try compact(workflowId, txn)
                } catch let error as DocumentStoreError {
                    Store.standardErrorNotice("cairn: document \(workflowId) not compacted, its tail is kept: \(error)")
                }
            }
            return revision
        }
    }

    /// The document and its revision, read in one transaction.
    public func loadWithRevision(_ workflowId: String, clientID: UInt64? = nil) throws -> (Doc, UInt64) {
        let doc = clientID.map { Doc(clientID: $0) } ?? Doc()
        let current = try environment.read { txn in
            try replay(workflowId, into: doc, txn)
            return try self.revision(workflowId, txn)
        }
        return (doc, current)
    }

    /// Replaces state + tail by one merged update, inside the caller's write
    /// transaction: whatever arrived before it is in the result, including
    /// what still waits for a struct never received (pending structs and
    /// deletions, kept as Yjs keeps them: docs/documents.md, "Compaction").
    /// Throws `DocumentStoreError` before writing anything when a stored
    /// record cannot be read; a storage error while writing fails the
    /// transaction.
    func compact(_ workflowId: String, _ txn: WriteTransaction) throws {
        let doc = Doc(clientID: 0)
        doc.gc = true
        try replay(workflowId, into: doc, txn)
        let state = try doc.encodeStateAsUpdate(includingPending: true)
        try txn.put(states, key: try Self.key(workflowId), value: state)
        var keys: [[UInt8]] = []
        try txn.scan(updates, in: .prefix(try Self.prefix(workflowId))) { key, _ in
            keys.append(Array(key))
            return true
        }
        for key in keys { try txn.delete(updates, key: key) }
    }

    /// Forces a compaction now.
    public func compact(_ workflowId: String) throws {
        try environment.write { txn in try compact(workflowId, txn) }
    }

    /// The number of tail updates (for tests and `info`).
    public func tailCount(_ workflowId: String) throws -> Int {
        try environment.read { txn in
            var count = 0
            try txn.scan(updates, in: .prefix(try Self.prefix(workflowId))) { _, _ in
                count += 1
                return true
            }
            return count
        }
    }
}

/// A stored record of a document that cannot be replayed.
public enum DocumentStoreError: Error, CustomStringConvertible {
    /// `record` ("compacted state", "update 12") of the document does not
    /// decode (damaged storage): the document cannot be loaded or compacted
    /// until it is repaired; nothing is folded away meanwhile.
    case unreadableRecord(workflowId: String, record: String, YDocError)
    /// The workflow id cannot be a key (empty, too long, or holding a NUL).
    case invalidId(workflowId: String, problem: String)

    public var description: String {
        switch self {
        case let .unreadableRecord(workflowId, record, error):
            return "document \(workflowId): stored \(record) cannot be replayed: \(error)"
        case let .invalidId(workflowId, problem):
            return "document id '\(workflowId.debugDescription.dropFirst().dropLast())' \(problem)"
        }
    }
}
