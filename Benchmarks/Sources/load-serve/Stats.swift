import Foundation
import Synchronization

/// The requests a worker makes, in the order of a run.
enum RequestKind: Int, CaseIterable, Sendable {
    case create, claim, runStart, stepStart, stepComplete, runComplete

    var label: String {
        switch self {
        case .create: return "run:created (POST /runs)"
        case .claim: return "claim (POST /runs/claim)"
        case .runStart: return "run:start"
        case .stepStart: return "step:start"
        case .stepComplete: return "step:complete"
        case .runComplete: return "run:complete"
        }
    }
}

/// Latencies in whole microseconds, every one kept: a minute of load is a
/// few hundred thousand per kind, sorted once at the end, so the
/// percentiles are exact rather than a histogram's bucket edges.
struct LatencyLog: Sendable {
    private(set) var micros: [UInt32] = []

    mutating func add(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        micros.append(UInt32(clamping: seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
    }

    mutating func merge(_ other: LatencyLog) { micros += other.micros }

    var count: Int { micros.count }

    /// Milliseconds at quantile `q` (0...1) of `sorted` (nearest rank).
    static func millis(_ sorted: [UInt32], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
        return Double(sorted[min(max(rank, 0), sorted.count - 1)]) / 1000
    }
}

/// Requests that did not get a 2xx, by status, and those that got no
/// answer at all (transport errors). A few answers are kept to print.
struct ErrorTally: Sendable {
    var byStatus: [Int: Int] = [:]
    var transport = 0
    /// 2xx answers whose body was neither `appended` nor `duplicate`.
    var unexpected = 0
    var samples: [String] = []

    var total: Int { byStatus.values.reduce(0, +) + transport + unexpected }

    mutating func status(_ status: Int, _ kind: RequestKind, _ body: String) {
        byStatus[status, default: 0] += 1
        keep("\(kind.label): HTTP \(status): \(body.prefix(300))")
    }

    mutating func transport(_ kind: RequestKind, _ error: any Error) {
        transport += 1
        keep("\(kind.label): \(error)")
    }

    mutating func unexpected(_ kind: RequestKind, _ body: String) {
        unexpected += 1
        keep("\(kind.label): unexpected answer: \(body.prefix(300))")
    }

    private mutating func keep(_ sample: String) {
        if samples.count < 10 { samples.append(sample) }
    }

    mutating func merge(_ other: ErrorTally) {
        byStatus.merge(other.byStatus, uniquingKeysWith: +)
        transport += other.transport
        unexpected += other.unexpected
        for sample in other.samples where samples.count < 10 { samples.append(sample) }
    }
}

/// One acknowledged event, as the acknowledgement file stores it (34 bytes):
/// what the server said it recorded. `event` is the client's event id;
/// all zeros for the two kinds whose id the server chooses (`run:created`
/// through `POST /runs`, derived from the content; `run:claimed` through
/// the claim route, random), which the check finds by run instead (a
/// `run:claimed` sent with an id of its own, `LOAD_CLAIM=own`, too: a run
/// has one either way).
struct Ack: Sendable {
    var kind: RequestKind
    var appended: Bool
    var run: UUID
    var event: UUID

    static let size = 34
    static let noEvent = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))

    func write(into data: inout Data) {
        data.append(UInt8(kind.rawValue))
        data.append(appended ? 1 : 0)
        withUnsafeBytes(of: run.uuid) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: event.uuid) { data.append(contentsOf: $0) }
    }

    static func read(_ bytes: UnsafeRawBufferPointer) -> Ack? {
        guard bytes.count == size, let kind = RequestKind(rawValue: Int(bytes[0])) else { return nil }
        func uuid(_ offset: Int) -> UUID {
            var raw: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            withUnsafeMutableBytes(of: &raw) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + 16)])) }
            return UUID(uuid: raw)
        }
        return Ack(kind: kind, appended: bytes[1] == 1, run: uuid(2), event: uuid(18))
    }
}

/// What one worker measured; merged into the run's totals at the end.
struct WorkerRecord: Sendable {
    var latencies = [LatencyLog](repeating: LatencyLog(), count: RequestKind.allCases.count)
    var errors = ErrorTally()
    var acks: [Ack] = []
    var runsCompleted = 0
    /// Runs given up part-way (a request refused or unanswered after retries).
    var runsAbandoned = 0
    /// Claims answered with no run (another worker took it first, or the
    /// projection had not caught up with its creation yet): polled again.
    var emptyClaims = 0
    /// Requests that had to be sent again (no answer, or 5xx).
    var retries = 0

    mutating func merge(_ other: WorkerRecord) {
        for kind in RequestKind.allCases { latencies[kind.rawValue].merge(other.latencies[kind.rawValue]) }
        errors.merge(other.errors)
        acks += other.acks
        runsCompleted += other.runsCompleted
        runsAbandoned += other.runsAbandoned
        emptyClaims += other.emptyClaims
        retries += other.retries
    }
}

/// Counters read while the load runs (the per-interval rate beside each
/// memory sample); everything else is gathered at the end.
final class Progress: Sendable {
    let acknowledged = Atomic<Int>(0)
    let edits = Atomic<Int>(0)
}
