import Foundation
import LMDB
import TestSupport
import Testing

@testable import EventLog

@Suite struct AppendTests {
    @Test func resentEventIsADuplicateAndWritesNothing() throws {
        let f = try LogFixture()
        try f.run("r", to: .claimed)
        let id = EventID.random()
        guard case .appended(let sequence) = try f.submit(.startRun(runId: "r", timestamp: nil), id: id) else {
            Issue.record("not appended")
            return
        }
        let head = try f.log.lastSequence()
        #expect(try f.submit(.startRun(runId: "r", timestamp: nil), id: id) == .duplicate(sequence: sequence))
        #expect(try f.log.lastSequence() == head)
        #expect(try f.log.stream("run:r").count == 3)
    }

    @Test func linesWithoutIdsAreDeduplicatedByContent() throws {
        let f = try LogFixture()
        try f.run("r", to: .claimed)
        let line = Array(#"{"event":"run:start","payload":{"run_id":"r","timestamp":1}}"#.utf8)
        var name: String?
        let first = try WorkerProtocol.decodeLine(line, name: &name)
        let second = try WorkerProtocol.decodeLine(line, name: &name)
        #expect(first.id == second.id)
        let outcomes = try f.log.append([first, second])
        guard case .appended(let sequence) = outcomes[0] else {
            Issue.record("\(outcomes)")
            return
        }
        #expect(outcomes[1] == .duplicate(sequence: sequence))
    }

    @Test func expectedVersionConflictsAreTyped() throws {
        let f = try LogFixture()
        try f.run("r", to: .available)  // stream version 1
        #expect(try f.submit(.claimRun(runId: "r", workerName: nil, timestamp: nil), expected: 0)
            == .rejected(.versionConflict(stream: "run:r", expected: 0, actual: 1)))
        guard case .appended = try f.submit(.claimRun(runId: "r", workerName: nil, timestamp: nil), expected: 1) else {
            Issue.record("expected version 1 refused")
            return
        }
        #expect(try f.log.stream("run:r").map(\.streamVersion) == [1, 2])
    }

    @Test func aRejectedSubmissionDoesNotFailItsBatch() throws {
        let f = try LogFixture()
        try f.run("r", to: .available)
        let outcomes = try f.log.append([
            Submission(id: .random(), command: .startRun(runId: "r", timestamp: nil)),  // illegal
            Submission(id: .random(), command: .claimRun(runId: "r", workerName: nil, timestamp: nil)),
            Submission(id: .random(), command: .startRun(runId: "r", timestamp: nil)),  // legal now
        ])
        guard case .rejected = outcomes[0], case .appended(let a) = outcomes[1], case .appended(let b) = outcomes[2] else {
            Issue.record("\(outcomes)")
            return
        }
        #expect(b == a + 1)
        #expect(try f.log.run("r")?.state == .started)
    }

    @Test func groupCommitUnderManyConcurrentAppenders() async throws {
        let f = try LogFixture()
        let before = try f.log.lastSequence()
        let runs = 128
        // Each task drives its own run through three events; ids are random, so nothing is a duplicate.
        let log = f.log
        let workflow = f.workflow
        try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for i in 0..<runs {
                group.addTask {
                    var sequences: [UInt64] = []
                    for command in [
                        Command.createRun(CreateRun(
                            runId: "run-\(i)", workflowId: workflow, input: NewDataclip(type: .global, body: Array("{}".utf8)))),
                        .claimRun(runId: "run-\(i)", workerName: "w\(i)", timestamp: nil),
                        .startRun(runId: "run-\(i)", timestamp: nil),
                    ] {
                        guard case .appended(let s) = try await log.append(Submission(id: .random(), command: command)) else {
                            throw LogFixture.FixtureError.notAppended(.duplicate(sequence: 0))
                        }
                        sequences.append(s)
                    }
                    return sequences
                }
            }
            var all: [UInt64] = []
            for try await sequences in group {
                #expect(sequences == sequences.sorted())
                all += sequences
            }
            // No event lost or duplicated; sequences dense.
            #expect(all.sorted() == Array((before + 1)...(before + UInt64(runs * 3))))
        }
        for i in 0..<runs { #expect(try f.log.run("run-\(i)")?.state == .started) }
        let events = try f.log.events(from: 1)
        #expect(events.map(\.sequence) == Array(1...UInt64(events.count)))
    }

    @Test func subscriptionCatchesUpThenFollows() async throws {
        let f = try LogFixture()
        try f.run("a", to: .started)  // events 3...5 (after project + publish)
        let head = try f.log.lastSequence()
        let stream = f.log.subscribe(from: 2)
        let log = f.log
        let workflow = f.workflow
        let writer = Task {
            try await Task.sleep(nanoseconds: 50_000_000)
            for i in 0..<5 {
                _ = try await log.append(Submission(id: .random(), command: .createRun(CreateRun(
                    runId: "live-\(i)", workflowId: workflow, input: NewDataclip(type: .global, body: Array("{}".utf8))))))
            }
        }
        var seen: [UInt64] = []
        for try await event in stream {
            seen.append(event.sequence)
            if event.sequence == head + 5 { break }
        }
        try await writer.value
        #expect(seen == Array(2...(head + 5)))
    }
}

@Suite struct SharedFolderTests {
    /// Two writers on one data folder (two processes, in production): each
    /// one's write cache must notice the other's appends.
    @Test func aSecondWriterInvalidatesTheCache() throws {
        let f = try LogFixture()
        let other = try EventStore(environment: f.environment)
        try f.run("r", to: .claimed)  // through the first store: its cache knows r as claimed
        guard case .appended = try other.append([Submission(id: .random(), command: .startRun(runId: "r", timestamp: nil))])[0] else {
            Issue.record("the second writer could not start the run")
            return
        }
        // The first store must see the run as started now: starting it again is illegal.
        let again = try f.submit(.startRun(runId: "r", timestamp: nil))
        #expect(again == .rejected(.illegalTransition(runId: "r", from: .started, event: "run:start")))
        guard case .appended = try f.submit(.completeRun(CompleteRun(runId: "r", state: .success))) else {
            Issue.record("completing the run failed")
            return
        }
        // Stream versions stay dense: no index entry was overwritten.
        #expect(try f.log.stream("run:r").map(\.streamVersion) == [1, 2, 3, 4])
    }
}

/// An append answers from its own transaction once it has committed
/// (session 21's review): it read the log's head again after the commit,
/// and that read fails when every reader slot is taken, so callers whose
/// events were durable were told the append failed, and retried.
@Suite struct CommittedAppendTests {
    @Test func aCommittedAppendIsNotReportedAsFailedWhenNoReaderSlotIsFree() throws {
        let folder = TemporaryFolder()
        let environment = try Environment(path: folder.path, options: .init(maxReaders: 2))
        let log = try EventStore(environment: environment)
        // Both slots are held: a read fails at once, but the append commits and says so.
        let outcomes = try holdingReaderSlots(environment, 2) {
            #expect(throws: LMDBError.readersFull) { try log.lastSequence() }
            return try log.append([
                Submission(id: EventID.random(), command: .configureProject(projectId: "p1", name: "P", retention: .retainAll))
            ])
        }
        guard case .appended(let sequence)? = outcomes.first else {
            Issue.record("not appended: \(outcomes)")
            return
        }
        #expect(try log.lastSequence() == sequence)
    }
}
