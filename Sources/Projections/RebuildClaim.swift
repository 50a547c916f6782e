public import EventLog
import Foundation
import LMDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A projection's rebuild refused because another one is running: two
/// rebuilds would replay into the same idle slot, and one could clear it
/// while the other switches to it.
public struct RebuildInProgress: Error, Equatable, Sendable, CustomStringConvertible {
    /// The projection being rebuilt.
    public let projection: String
    /// The process rebuilding it.
    public let pid: Int32
    /// When that rebuild began.
    public let since: Timestamp

    public var description: String {
        "projection \(projection) is being rebuilt by process \(pid) since \(since.date): wait until it has finished, "
            + "then try again (a rebuild left unfinished by a process that has exited does not block)"
    }
}

/// This process's rebuild (or verify) of `projection` found its claim
/// gone or replaced: another process judged it exited and took the claim
/// over (and may have switched to its own replay since). Nothing of this
/// one's replay is used.
public struct RebuildClaimLost: Error, Equatable, Sendable, CustomStringConvertible {
    public let projection: String

    public var description: String {
        "the rebuild of projection \(projection) was taken over by another process, which judged this one to have "
            + "exited: nothing of this one's replay was used; run the command again"
    }
}

/// Who is rebuilding a projection. The transaction that clears a
/// projection's idle slots records it in the checkpoints database (key
/// `rebuild-claim.<projection>`); the one that switches slots removes it,
/// and so does a rebuild that fails. A rebuild that finds a live claim
/// refuses (`RebuildInProgress`). A claim whose process has exited (killed
/// midway) is stale and taken over: a process is its pid and its start
/// time, so a pid reused since does not keep the claim alive.
struct RebuildClaim: Equatable {
    var pid: Int32
    /// When the process started, in clock ticks since boot (Linux's
    /// `/proc/<pid>/stat`); 0 where the system does not tell.
    var processStart: UInt64
    var claimedAt: Timestamp

    static func key(_ projection: String) -> [UInt8] { Array("rebuild-claim.\(projection)".utf8) }

    var bytes: [UInt8] {
        UInt32(bitPattern: pid).bigEndianBytes + processStart.bigEndianBytes
            + UInt64(bitPattern: claimedAt.microseconds).bigEndianBytes
    }

    init(pid: Int32, processStart: UInt64, claimedAt: Timestamp) {
        self.pid = pid
        self.processStart = processStart
        self.claimedAt = claimedAt
    }

    init?(_ bytes: [UInt8]) {
        guard bytes.count == 20, let pid = UInt32(bigEndianBytes: bytes[0..<4]),
            let start = UInt64(bigEndianBytes: bytes[4..<12]), let at = UInt64(bigEndianBytes: bytes[12..<20])
        else { return nil }
        self.init(pid: Int32(bitPattern: pid), processStart: start, claimedAt: Timestamp(microseconds: Int64(bitPattern: at)))
    }

    /// A claim by this process, now.
    static func mine() -> RebuildClaim {
        RebuildClaim(pid: getpid(), processStart: ownStart, claimedAt: .now())
    }

    private static let ownStart = processStart(of: getpid()) ?? 0

    var isMine: Bool { pid == getpid() && processStart == Self.ownStart }

    /// Whether the rebuild that made the claim (of `projection`) may still
    /// be running.
    func isLive(_ projection: String, in folder: String) -> Bool {
        if isMine { return ActiveRebuilds.shared.contains(self, of: projection, in: folder) }
        guard let start = Self.processStart(of: pid) else { return false }  // exited
        return start == 0 || processStart == 0 || start == processStart
    }

    /// The start time of process `pid` (0 if unknown), `nil` if there is no such process.
    static func processStart(of pid: Int32) -> UInt64? {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return nil }
        #if os(Linux)
        // Field 22 of /proc/<pid>/stat; the command name (field 2) may hold
        // spaces and parentheses, so count from the last ')'.
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (the state), so field 22 is fields[19].
        guard fields.count > 19, let start = UInt64(fields[19]) else { return 0 }
        return start
        #else
        return 0
        #endif
    }
}

/// The projections this process is rebuilding now: a claim of this
/// process's own is live only while its projection is listed here (one a
/// failed rebuild could not remove is not).
///
/// By data folder: one process may hold several (tests do), and a rebuild
/// of one folder's `runs` ending must not make another folder's live claim
/// of `runs` look abandoned.
///
/// Each projection is listed with the claim its rebuild made: a rebuild
/// ending (or failing) takes off only its own listing, not that of a later
/// rebuild of the same projection in this process (one begun after another
/// process took the first one's claim over).
final class ActiveRebuilds: @unchecked Sendable {
    static let shared = ActiveRebuilds()
    private let lock = NSLock()
    private var claims: [[String]: RebuildClaim] = [:]

    func contains(_ claim: RebuildClaim, of name: String, in folder: String) -> Bool {
        lock.withLock { claims[[folder, name]] == claim }
    }

    func insert(_ claim: RebuildClaim, of list: [String], in folder: String) {
        lock.withLock { for name in list { claims[[folder, name]] = claim } }
    }

    func remove(_ claim: RebuildClaim, of list: [String], in folder: String) {
        lock.withLock {
            for name in list where claims[[folder, name]] == claim { claims[[folder, name]] = nil }
        }
    }
}
