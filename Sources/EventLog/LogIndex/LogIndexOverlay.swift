import Encoding

/// The log's index entries for the events above the index checkpoint, held
/// in memory until a flush writes them to LMDB (docs/architecture.md, "The
/// log first, its indexes behind it").
///
/// Streams, step ids and dataclip ids are kept by a 64-bit hash of their
/// name, each pointing at the latest event that has it; that event links to
/// the previous one with the same hash, and so on down. Two names with the
/// same hash share one chain, so a reader checks every event a chain gives
/// it against the log (`LogIndex`): the overlay never answers alone, and a
/// collision costs a wasted read, never a wrong answer. Event ids, 16 bytes
/// of their own, are kept exactly.
///
/// A value: `LogIndex` owns the one instance and guards it with its lock.
struct LogIndexOverlay {
    /// Entries cover the events in `base + 1 ... through`.
    private(set) var base: UInt64
    private(set) var through: UInt64
    /// The last checkpoint a flush of this process wrote: the entries up to
    /// it are in LMDB too, and stay here one flush longer, for readers whose
    /// transaction began before that flush (they would otherwise scan the log).
    private(set) var flushedThrough: UInt64
    private var eventIds: [EventID: UInt64] = [:]
    private var streams: [UInt64: UInt64] = [:]
    private var steps: [UInt64: UInt64] = [:]
    private var dataclips: [UInt64: UInt64] = [:]
    /// Project and workflow streams by name, with their first event here,
    /// for listing a prefix (`projectIds`, the publishes an id-ownership
    /// build reads). A stream whose first event here is at or below a
    /// reader's checkpoint has an earlier one in LMDB, and is listed from there.
    private var namedStreams: [String: UInt64] = [:]
    /// For the event at `base + 1 + i`: the previous event of each chain it is on.
    private var links: [Links] = []

    struct Links {
        var stream: UInt64 = 0
        var step: UInt64 = 0
        var dataclip: UInt64 = 0
    }

    /// One event's keys, as the overlay stores them.
    struct Entry {
        var sequence: UInt64
        var eventId: EventID
        var streamHash: UInt64
        /// The stream's name when it is listed by prefix (`isNamed`).
        var namedStream: String?
        var stepHash: UInt64?
        var dataclipHash: UInt64?
    }

    enum Chain {
        case stream, step, dataclip
    }

    init(checkpoint: UInt64) {
        base = checkpoint
        through = checkpoint
        flushedThrough = checkpoint
    }

    /// How many events the overlay holds entries for.
    var count: Int { Int(through - base) }

    /// How many of them are not in LMDB yet (as far as this process knows).
    var unflushedCount: Int { Int(through - min(max(base, flushedThrough), through)) }

    /// A flush wrote the entries up to `sequence`: drops the generation the
    /// flush before it wrote, keeps this one.
    mutating func markFlushed(through sequence: UInt64) {
        let previous = flushedThrough
        prune(through: previous)
        flushedThrough = max(flushedThrough, sequence)
    }

    /// Whether `name` is a stream listed by prefix: a project's, a workflow's or a token's.
    static func isNamed(_ name: UnsafeRawBufferPointer) -> Bool {
        guard let first = name.first else { return false }
        // "project:…", "workflow:…" and "token:…" (the audit trail); runs
        // ("run:"), dataclips and the scheduler are not listed.
        return (first == UInt8(ascii: "p") && name.starts(with: "project:".utf8))
            || (first == UInt8(ascii: "w") && name.starts(with: "workflow:".utf8))
            || (first == UInt8(ascii: "t") && name.starts(with: "token:".utf8))
    }

    // MARK: Adding

    /// Makes room for `count` more events (a catch-up knows how many), so
    /// the tables grow once instead of doubling their way there.
    mutating func reserveCapacity(_ count: Int) {
        guard count > 1_024 else { return }
        eventIds.reserveCapacity(eventIds.count + count)
        streams.reserveCapacity(streams.count + count / 4)
        steps.reserveCapacity(steps.count + count / 4)
        dataclips.reserveCapacity(dataclips.count + count / 4)
        links.reserveCapacity(links.count + count)
    }

    /// Adds the keys of the event right after `through`.
    mutating func add(_ entry: Entry) {
        precondition(entry.sequence == through + 1, "overlay entries are added in sequence order")
        var link = Links()
        eventIds[entry.eventId] = entry.sequence
        link.stream = streams.updateValue(entry.sequence, forKey: entry.streamHash) ?? 0
        if let name = entry.namedStream, namedStreams[name] == nil { namedStreams[name] = entry.sequence }
        if let hash = entry.stepHash { link.step = steps.updateValue(entry.sequence, forKey: hash) ?? 0 }
        if let hash = entry.dataclipHash { link.dataclip = dataclips.updateValue(entry.sequence, forKey: hash) ?? 0 }
        links.append(link)
        through = entry.sequence
    }

    // MARK: Reading

    /// The sequence of the event with id `id`, if it is in `lower + 1 ... upper`.
    func sequence(ofEvent id: EventID, above lower: UInt64, through upper: UInt64) -> UInt64? {
        guard let sequence = eventIds[id], sequence > lower, sequence <= upper else { return nil }
        return sequence
    }

    /// The events in `lower + 1 ... upper` on the chain of `hash`, newest
    /// first: every event with that hash, and so every event whose name has it.
    func candidates(
        _ chain: Chain, hash: UInt64, above lower: UInt64, through upper: UInt64, limit: Int = .max
    ) -> [UInt64] {
        let start: UInt64?
        switch chain {
        case .stream: start = streams[hash]
        case .step: start = steps[hash]
        case .dataclip: start = dataclips[hash]
        }
        var result: [UInt64] = []
        var sequence = start ?? 0
        let floor = max(lower, base)
        while sequence > floor && result.count < limit {
            if sequence <= upper { result.append(sequence) }
            let link = links[Int(sequence - base - 1)]
            switch chain {
            case .stream: sequence = link.stream
            case .step: sequence = link.step
            case .dataclip: sequence = link.dataclip
            }
        }
        return result
    }

    /// The project, workflow and token streams starting with `prefix` whose first
    /// event is in `lower + 1 ... upper`.
    func namedStreams(withPrefix prefix: String, above lower: UInt64, through upper: UInt64) -> [String] {
        namedStreams.compactMap { name, first in
            name.hasPrefix(prefix) && first > lower && first <= upper ? name : nil
        }
    }

    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        guard let base = bytes.baseAddress else { return StringInterner.hash(UnsafeRawPointer(bitPattern: 1)!, 0) }
        return StringInterner.hash(base, bytes.count)
    }

    static func hash(_ text: String) -> UInt64 {
        var text = text
        return text.withUTF8 { hash(UnsafeRawBufferPointer($0)) }
    }

    // MARK: Forgetting

    /// Drops the entries of events up to `sequence`, which a flush has
    /// written to LMDB.
    mutating func prune(through sequence: UInt64) {
        guard sequence > base else { return }
        guard sequence < through else {
            self = LogIndexOverlay(checkpoint: sequence)
            return
        }
        links.removeFirst(Int(sequence - base))
        base = sequence
        eventIds = eventIds.filter { $0.value > sequence }
        streams = streams.filter { $0.value > sequence }
        steps = steps.filter { $0.value > sequence }
        dataclips = dataclips.filter { $0.value > sequence }
        // A first event flushed is in LMDB now, and so is the stream's name.
        namedStreams = namedStreams.filter { $0.value > sequence }
    }

    /// Drops the entries of events after `sequence`: a write transaction that
    /// added them did not commit.
    mutating func truncate(to sequence: UInt64) {
        guard sequence < through else { return }
        if sequence <= base {
            // Never below `base`: readers whose checkpoint passed it rely on the overlay starting there.
            self = LogIndexOverlay(checkpoint: base)
            return
        }
        // The latest entry of a chain that lost its head is the first one left.
        func rewind(_ start: UInt64, _ next: (Links) -> UInt64) -> UInt64? {
            var current = start
            while current > sequence { current = next(links[Int(current - base - 1)]) }
            return current > base ? current : nil
        }
        func rewound(_ table: [UInt64: UInt64], _ next: (Links) -> UInt64) -> [UInt64: UInt64] {
            var result = table
            for (hash, latest) in table where latest > sequence { result[hash] = rewind(latest, next) }
            return result
        }
        streams = rewound(streams) { $0.stream }
        steps = rewound(steps) { $0.step }
        dataclips = rewound(dataclips) { $0.dataclip }
        namedStreams = namedStreams.filter { $0.value <= sequence }
        eventIds = eventIds.filter { $0.value <= sequence }
        links.removeLast(Int(through - sequence))
        through = sequence
    }
}
