public import EventLog
public import LMDB

/// A projection: state derived from the log by a pure function of (state,
/// event). Its state lives in its own LMDB databases, written in the same
/// transaction as its checkpoint, so an event is applied exactly once.
///
/// Bump `version` whenever `apply` changes meaning: the engine then rebuilds
/// the projection from the log when the store opens.
public protocol Projector: Sendable {
    /// A stable name; it prefixes the projection's database names.
    var name: String { get }
    var version: UInt32 { get }
    /// The projection's databases, by logical name.
    var tables: [String] { get }
    func apply(_ event: RecordedEvent, _ context: ProjectionContext) throws
    /// Called at the end of each batch, before its checkpoint is written:
    /// a projector that kept state in `context.scratch` writes it out here.
    func flush(_ context: ProjectionContext) throws
}

extension Projector {
    public func flush(_ context: ProjectionContext) throws {}
}

/// Per-batch memory a projector may keep between events of one batch (say,
/// decoded records it will write once at `flush`). Dropped after the batch.
public final class Scratch {
    public var values: [String: AnyObject] = [:]
    public init() {}
}

/// A projector's view of its own databases inside a write transaction.
/// Valid only during the call to `apply`.
public struct ProjectionContext {
    public let transaction: WriteTransaction
    let handles: [Database]
    /// This batch's scratch memory for the projector.
    public let scratch = Scratch()

    /// The projector's table at `index` in its `tables`.
    public subscript(_ index: Int) -> Database { handles[index] }

    public func get(_ table: Int, _ key: [UInt8]) throws -> [UInt8]? {
        try transaction.get(handles[table], key: key)
    }

    public func put(_ table: Int, _ key: [UInt8], _ value: [UInt8]) throws {
        try transaction.put(handles[table], key: key, value: value)
    }

    public func delete(_ table: Int, _ key: [UInt8]) throws {
        try transaction.delete(handles[table], key: key)
    }

    /// Keys (copied) under `prefix`, in order.
    public func keys(_ table: Int, prefix: [UInt8]) throws -> [[UInt8]] {
        var keys: [[UInt8]] = []
        try transaction.scan(handles[table], in: .prefix(prefix)) { key, _ in
            keys.append(Array(key))
            return true
        }
        return keys
    }
}

/// Key pieces shared by the projections: keys sort the way readers need.
public enum Key {
    /// A string, then a 0 separator (ids never contain NUL).
    public static func part(_ s: String) -> [UInt8] { Array(s.utf8) + [0] }

    /// A time that sorts numerically, negative times too (sign bit flipped, big-endian).
    public static func time(_ t: Timestamp) -> [UInt8] {
        (UInt64(bitPattern: t.microseconds) ^ (1 << 63)).bigEndianBytes
    }

    public static func time(from bytes: some Collection<UInt8>) -> Timestamp? {
        guard let raw = UInt64(bigEndianBytes: bytes) else { return nil }
        return Timestamp(microseconds: Int64(bitPattern: raw ^ (1 << 63)))
    }
}
