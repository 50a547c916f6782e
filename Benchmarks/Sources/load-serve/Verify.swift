import EventLog
import Foundation
import LMDB

/// After the server has stopped: is every event it acknowledged in its log,
/// exactly once, and is nothing else there?
///
/// One pass over the log (read-only, the folder as the server left it) and
/// one over the acknowledgement file, both sorted and merged, rather than a
/// `cairn runs show` per run: a minute of load is tens of thousands of
/// runs. Events are matched by the client's event id; the two kinds whose
/// id the server chooses (`run:created` through `POST /runs`, `run:claimed`
/// through the claim route) by their run, since each run has exactly one of
/// each. With every acknowledged event found once, the log's last sequence
/// being the setup events plus the acknowledged appends (plus any event
/// whose answer was lost in transit) closes the argument: nothing was
/// lost, nothing written twice, nothing unacknowledged slipped in.
enum Verify {
    /// A UUID as two integers: sorts and compares without Foundation.
    struct Key: Comparable, Hashable {
        let high: UInt64
        let low: UInt64

        init(_ uuid: UUID) {
            let (h, l) = withUnsafeBytes(of: uuid.uuid) { ($0.load(as: UInt64.self), $0.load(fromByteOffset: 8, as: UInt64.self)) }
            high = UInt64(bigEndian: h)
            low = UInt64(bigEndian: l)
        }

        static func < (a: Key, b: Key) -> Bool { (a.high, a.low) < (b.high, b.low) }
    }

    /// An event as both sides know it: its key (event id, or run id for the
    /// server-chosen kinds), its kind and its run. Identified by key and
    /// kind: a run's `run:created` and `run:claimed` share its run id.
    struct Entry: Comparable {
        let key: Key
        let kind: RequestKind
        let run: Key

        struct Identity: Comparable {
            let key: Key
            let kind: Int
            static func < (a: Identity, b: Identity) -> Bool { (a.key, a.kind) < (b.key, b.kind) }
        }

        var identity: Identity { Identity(key: key, kind: kind.rawValue) }

        static func < (a: Entry, b: Entry) -> Bool { a.identity < b.identity }
    }

    struct Result {
        var acknowledged = 0
        var appended = 0
        var lost = 0
        var duplicated = 0
        /// Acknowledged events found in the log about another run.
        var mismatched = 0
        /// Log events no acknowledgement names (an answer lost in transit).
        var unacknowledged = 0
        var otherEvents = 0
        var lastSequence: UInt64 = 0
        var scanned: UInt64 = 0
        var runsCompleted = 0
        var samples: [String] = []

        mutating func note(_ text: String) {
            if samples.count < 10 { samples.append(text) }
        }
    }

    static func check(data: String, acks path: String) throws -> Result {
        var result = Result()
        var acknowledged: [Entry] = []
        let file = try Data(contentsOf: URL(fileURLWithPath: path))
        guard file.count % Ack.size == 0 else { throw VerifyFailure("\(path): not a whole number of records") }
        acknowledged.reserveCapacity(file.count / Ack.size)
        try file.withUnsafeBytes { bytes in
            for offset in stride(from: 0, to: bytes.count, by: Ack.size) {
                guard let ack = Ack.read(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + Ack.size)])) else {
                    throw VerifyFailure("\(path): a bad record at byte \(offset)")
                }
                let key = ack.kind == .create || ack.kind == .claim ? Key(ack.run) : Key(ack.event)
                acknowledged.append(Entry(key: key, kind: ack.kind, run: Key(ack.run)))
                if ack.appended { result.appended += 1 }
            }
        }
        result.acknowledged = acknowledged.count

        var logged: [Entry] = []
        logged.reserveCapacity(acknowledged.count + 1_000)
        // Read-only: the check must not change what it checks. The map size
        // is only a floor; LMDB maps the whole file however large it is.
        let environment = try Environment(path: data, options: .init(mapSize: 64 << 20, readOnly: true))
        let events = try environment.database("events")
        try environment.read { txn in
            try txn.scan(events) { key, value in
                guard let sequence = UInt64(bigEndianBytes: key) else { throw VerifyFailure("a log key that is not a sequence") }
                result.scanned += 1
                result.lastSequence = sequence
                let recorded = try EventCodec.decode(value, sequence: sequence)
                guard let kind = RequestKind(recorded.event.kind), let runText = recorded.event.runId,
                    let run = UUID(uuidString: runText)
                else {
                    result.otherEvents += 1
                    return true
                }
                if kind == .runComplete { result.runsCompleted += 1 }
                let key = kind == .create || kind == .claim ? Key(run) : Key(recorded.id.uuid)
                logged.append(Entry(key: key, kind: kind, run: Key(run)))
                return true
            }
        }

        acknowledged.sort()
        logged.sort()
        var a = 0
        var l = 0
        while a < acknowledged.count || l < logged.count {
            if l == logged.count || (a < acknowledged.count && acknowledged[a].identity < logged[l].identity) {
                result.lost += 1
                result.note("acknowledged, not in the log: \(acknowledged[a].kind.label) \(acknowledged[a].key)")
                a += 1
            } else if a == acknowledged.count || logged[l].identity < acknowledged[a].identity {
                result.unacknowledged += 1
                result.note("in the log, never acknowledged: \(logged[l].kind.label) \(logged[l].key)")
                l += 1
            } else {
                // The same event: every acknowledgement of it must match one log event, about the same run.
                let identity = logged[l].identity
                var inLog = 0
                while l < logged.count && logged[l].identity == identity {
                    inLog += 1
                    l += 1
                }
                while a < acknowledged.count && acknowledged[a].identity == identity {
                    if acknowledged[a].run != logged[l - 1].run {
                        result.mismatched += 1
                        result.note("\(acknowledged[a].kind.label) \(acknowledged[a].key): the log has it about run \(logged[l - 1].run)")
                    }
                    a += 1
                }
                if inLog > 1 {
                    result.duplicated += inLog - 1
                    result.note("in the log \(inLog) times: \(logged[l - 1].kind.label) \(identity.key)")
                }
            }
        }
        return result
    }
}

struct VerifyFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension RequestKind {
    init?(_ kind: EventKind) {
        switch kind {
        case .runCreated: self = .create
        case .runClaimed: self = .claim
        case .runStarted: self = .runStart
        case .stepStarted: self = .stepStart
        case .stepCompleted: self = .stepComplete
        case .runCompleted: self = .runComplete
        default: return nil
        }
    }
}

extension Verify.Key: CustomStringConvertible {
    var description: String { String(format: "%016llx%016llx", high, low) }
}
