import JSON
import LMDB

/// `id_owners`: which workflow each job, trigger and edge id belongs to —
/// the workflow that published it first, for good (docs/architecture.md,
/// "Ids belong to one workflow"). Written in the transaction of every
/// accepted publish, so a publish reusing another workflow's id is refused
/// before anything is written.
///
/// The index also records how many publishes it covers (under `coverageKey`).
/// Opening the log compares that with the publishes the log holds: a folder
/// written before the index existed, or by an older cairn since, has more,
/// and the index is built again from every publish in sequence order
/// (`bringUpToDate`), the first publisher of an id keeping it.
struct IdOwners {
    let database: Database

    /// Not an id (ids hold no NUL): how many publishes the index covers (u64 BE).
    static let coverageKey: [UInt8] = [0]

    /// The workflow that owns `id`, or `nil` if no publish has used it.
    func owner(of id: String, _ txn: ReadTransaction) throws -> String? {
        guard !id.isEmpty else { return nil }
        return try txn.get(database, key: Array(id.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Records an accepted publish of `workflowId`: `claims` (ids no workflow owned) become its own.
    func recordPublish(of workflowId: String, claims: [String], _ txn: WriteTransaction) throws {
        let owner = Array(workflowId.utf8)
        for id in claims { try txn.put(database, key: Array(id.utf8), value: owner) }
        let covered = try coverage(txn) ?? 0
        // Read back as any 64-bit value (a damaged folder): saturate, never trap.
        try txn.put(database, key: Self.coverageKey, value: (covered == .max ? covered : covered + 1).bigEndianBytes)
    }

    func coverage(_ txn: ReadTransaction) throws -> UInt64? {
        try txn.get(database, key: Self.coverageKey).flatMap { UInt64(bigEndianBytes: $0) }
    }

    /// The ids a publish names, each with the field path a refusal reports.
    static func ids(jobIds: [String], triggerIds: [String], edgeIds: [String]) -> [OwnedId] {
        jobIds.enumerated().map { OwnedId(kind: .job, index: $0.offset, id: $0.element) }
            + triggerIds.enumerated().map { OwnedId(kind: .trigger, index: $0.offset, id: $0.element) }
            + edgeIds.enumerated().map { OwnedId(kind: .edge, index: $0.offset, id: $0.element) }
    }

    /// The edge ids of a stored workflow document (`edges[].id`). The
    /// publish event does not carry them; a document that is not a
    /// workflow's JSON (tests write any bytes) has none.
    static func edgeIds(inDocument document: [UInt8]) -> [String] {
        guard let edges = (try? JSONParser.parse(document))?["edges"]?.arrayValue else { return [] }
        return edges.compactMap { $0["id"]?.stringValue }
    }

    // MARK: Building from the log

    /// Builds the index again from every publish in the log if it does not
    /// cover them all; what it found, or `nil` when it was up to date.
    /// `publishSequences` gives the sequences of every `workflow:published`
    /// (from the stream index, not a scan of the log).
    static func bringUpToDate(
        _ owners: IdOwners, environment: Environment, events: Database,
        publishSequences: (ReadTransaction) throws -> [UInt64]
    ) throws -> IdOwnershipMigration? {
        let upToDate = try environment.read { txn in
            try owners.coverage(txn) == UInt64(publishSequences(txn).count)
        }
        if upToDate { return nil }
        return try environment.write { txn -> IdOwnershipMigration? in
            // Another process may have built it meanwhile.
            let sequences = try publishSequences(txn).sorted()
            if try owners.coverage(txn) == UInt64(sequences.count) { return nil }
            return try owners.rebuild(from: sequences, events: events, txn)
        }
    }

    private func rebuild(from sequences: [UInt64], events: Database, _ txn: WriteTransaction) throws -> IdOwnershipMigration {
        try txn.clear(database)
        var owners: [String: String] = [:]
        var workflows = Set<String>()
        var conflicts: [IdConflict] = []
        var reported = Set<[String]>()
        for sequence in sequences {
            guard let bytes = try txn.get(events, key: sequence.bigEndianBytes),
                case .workflowPublished(let e) = try EventCodec.decode(bytes, sequence: sequence).event
            else { throw EventLogError.storage("the workflow streams point at \(sequence), which is not a publish") }
            workflows.insert(e.workflowId)
            let ids = Self.ids(
                jobIds: e.jobIds, triggerIds: e.triggers.map(\.id), edgeIds: Self.edgeIds(inDocument: e.document))
            for owned in ids where !owned.id.isEmpty {
                guard let owner = owners[owned.id] else {
                    owners[owned.id] = e.workflowId
                    try txn.put(database, key: Array(owned.id.utf8), value: Array(e.workflowId.utf8))
                    continue
                }
                if owner != e.workflowId, reported.insert([owned.id, e.workflowId]).inserted {
                    conflicts.append(IdConflict(
                        kind: owned.kind, id: owned.id, owner: owner, workflowId: e.workflowId, projectId: e.projectId))
                }
            }
        }
        try txn.put(database, key: Self.coverageKey, value: UInt64(sequences.count).bigEndianBytes)
        return IdOwnershipMigration(
            publishes: sequences.count, workflows: workflows.count, ids: owners.count, conflicts: conflicts)
    }
}

/// An id in a publish: a job's, a trigger's or an edge's, at an index of its list.
struct OwnedId {
    var kind: IdKind
    var index: Int
    var id: String

    /// The field path a refusal names (`triggers[0].id`).
    var field: String { "\(kind.list)[\(index)].id" }
}

public enum IdKind: String, Sendable {
    case job, trigger, edge

    var list: String { rawValue + "s" }
}

/// Two workflows of a data folder written before ids were owned that use
/// the same id: the first publisher (`owner`) keeps it.
public struct IdConflict: Sendable, Equatable, CustomStringConvertible {
    public var kind: IdKind
    public var id: String
    /// The workflow that published the id first: it keeps it.
    public var owner: String
    /// The workflow that published it later.
    public var workflowId: String
    public var projectId: String

    public init(kind: IdKind, id: String, owner: String, workflowId: String, projectId: String) {
        self.kind = kind
        self.id = id
        self.owner = owner
        self.workflowId = workflowId
        self.projectId = projectId
    }

    public var description: String {
        let ignored = kind == .trigger ? " the scheduler and the trigger's cursor ignore its copy, and" : ""
        return "\(kind.rawValue) \(id) of workflow \(workflowId) (project \(projectId)) is also in workflow \(owner), "
            + "which published it first and keeps it:\(ignored) \(workflowId) cannot be published again "
            + "until its copy has a new id"
    }
}

/// What opening a data folder found when it built the id ownership index.
public struct IdOwnershipMigration: Sendable, Equatable, CustomStringConvertible {
    /// The publishes read (every `workflow:published` of the log).
    public var publishes: Int
    public var workflows: Int
    /// The distinct ids indexed.
    public var ids: Int
    /// Ids used by more than one workflow, in the order the later publishes came.
    public var conflicts: [IdConflict]

    public init(publishes: Int, workflows: Int, ids: Int, conflicts: [IdConflict]) {
        self.publishes = publishes
        self.workflows = workflows
        self.ids = ids
        self.conflicts = conflicts
    }

    public var description: String {
        var text = "indexed which workflow owns each of \(ids) job, trigger and edge ids "
            + "(\(publishes) publishes of \(workflows) workflows): an id belongs to the workflow that published it first"
        guard !conflicts.isEmpty else { return text }
        let shown = 20
        text += "; \(conflicts.count) shared by another workflow:"
        for conflict in conflicts.prefix(shown) { text += "\n  - \(conflict)" }
        if conflicts.count > shown { text += "\n  - and \(conflicts.count - shown) more" }
        return text
    }
}
