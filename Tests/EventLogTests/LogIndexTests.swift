import Foundation
@testable import LMDB
import TestSupport
import Testing

@testable import EventLog

/// The indexes behind the log (docs/architecture.md, "The log first, its
/// indexes behind it"): what a flush, a failed flush, a crash, a reader
/// older than a flush and a folder of the first layout each leave.
@Suite struct LogIndexTests {
    /// Two runs with a step each, outputs and a wipe: every index has entries.
    func populate(_ f: LogFixture) throws {
        for run in ["a", "b"] {
            try f.run(run)
            try f.accept("step:start", #"{"run_id":"\#(run)","step_id":"\#(run)-s","job_id":"j1"}"#)
            try f.accept(
                "step:complete",
                #"{"run_id":"\#(run)","step_id":"\#(run)-s","job_id":"j1","reason":"success","output_dataclip_id":"\#(run)-out","output_dataclip":"{\"n\":1}"}"#)
        }
        try f.expectAppended(.wipeDataclip(dataclipId: "a-out", timestamp: nil))
    }

    /// Everything a lookup answers, read through the public API.
    struct Answers: Equatable {
        var runA: [UInt64]
        var runB: [UInt64]
        var stepA: String?
        var stepB: String?
        var outA: Dataclip?
        var outB: Dataclip?
        var projects: [String]
        var head: UInt64

        init(_ log: EventStore) throws {
            runA = try log.stream("run:a").map(\.sequence)
            runB = try log.stream("run:b").map(\.sequence)
            stepA = try log.runId(ofStep: "a-s")
            stepB = try log.runId(ofStep: "b-s")
            outA = try log.dataclip("a-out")
            outB = try log.dataclip("b-out")
            projects = try log.projectIds()
            head = try log.lastSequence()
        }
    }

    @Test func aFlushMovesTheEntriesToLMDBAndChangesNoAnswer() throws {
        let f = try LogFixture()
        try populate(f)
        let before = try Answers(f.log)
        #expect(before.runA.count == 5 && before.stepA == "a" && before.outA?.wipedAt != nil && before.outB?.body != nil)
        let unflushed = f.log.indexStatistics.unflushed
        #expect(unflushed == Int(before.head))
        #expect(try f.log.flushIndexes() == unflushed)
        #expect(f.log.indexStatistics.unflushed == 0)
        #expect(try Answers(f.log) == before)
        // A fresh store on the folder reads it all from LMDB: nothing to catch up.
        let reopened = try EventStore(environment: f.environment)
        #expect(reopened.openCatchUp.events == 0)
        #expect(try Answers(reopened) == before)
    }

    @Test func aReaderOlderThanAFlushStillFindsEverything() throws {
        let f = try LogFixture()
        try populate(f)
        let index = f.log.index
        try f.environment.read { txn in
            let view = try index.view(txn)
            let stream = try index.streamSequences("run:b", txn, view)
            let step = try index.runId(ofStep: "b-s", txn, view)
            let dataclip = try index.dataclipSequence("b-out", txn, view)
            let projects = try index.namedStreams(withPrefix: "project:", txn, view)
            // The flush commits while this transaction still sees the old checkpoint, and drops the overlay.
            #expect(try f.log.flushIndexes() > 0)
            #expect(f.log.indexStatistics.unflushed == 0)
            #expect(try index.streamSequences("run:b", txn, view) == stream)
            #expect(try index.runId(ofStep: "b-s", txn, view) == step)
            #expect(try index.dataclipSequence("b-out", txn, view) == dataclip)
            #expect(try index.namedStreams(withPrefix: "project:", txn, view) == projects)
            #expect(stream.count == 5 && step == "b" && dataclip != nil && projects == ["project:p1"])
        }
    }

    @Test func aFailedFlushOrACrashBeforeItLosesNothing() throws {
        let f = try LogFixture()
        let sent: [Submission] = [
            Submission(id: .random(), command: .createRun(CreateRun(
                runId: "c", workflowId: f.workflow, input: NewDataclip(type: .global, body: Array("{}".utf8))))),
            Submission(id: .random(), command: .claimRun(runId: "c", workerName: nil, timestamp: nil)),
        ]
        let outcomes = try f.log.append(sent)
        try populate(f)
        let before = try Answers(f.log)
        f.log.failNextIndexFlush()
        #expect(throws: EventLogError.self) { try f.log.flushIndexes() }
        #expect(try Answers(f.log) == before)
        #expect(f.log.indexStatistics.unflushed == Int(before.head))

        // The crash: the entries in memory are gone; the log is not.
        f.log.dropIndexOverlay()
        let reopened = try EventStore(environment: f.environment)
        #expect(reopened.openCatchUp.events == Int(before.head))
        #expect(try Answers(reopened) == before)
        for (submission, outcome) in zip(sent, outcomes) {
            guard case .appended(let sequence) = outcome else {
                Issue.record("\(outcome)")
                continue
            }
            #expect(try reopened.append([submission]) == [.duplicate(sequence: sequence)])
        }
        #expect(try reopened.lastSequence() == before.head)
    }

    @Test func openingFlushesWhenItHadAFlushsWorthToIndex() throws {
        let f = try LogFixture()
        let log = try EventStore(environment: f.environment, indexPolicy: .manual)
        try populate(f)
        #expect(log.indexStatistics.flushes == 0)
        let policy = IndexFlushPolicy(flushEvents: 10, flushInterval: .never)
        let reopened = try EventStore(environment: f.environment, indexPolicy: policy)
        #expect(reopened.openCatchUp.events >= 10)
        #expect(reopened.indexStatistics.flushes == 1 && reopened.indexStatistics.unflushed == 0)
        #expect(try Answers(reopened) == Answers(f.log))
    }

    @Test func aFlushRunTwiceByAFullMapWritesEveryEntry() throws {
        let f = try LogFixture()
        try populate(f)
        let before = try Answers(f.log)
        // The commit fails as a full map's does: the environment grows the map and runs the flush again.
        f.environment.failNextCommits(1)
        #expect(try f.log.flushIndexes() == Int(before.head))
        f.log.dropIndexOverlay()
        let reopened = try EventStore(environment: f.environment)
        #expect(reopened.openCatchUp.events == 0)
        #expect(try Answers(reopened) == before)
    }

    @Test func anAppendRunTwiceByAFullMapLeavesOneEntryPerEvent() throws {
        let f = try LogFixture()
        try populate(f)
        let resent = Submission(id: .random(), command: .createRun(CreateRun(
            runId: "again", workflowId: f.workflow, input: NewDataclip(type: .global, body: Array("{}".utf8)))))
        f.environment.failNextCommits(1)
        let outcome = try f.log.append([resent])
        guard case .appended(let sequence) = outcome.first else {
            Issue.record("\(outcome)")
            return
        }
        #expect(try f.log.append([resent]) == [.duplicate(sequence: sequence)])
        #expect(try f.log.stream("run:again").map(\.sequence) == [sequence])
        #expect(f.log.indexStatistics.unflushed == Int(sequence))
    }

    @Test func aStoreThatOnlyReadsForgetsWhatAnotherFlushed() throws {
        let f = try LogFixture()
        let reader = try EventStore(environment: f.environment, indexPolicy: .manual)
        for n in 0..<50 {
            try f.run("r\(n)", to: .available)
            #expect(try reader.stream("run:r\(n)").count == 1)
            try f.log.flushIndexes()
        }
        // It held one flush's entries at a time (two runs' worth here), not all fifty.
        #expect(reader.indexStatistics.peak <= 4)
        #expect(try reader.stream("run:r0").count == 1)
        #expect(reader.indexStatistics.unflushed == 0)
    }

    // MARK: The first layout

    /// Turns a folder into what the first layout wrote: indexes whole,
    /// each dataclip under its id in `dataclips` (without its origin when
    /// `dropOrigins`, as before origins were recorded), no checkpoint.
    func rewriteAsFirstLayout(_ f: LogFixture, dropOrigins: Bool, orphan: Dataclip?) throws {
        try f.log.flushIndexes()
        let index = f.log.index
        try f.environment.write { txn in
            var records: [(UInt64, Dataclip)] = []
            try txn.scan(index.records) { key, value in
                let sequence = try #require(UInt64(bigEndianBytes: key))
                records.append((sequence, try Dataclip.decodeRecord(value, sequence: sequence)))
                return true
            }
            for (_, dataclip) in records {
                var old = dataclip
                if dropOrigins { old.origin = nil }
                try txn.put(index.legacyDataclips, key: Array(old.id.utf8), value: old.encoded())
            }
            if let orphan { try txn.put(index.legacyDataclips, key: Array(orphan.id.utf8), value: orphan.encoded()) }
            try txn.clear(index.records)
            try txn.clear(index.dataclipIds)
            _ = try txn.delete(index.state, key: LogIndex.checkpointKey)
        }
    }

    @Test(arguments: [false, true])
    func aFolderOfTheFirstLayoutMovesOnce(dropOrigins: Bool) throws {
        let f = try LogFixture()
        try populate(f)
        let before = try Answers(f.log)
        let orphan = Dataclip(
            id: "orphan", projectId: f.project, type: .global, size: 2, createdAt: Timestamp(microseconds: 5),
            wipedAt: nil, body: Array("{}".utf8), origin: 99_999)  // past the head: no such event
        try rewriteAsFirstLayout(f, dropOrigins: dropOrigins, orphan: orphan)
        var progress: [String] = []
        let migrated = try EventStore(environment: f.environment, progress: { progress.append($0) })
        let migration = try #require(migrated.layoutMigration)
        #expect(migration.head == before.head)
        #expect(migration.dataclipsMoved == 4)  // two inputs, two outputs
        #expect(migration.dataclipsLeft == 1)
        #expect((migration.eventsScanned > 0) == dropOrigins)
        #expect(migration.description.contains("4 dataclip(s)"))
        #expect(try Answers(migrated) == before)
        #expect(try migrated.dataclip("orphan") == orphan)
        // Written again, as a wipe does, each where it is kept now.
        #expect(try migrated.append([Submission(id: .random(), command: .wipeDataclip(dataclipId: "b-out", timestamp: nil))])
            .allSatisfy { if case .appended = $0 { true } else { false } })
        #expect(try migrated.append([Submission(id: .random(), command: .wipeDataclip(dataclipId: "orphan", timestamp: nil))])
            .allSatisfy { if case .appended = $0 { true } else { false } })
        #expect(try migrated.dataclip("b-out")?.body == nil && migrated.dataclip("orphan")?.wipedAt != nil)
        #expect(try EventStore(environment: f.environment).layoutMigration == nil)
    }
}
