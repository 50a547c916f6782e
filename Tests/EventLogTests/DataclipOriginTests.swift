import Encoding
import Foundation
import LMDB
import TestSupport
import Testing

@testable import EventLog

/// A dataclip records the event that created it, and an event that uses a
/// dataclip says whether its own run created it: what lets a wipe find a
/// run's own uses in the run's stream instead of an index.
@Suite struct DataclipOriginTests {
    func step(_ f: LogFixture, run: String, step: String, output: String) throws {
        try f.accept("step:start", #"{"run_id":"\#(run)","step_id":"\#(step)","job_id":"j1"}"#)
        try f.accept("step:complete", #"{"run_id":"\#(run)","step_id":"\#(step)","job_id":"j1","reason":"success","output_dataclip_id":"\#(output)","output_dataclip":"{\"n\":1}"}"#)
    }

    /// The last event of `run`'s stream, with its sequence.
    func last(_ f: LogFixture, _ run: String) throws -> RecordedEvent {
        try #require(try f.log.stream("run:" + run).last)
    }

    @Test func aNewOutputIsFromItsRunAndRecordsItsEvent() throws {
        let f = try LogFixture()
        try f.run("r1")
        try step(f, run: "r1", step: "s1", output: "o1")
        let completed = try last(f, "r1")
        guard case .stepCompleted(let e) = completed.event else { Issue.record("\(completed)"); return }
        #expect(e.outputFromThisRun)
        #expect(try f.log.dataclip("o1")?.origin == completed.sequence)

        // A wipe rewrites the header and keeps the origin.
        try f.accept("dataclip:wiped", #"{"dataclip_id":"o1"}"#)
        let wiped = try #require(try f.log.dataclip("o1"))
        #expect(wiped.body == nil && wiped.origin == completed.sequence)
    }

    @Test func anOutputReusedByAnotherRunIsNotFromIt() throws {
        let f = try LogFixture()
        try f.run("r1")
        try step(f, run: "r1", step: "s1", output: "o1")
        let origin = try #require(try f.log.dataclip("o1")?.origin)
        try f.run("r2")
        try step(f, run: "r2", step: "s2", output: "o1")
        guard case .stepCompleted(let e) = try last(f, "r2").event else { Issue.record("not a step"); return }
        #expect(!e.outputFromThisRun)
        #expect(try f.log.dataclip("o1")?.origin == origin, "reusing a dataclip does not move its origin")
    }

    @Test func aFinalIsFromItsRunWhenItsStepsOrItMadeIt() throws {
        let f = try LogFixture()
        try f.run("r1")
        try step(f, run: "r1", step: "s1", output: "o1")
        try f.run("r2")
        try step(f, run: "r2", step: "s2", output: "o2")
        try f.run("r3")

        // r1 ends on another run's output, r2 on its own step's, r3 on a final_state.
        try f.accept("run:complete", #"{"run_id":"r1","reason":"success","final_dataclip_id":"o2"}"#)
        try f.accept("run:complete", #"{"run_id":"r2","reason":"success","final_dataclip_id":"o2"}"#)
        try f.accept("run:complete", #"{"run_id":"r3","reason":"success","final_state":{"x":1}}"#)
        var fromThisRun: [String: Bool] = [:]
        for run in ["r1", "r2", "r3"] {
            guard case .runCompleted(let e) = try last(f, run).event else { Issue.record("\(run) did not complete"); continue }
            fromThisRun[run] = e.finalFromThisRun
        }
        #expect(fromThisRun == ["r1": false, "r2": true, "r3": true])
        let r3 = try last(f, "r3")
        guard case .runCompleted(let e) = r3.event, let final = e.finalDataclipId else { Issue.record("\(r3)"); return }
        #expect(try f.log.dataclip(final)?.origin == r3.sequence)
    }

    /// What a wipe reads: the stream of the run that created the dataclip.
    @Test func theOriginRunsEventsAreReadInPlace() throws {
        let f = try LogFixture()
        try f.run("r1")
        try f.run("r2")
        try step(f, run: "r2", step: "s1", output: "o1")
        let expected = try f.log.stream("run:r2").map(\.sequence)
        let found = try f.environment.read { txn in
            try Array("o1".utf8).withUnsafeBytes { id in
                try f.log.originRunEvents(ofDataclip: ByteSlice(id), in: txn).map(\.sequence)
            }
        }
        #expect(found == expected && expected.count == 5)
        let unknown = try f.environment.read { txn in
            try Array("nope".utf8).withUnsafeBytes { try f.log.originRunEvents(ofDataclip: ByteSlice($0), in: txn) }
        }
        #expect(unknown.isEmpty)
    }

    /// Dataclips stored before origins were recorded (header format 1) still
    /// read, with no origin.
    @Test func formatOneHeadersReadWithoutAnOrigin() throws {
        let now = Timestamp(microseconds: 1_000)
        let dataclip = Dataclip(
            id: "d", projectId: "p", type: .stepResult, size: 2, createdAt: now, wipedAt: nil, body: Array("{}".utf8),
            origin: 77)
        var bytes = dataclip.encoded()
        #expect(try Dataclip.decode(id: "d", bytes) == dataclip)
        // Format 1 is format 2 without the origin varint (one byte here), which follows `wipedAt`.
        let withoutOrigin = Dataclip(
            id: "d", projectId: "p", type: .stepResult, size: 2, createdAt: now, wipedAt: nil, body: Array("{}".utf8))
        let other = withoutOrigin.encoded()
        let originAt = try #require(bytes.indices.first { bytes[$0] != other[$0] })
        bytes.remove(at: originAt)
        bytes[0] = 1
        #expect(try Dataclip.decode(id: "d", bytes) == withoutOrigin)
        bytes[0] = 3
        #expect(throws: EventLogError.self) { try Dataclip.decode(id: "d", bytes) }
    }

    /// Session 23's review: a `final_state` is stored under an id derived
    /// from its event's id, which a worker may choose, without asking
    /// whether a dataclip already had that id. A worker that named a step's
    /// output so first had it shadowed by a second record: the first
    /// body, acknowledged, no longer read back.
    @Test func aFinalStateNeverShadowsADataclipThatHasItsId() throws {
        let f = try LogFixture()
        let eventId = EventID.random()
        let taken = EventID.derived(eventId.description, "final_state").description
        try f.run("r1")
        try step(f, run: "r1", step: "s1", output: taken)
        let before = try #require(try f.log.dataclip(taken))

        try f.run("r2")
        let outcome = try f.worker(
            "run:complete", #"{"run_id":"r2","reason":"success","final_state":{"n":2}}"#, id: eventId)
        #expect(outcome == .rejected(.dataclipExists(field: "final_state", id: taken)))
        #expect(try f.log.dataclip(taken) == before)
        #expect(try f.log.run("r2")?.state == .started, "nothing of the refused event was written")
    }
}
