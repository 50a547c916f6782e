import EventLog
import Foundation
import TestSupport
import Testing

@testable import LMDB
@testable import Projections

/// Issue #17 (12): a query resolves a projection's slot in its own read
/// transaction, and two rebuilds never replay into the same idle slot.
@Suite struct RebuildClaimTests {
    func fixture(runs: Int = 5) throws -> (LogFixture, Projections) {
        let f = try LogFixture()
        for r in 0..<runs { try f.run("r\(r)") }
        return (f, try Projections(log: f.log))
    }

    /// A process that lives until it is killed.
    func otherProcess() throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = ["600"]
        // Not this process's output: a runner waits for its pipes to close.
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    func claim(_ engine: ProjectionEngine, _ claim: RebuildClaim, _ names: [String]) throws {
        try engine.environment.write { txn in
            for name in names { try txn.put(engine.checkpoints, key: RebuildClaim.key(name), value: claim.bytes) }
        }
    }

    func claims(_ engine: ProjectionEngine) throws -> [String] {
        try engine.projectors.compactMap { projector in
            try engine.environment.read { txn in try txn.get(engine.checkpoints, key: RebuildClaim.key(projector.name)) }
                .map { _ in projector.name }
        }
    }

    func isRefused(_ error: any Error, by pid: Int32, of projection: String) -> Bool {
        guard let refused = error as? RebuildInProgress else { return false }
        return refused.pid == pid && refused.projection == projection && refused.description.contains("\(pid)")
    }

    /// The reader's slot and what it reads there are of one state, even when
    /// another process rebuilds (and clears the slot it leaves) in between.
    @Test func aQueryReadsTheSlotOfItsOwnTransactionWhileAnotherProcessRebuilds() throws {
        let (f, projections) = try fixture()
        let before = try #require(try projections.engine.status().first { $0.name == "runs" })
        nonisolated(unsafe) var rebuild: CLI.Result?
        projections.engine.afterResolvingSlot = {
            guard rebuild == nil else { return }
            rebuild = try? CLI.run(["rebuild", "--data", f.folder.path])
        }
        let run = try projections.run("r3")
        projections.engine.afterResolvingSlot = nil
        #expect(rebuild?.status == 0, "cairn rebuild: \(rebuild?.stderr ?? "did not run")")
        #expect(try projections.engine.status().first { $0.name == "runs" }?.slot == 1 - before.slot)
        #expect(run?.runId == "r3", "the run, read from the slot the query's transaction saw")
        #expect(try projections.run("r3")?.runId == "r3")
    }

    @Test func aRebuildRefusesWhileAnotherLiveProcessHoldsTheClaim() throws {
        let (_, projections) = try fixture()
        let engine = projections.engine
        let other = try otherProcess()
        defer { if other.isRunning { _ = kill(other.processIdentifier, SIGKILL); other.waitUntilExit() } }
        let start = try #require(RebuildClaim.processStart(of: other.processIdentifier))
        try claim(engine, RebuildClaim(pid: other.processIdentifier, processStart: start, claimedAt: .now()), ["runs"])
        let before = try engine.status()
        #expect { try engine.rebuild() } throws: { isRefused($0, by: other.processIdentifier, of: "runs") }
        #expect { _ = try engine.verify() } throws: { isRefused($0, by: other.processIdentifier, of: "runs") }
        // Nothing cleared or switched, and the other's claim stands.
        #expect(try engine.status() == before)
        #expect(try claims(engine) == ["runs"])
        #expect(try projections.run("r1")?.runId == "r1")

        // Killed midway: its claim is stale and taken over.
        _ = kill(other.processIdentifier, SIGKILL)  // SIGTERM may be ignored (inherited)
        other.waitUntilExit()
        try engine.rebuild()
        #expect(try engine.status().first { $0.name == "runs" }?.slot == 1 - before[0].slot)
        #expect(try claims(engine).isEmpty)
        #expect(try engine.verify().isEmpty)
    }

    /// A pid is reused: the claim names a process that started at another time.
    @Test func aClaimOfAReusedPidIsStale() throws {
        let (_, projections) = try fixture()
        let other = try otherProcess()
        defer { if other.isRunning { _ = kill(other.processIdentifier, SIGKILL); other.waitUntilExit() } }
        let start = try #require(RebuildClaim.processStart(of: other.processIdentifier))
        #expect(start > 0, "/proc gives the start time")
        try claim(
            projections.engine, RebuildClaim(pid: other.processIdentifier, processStart: start - 1, claimedAt: .now()),
            ["runs", "cron_index"])
        try projections.engine.rebuild()
        #expect(try claims(projections.engine).isEmpty)
    }

    /// Two rebuilds in one process: the second finds the first's claim.
    @Test func aSecondRebuildInThisProcessIsRefusedWhileTheFirstReplays() throws {
        let (_, projections) = try fixture()
        let engine = projections.engine
        nonisolated(unsafe) var second: (any Error)?
        try engine.rebuild { _, _ in
            guard second == nil else { return }
            do { try engine.rebuild() } catch { second = error }
        }
        #expect(second.map { isRefused($0, by: getpid(), of: "runs") } == true, "\(String(describing: second))")
        #expect(try claims(engine).isEmpty)
        #expect(try engine.verify().isEmpty)
    }

    /// A claim this process left behind (its release failed) is stale. A
    /// rebuild that takes it over, and whose claiming commit fails once
    /// (a full map: the body runs again), must still take it over on the
    /// second run: the first run's listing is taken back when it aborts.
    /// It was not (third review): the second run saw its own listing, took
    /// the stale claim for a live one, and refused, for good in this process.
    @Test func aClaimingCommitThatFailsLeavesNoListingBehind() throws {
        let (f, projections) = try fixture()
        let engine = projections.engine
        try claim(engine, RebuildClaim.mine(), ["runs"])  // stale: no rebuild of this process lists it
        f.environment.failNextCommits(1)
        try engine.rebuild()
        try engine.rebuild()
        #expect(try claims(engine).isEmpty)
        #expect(try engine.verify().isEmpty)
    }

    /// Claims are live by folder: another folder's rebuild of the same
    /// projection ending in this process (parallel tests do this) must not
    /// make this folder's claim look abandoned. It did: the list of live
    /// rebuilds held bare projection names.
    @Test func anotherFolderFinishingItsRebuildLeavesThisClaimLive() throws {
        let (_, projections) = try fixture()
        let (_, elsewhere) = try fixture()
        let engine = projections.engine
        nonisolated(unsafe) var second: (any Error)?
        nonisolated(unsafe) var asked = false
        try engine.rebuild { _, _ in
            guard !asked else { return }
            asked = true
            try? elsewhere.engine.rebuild()  // comes and goes while this one replays
            do { try engine.rebuild() } catch { second = error }
        }
        #expect(asked)
        #expect(second.map { isRefused($0, by: getpid(), of: "runs") } == true, "\(String(describing: second))")
        #expect(try claims(engine).isEmpty)
        #expect(try engine.verify().isEmpty)
    }

    /// Issue #17 review (3): a rebuild whose claim another took over (one
    /// that judged it gone) stops at its next replay batch with the typed
    /// error; it writes nothing more into the slot the other is clearing.
    @Test func aRebuildWhoseClaimIsTakenOverStopsAtItsNextBatch() throws {
        let (_, projections) = try fixture(runs: 8)
        let engine = projections.engine
        engine.replayBatchSize = 2
        let other = try otherProcess()
        defer { if other.isRunning { _ = kill(other.processIdentifier, SIGKILL); other.waitUntilExit() } }
        let start = try #require(RebuildClaim.processStart(of: other.processIdentifier))
        let names = engine.projectors.map(\.name)
        nonisolated(unsafe) var takenOverAt: UInt64?
        nonisolated(unsafe) var reportedAfter: [UInt64] = []
        #expect {
            try engine.rebuild { replayed, _ in
                if let at = takenOverAt {
                    if replayed > at { reportedAfter.append(replayed) }
                    return
                }
                takenOverAt = replayed
                try? claim(engine, RebuildClaim(pid: other.processIdentifier, processStart: start, claimedAt: .now()), names)
            }
        } throws: { isRefused($0, by: other.processIdentifier, of: names[0]) }
        #expect(takenOverAt != nil)
        #expect(reportedAfter.isEmpty, "replayed on after the takeover: \(reportedAfter)")
        // The other's claims stand.
        #expect(try claims(engine) == names)
    }

    /// A rebuild that fails ends its claim: the next one runs.
    @Test func aFailedRebuildLeavesNoClaim() throws {
        let (f, _) = try fixture()
        typealias Tripwire = ParallelReplayTests.Tripwire
        let engine = try ProjectionEngine(log: f.log, projectors: [CronIndexProjector(), RunsProjector(), Tripwire(failAt: nil)])
        let failing = try ProjectionEngine(log: f.log, projectors: [CronIndexProjector(), RunsProjector(), Tripwire(failAt: 4)])
        #expect(throws: ParallelReplayTests.Boom(sequence: 4)) { try failing.rebuild() }
        #expect(try claims(engine).isEmpty)
        try engine.rebuild()
        #expect(try engine.verify().isEmpty)
    }
}

/// Session 27: a rebuild ending or failing takes its own listing off this
/// process's live rebuilds, not a later rebuild's of the same projection
/// (begun here after another process took the first one's claim over):
/// that one's claim stays live, so a third rebuild here is refused.
@Suite struct ActiveRebuildsTests {
    @Test func aRebuildEndingLeavesALaterOnesClaimLive() {
        let folder = "/active-rebuilds-test/\(UUID())"
        let first = RebuildClaim.mine()
        var later = first
        later.claimedAt = Timestamp(microseconds: first.claimedAt.microseconds + 1)
        ActiveRebuilds.shared.insert(first, of: ["runs"], in: folder)
        ActiveRebuilds.shared.insert(later, of: ["runs"], in: folder)
        ActiveRebuilds.shared.remove(first, of: ["runs"], in: folder)
        #expect(later.isLive("runs", in: folder))
        #expect(!first.isLive("runs", in: folder))
        ActiveRebuilds.shared.remove(later, of: ["runs"], in: folder)
        #expect(!later.isLive("runs", in: folder))
    }
}

/// Issue #17 (13): `verify`'s last write may fill the map and run again;
/// its differences must not be counted once per run.
@Suite struct VerifyRetryTests {
    @Test func aRetriedVerifyReportsEachDifferenceOnce() throws {
        let f = try LogFixture()
        for r in 0..<3 { try f.run("r\(r)") }
        let projections = try Projections(log: f.log)
        let engine = projections.engine
        // One difference: a key only the live runs table has.
        let table = try engine.table(projections.runs, RunsProjector.runs)
        try f.environment.write { txn in try txn.put(table, key: Array("ghost".utf8), value: [0]) }
        nonisolated(unsafe) var armed = false
        let differences = try engine.verify { replayed, head in
            // The replay is done: the comparing write's first commit fails
            // with a full map, after its closure has compared everything.
            if replayed == head && !armed {
                armed = true
                f.environment.failNextCommits(1)
            }
        }
        #expect(armed)
        #expect(differences.map(\.key) == [Array("ghost".utf8)])
        #expect(differences.first?.live == [0] && differences.first?.rebuilt == nil)
    }
}
