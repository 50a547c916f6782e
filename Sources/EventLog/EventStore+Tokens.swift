import LMDB

/// The `tokens` table: written with each `token:created` and
/// `token:revoked` in the append's transaction, so a revocation holds for
/// every reader from the moment it commits (docs/http.md, "Tokens and roles").
extension EventStore {
    /// The token `id`, revoked or not.
    public func token(_ id: String) throws -> StoredToken? {
        try environment.read { txn in try loadToken(id, txn) }
    }

    /// The token whose secret hashes to `secretHash`, and when it was last
    /// noted as used: one read transaction, two gets, for every request.
    public func token(secretHash: [UInt8]) throws -> (token: StoredToken, lastUsed: Timestamp?)? {
        try environment.read { txn in
            guard let id = try txn.get(tokenHashes, key: secretHash), let token = try loadToken(id, txn) else { return nil }
            let used = try txn.get(tokenUses, key: id).flatMap { UInt64(bigEndianBytes: $0) }
            return (token, used.map { Timestamp(microseconds: Int64(bitPattern: $0)) })
        }
    }

    /// Every token (of `projectId` when given), ordered by creation, with
    /// when each was last noted as used.
    public func tokens(projectId: String? = nil) throws -> [(token: StoredToken, lastUsed: Timestamp?)] {
        try environment.read { txn in
            var found: [(StoredToken, Timestamp?)] = []
            try txn.scan(tokens, in: .all) { key, value in
                let token = try StoredToken.decode(Array(value))
                if projectId == nil || token.projectId == projectId {
                    let used = try txn.get(tokenUses, key: Array(key)).flatMap { UInt64(bigEndianBytes: $0) }
                    found.append((token, used.map { Timestamp(microseconds: Int64(bitPattern: $0)) }))
                }
                return true
            }
            return found.sorted { ($0.0.createdAt, $0.0.id) < ($1.0.createdAt, $1.0.id) }
        }
    }

    /// Whether any token was ever made (revoked or expired ones count: a
    /// folder that had tokens never falls back to an open API).
    public func hasTokens() throws -> Bool {
        try environment.read { txn in try txn.statistics(tokens).entries > 0 }
    }

    /// Records that token `id` was used at `at`. Not an event: use is not
    /// an audit fact, and the service writes it at most once an hour a
    /// token, off the request path.
    public func noteTokenUse(_ id: String, at: Timestamp) throws {
        try environment.write { txn in
            try txn.put(tokenUses, key: Array(id.utf8), value: UInt64(bitPattern: at.microseconds).bigEndianBytes)
        }
    }

    func loadToken(_ id: String, _ txn: ReadTransaction) throws -> StoredToken? {
        try loadToken(Array(id.utf8), txn)
    }

    func loadToken(_ key: [UInt8], _ txn: ReadTransaction) throws -> StoredToken? {
        try txn.get(tokens, key: key).map(StoredToken.decode)
    }
}

extension EventStore {
    /// The audit trail (docs/operations.md, "Audit trail"): every publish
    /// and every token made or revoked, in log order; only `workflowId`'s
    /// publishes when it is given. Read through the streams index, never by
    /// scanning the log.
    public func auditEvents(workflowId: String? = nil) throws -> [RecordedEvent] {
        try environment.read { txn in
            let view = try index.view(txn)
            let streams = try workflowId.map { ["workflow:" + $0] }
                ?? (index.namedStreams(withPrefix: "workflow:", txn, view) + index.namedStreams(withPrefix: "token:", txn, view))
            return try streams.flatMap { try readStream($0, txn, view) }.sorted { $0.sequence < $1.sequence }
        }
    }
}
