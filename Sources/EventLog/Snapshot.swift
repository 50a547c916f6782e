import Encoding
import LMDB

/// A published workflow version as the `snapshots` database holds it: the
/// summary the log validates runs against, the content hash that decides
/// whether a publish changed anything, and the document itself.
public struct StoredSnapshot: Sendable, Equatable {
    public var summary: WorkflowPublished
    public var contentHash: [UInt8]

    public var lockVersion: UInt32 { summary.lockVersion }
    public var document: [UInt8] { summary.document }

    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 64 + summary.document.count)
        w.writeBytes(contentHash)
        EventCodec.encodePayload(.workflowPublished(summary), schema: 1, into: &w)
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> StoredSnapshot {
        try bytes.withUnsafeBytes { raw in
            var r = BorrowedReader(raw)
            let hash = Array(try r.readBytes(32))
            guard case .workflowPublished(let summary) = try EventCodec.decodeWhole(
                .workflowPublished, schema: 1, from: &r, sequence: 0, interner: nil)
            else { throw EventLogError.storage("snapshot record is not a workflow") }
            return StoredSnapshot(summary: summary, contentHash: hash)
        }
    }

    static func key(workflowId: String, lockVersion: UInt32) -> [UInt8] {
        Array(workflowId.utf8) + [0] + lockVersion.bigEndianBytes
    }

    static func hash(_ content: [UInt8]) -> [UInt8] { SHA256.hash(content) }
}
