public import EventLog
public import Encoding
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
    /// The kinds of event `apply` acts on. The engine hands the projector
    /// only these, and decodes an event only if some projector acts on it.
    var kinds: EventKinds { get }
    /// The kinds `apply` handles detached from the writer: reading its own
    /// tables only through `context.get` and writing only through
    /// `putAtEndOfBatch` and `deleteAtEndOfBatch`. A replay may run a
    /// projector with some on a thread of its own, beside the others, until
    /// its first event of another kind, or until `apply` throws
    /// `ProjectionError.needsWriter` (before changing anything); the
    /// writer's thread carries it on from that event.
    ///
    /// Only the writer's thread writes, and it writes the detached side's
    /// tables after its own replay: the projector to detach is the one with
    /// the longest replay and the fewest entries to write (the runs
    /// projection: eight kinds of event to fold, one record a run).
    var detachedKinds: EventKinds { get }
    /// Applies one event, read in place: its ids are slices of the stored
    /// bytes, valid until the batch ends (`EventView`). A projector keeping
    /// them in `context.scratch` must drop them at `flush`.
    func apply(_ event: EventView, _ context: ProjectionContext) throws
    /// Called at the end of each batch, before its checkpoint is written:
    /// a projector that kept state in `context.scratch` writes it out here.
    func flush(_ context: ProjectionContext) throws
}

extension Projector {
    public var kinds: EventKinds { .all }
    public var detachedKinds: EventKinds { [] }
    public func flush(_ context: ProjectionContext) throws {}
}

/// Per-batch memory a projector may keep between events of one batch (say,
/// decoded records it will write once at `flush`). Dropped after the batch.
public final class Scratch {
    /// Set only through `object`, which caches the last one asked for.
    public private(set) var values: [String: AnyObject] = [:]
    /// The last object asked for: a projector asks for the same one at
    /// every event, and a hit costs no hashing.
    private var lastKey = ""
    private var lastObject: AnyObject?
    /// The type of `lastObject`: a hit is then checked without a dynamic cast.
    private var lastType: ObjectIdentifier?

    public init() {}

    /// The batch's object under `key`, made on first use.
    public func object<T: AnyObject>(_ key: String, _ make: () -> T) -> T {
        if key == lastKey, lastType == ObjectIdentifier(T.self), let cached = lastObject {
            return unsafeDowncast(cached, to: T.self)
        }
        let found: T
        if let existing = values[key] as? T {
            found = existing
        } else {
            found = make()
            values[key] = found
        }
        lastKey = key
        lastObject = found
        lastType = ObjectIdentifier(T.self)
        return found
    }
}

/// A projector's view of its own databases inside a write transaction.
/// Valid only during the call to `apply`. A class: the engine hands it to
/// every projector for every event, and a struct of four references would
/// be retained and released field by field each time.
public final class ProjectionContext {
    /// The batch's write transaction; `nil` while the projector is replayed
    /// detached (see `Projector.detachedKinds`).
    private var writer: WriteTransaction?
    /// Where `get` and `keys` read: the writer, or the detached replay's
    /// own read transaction. While a projector is detached, both show its
    /// tables as the batch found them: only it writes them, and a detached
    /// projector only defers its writes.
    private var reader: ReadTransaction
    let handles: [Database]
    /// The log the events come from; `nil` only in tests of the deferred
    /// writes, which read no event.
    let log: EventStore?
    /// This batch's scratch memory for the projector.
    public let scratch = Scratch()
    let deferred = DeferredWrites()

    init(transaction: WriteTransaction, handles: [Database], log: EventStore? = nil) {
        writer = transaction
        reader = transaction
        self.handles = handles
        self.log = log
    }

    /// The events of the run that created dataclip `id`, read in place
    /// (`EventStore.originRunEvents`): a wipe finds there the uses that
    /// runs made of their own dataclips, which no table indexes.
    public func originRunEvents(ofDataclip id: ByteSlice) throws -> [EventView] {
        guard let log else { preconditionFailure("a projection context without a log read the log") }
        return try log.originRunEvents(ofDataclip: id, in: reader)
    }

    /// The batch's write transaction. Only for the event kinds a projector
    /// does not declare detached: a detached replay never hands those over.
    public var transaction: WriteTransaction {
        guard let writer else { preconditionFailure("a detached projector asked for the write transaction") }
        return writer
    }

    /// From now until `attach`, reads go through `reader` and writes other
    /// than `putAtEndOfBatch` throw.
    func detach(reading reader: ReadTransaction) {
        writer = nil
        self.reader = reader
    }

    func attach(_ transaction: WriteTransaction) {
        writer = transaction
        reader = transaction
    }

    /// Whether the projector is being replayed detached (see
    /// `Projector.detachedKinds`): then only deferred writes are allowed.
    public var isDetached: Bool { writer == nil }

    private func writerOrThrow() throws(ProjectionError) -> WriteTransaction {
        guard let writer else { throw .detachedWrite }
        return writer
    }

    /// Stores `value` under `key` at the end of the batch, in key order with
    /// the batch's other deferred writes. Reads in this batch do not see it:
    /// use it for tables the projector does not read back before `flush`
    /// (or keeps what it needs in `scratch`).
    public func putAtEndOfBatch(_ table: Int, _ key: [UInt8], _ value: [UInt8]) {
        deferred.add(table, key, value)
    }

    /// `putAtEndOfBatch` for a key (and value) built in place by appending
    /// its parts: `context.putAtEndOfBatch(t, key: { $0.appendPart(a); $0.appendUTF8(b) })`.
    public func putAtEndOfBatch(
        _ table: Int, key: (inout EntryBuilder) -> Void, value: (inout EntryBuilder) -> Void = { _ in }
    ) {
        deferred.add(table, key: key, value: value)
    }

    /// Removes the key `key` appends at the end of the batch, in order with
    /// the batch's deferred writes (the later of a write and a removal of
    /// one key wins). Allowed detached.
    public func deleteAtEndOfBatch(_ table: Int, key: (inout EntryBuilder) -> Void) {
        deferred.addDeletion(table, key: key)
    }

    /// `putAtEndOfBatch` for a large value written in place: `value` writes
    /// at most `valueBound` bytes at the pointer it gets and returns how many.
    public func putAtEndOfBatch(
        _ table: Int, key: (inout EntryBuilder) -> Void, valueBound: Int, value: (UnsafeMutableRawPointer) -> Int
    ) {
        deferred.add(table, key: key, valueBound: valueBound, value: value)
    }

    /// Makes the deferred writes now (the engine calls it after `flush`; a
    /// projector about to read a table it defers writes to calls it first).
    public func writeDeferred() throws {
        if !deferred.isEmpty { try deferred.write(try writerOrThrow(), handles) }
    }

    /// The projector's table at `index` in its `tables`.
    public subscript(_ index: Int) -> Database { handles[index] }

    public func get(_ table: Int, _ key: [UInt8]) throws -> [UInt8]? {
        try reader.get(handles[table], key: key)
    }

    public func put(_ table: Int, _ key: [UInt8], _ value: [UInt8]) throws {
        try writerOrThrow().put(handles[table], key: key, value: value)
    }

    public func delete(_ table: Int, _ key: [UInt8]) throws {
        try writerOrThrow().delete(handles[table], key: key)
    }

    /// Keys (copied) under `prefix`, in order.
    public func keys(_ table: Int, prefix: [UInt8]) throws -> [[UInt8]] {
        var keys: [[UInt8]] = []
        try reader.scan(handles[table], in: .prefix(prefix)) { key, _ in
            keys.append(Array(key))
            return true
        }
        return keys
    }
}

/// Key pieces shared by the projections: keys sort the way readers need.
public enum Key {
    /// A string, then a 0 separator (ids never contain NUL).
    public static func part(_ s: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendPart(s)
        return bytes
    }
    public static func part(_ s: ByteSlice) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendPart(s)
        return bytes
    }

    /// A time that sorts numerically, negative times too (sign bit flipped, big-endian).
    public static func time(_ t: Timestamp) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendTime(t)
        return bytes
    }

    public static func time(from bytes: some Collection<UInt8>) -> Timestamp? {
        guard let raw = UInt64(bigEndianBytes: bytes) else { return nil }
        return Timestamp(microseconds: Int64(bitPattern: raw ^ (1 << 63)))
    }
}
