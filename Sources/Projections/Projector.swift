public import EventLog
public import LMDB
import Glibc

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

    /// The batch's object under `key`, made on first use.
    public func object<T: AnyObject>(_ key: String, _ make: () -> T) -> T {
        if let existing = values[key] as? T { return existing }
        let fresh = make()
        values[key] = fresh
        return fresh
    }
}

/// A string-to-string map kept for one batch (say, run id → workflow id for
/// runs created in the batch, whose table writes are deferred).
public final class BatchMap {
    public var values: [String: String] = [:]
    public init() {}
}

/// Writes deferred to the end of a batch and then made in key order. LMDB
/// copies every leaf page a write transaction touches; inserting a batch's
/// keys in order touches each page once, in random order once per key.
final class DeferredWrites {
    var tables: [[(key: [UInt8], value: [UInt8])]] = []

    var isEmpty: Bool { tables.allSatisfy(\.isEmpty) }

    func add(_ table: Int, _ key: [UInt8], _ value: [UInt8]) {
        while tables.count <= table { tables.append([]) }
        tables[table].append((key, value))
    }

    func write(_ transaction: WriteTransaction, _ handles: [Database]) throws {
        for (table, entries) in tables.enumerated() where !entries.isEmpty {
            // Stable by position, so a later write of the same key wins as it would have.
            let order = entries.indices.sorted { a, b in
                let order = compare(entries[a].key, entries[b].key)
                return order != 0 ? order < 0 : a < b
            }
            for index in order { try transaction.put(handles[table], key: entries[index].key, value: entries[index].value) }
        }
        tables.removeAll(keepingCapacity: true)
    }

    /// LMDB's default key order: bytes compared as unsigned, a prefix first.
    private func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                let common = min(x.count, y.count)
                if common > 0, let p = x.baseAddress, let q = y.baseAddress {
                    let order = memcmp(p, q, common)
                    if order != 0 { return Int(order) }
                }
                return x.count - y.count
            }
        }
    }
}

/// A projector's view of its own databases inside a write transaction.
/// Valid only during the call to `apply`.
public struct ProjectionContext {
    public let transaction: WriteTransaction
    let handles: [Database]
    /// This batch's scratch memory for the projector.
    public let scratch = Scratch()
    let deferred = DeferredWrites()

    /// Stores `value` under `key` at the end of the batch, in key order with
    /// the batch's other deferred writes. Reads in this batch do not see it:
    /// use it for tables the projector does not read back before `flush`
    /// (or keeps what it needs in `scratch`).
    public func putAtEndOfBatch(_ table: Int, _ key: [UInt8], _ value: [UInt8]) {
        deferred.add(table, key, value)
    }

    /// Makes the deferred writes now (the engine calls it after `flush`; a
    /// projector about to read a table it defers writes to calls it first).
    public func writeDeferred() throws {
        if !deferred.isEmpty { try deferred.write(transaction, handles) }
    }

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
