import Encoding
import Foundation
import TestSupport
import Testing

@testable import EventLog

/// Issue #17: the writer stored any 64-bit timestamp, the readers refused
/// magnitudes past 2^53-1, so one such event made every later read of the
/// log fail ("event N is damaged: integer … exceeds 2^53-1"). Folders that
/// already hold such an event must read again.
@Suite struct WideTimestampTests {
    /// 2^60: a nanosecond-style value, what `cairn ingest` was given.
    static let huge = Timestamp(microseconds: 1_152_921_504_606_846_976)

    /// A `run:created` event written field by field, as the writer has
    /// always laid it out (docs/events.md), so the test does not depend on
    /// today's encoder.
    static func storedRunCreated(id: [UInt8], timestamp: Int64, recordedAt: Int64) -> [UInt8] {
        var w = ByteWriter()
        w.writeUInt8(1)  // record format
        w.writeUInt8(3)  // run:created
        w.writeUInt8(1)  // schema version
        w.writeBytes(id)
        w.writeVarString("run:r1")
        w.writeVarUInt(UInt64(1))
        w.writeVarInt(recordedAt)
        w.writeVarString("r1")  // run id
        w.writeVarString("w1")  // workflow
        w.writeVarString("p1")  // project
        w.writeVarUInt(UInt64(1))  // lock version
        w.writeUInt8(0)  // no starting trigger
        w.writeVarString("d1")  // input dataclip
        w.writeUInt8(1)  // created its input
        w.writeUInt8(1)  // scheduled for: present
        w.writeVarInt(-timestamp)
        w.writeVarInt(timestamp)
        return w.bytes
    }

    @Test func anEventWithAHugeTimestampReadsBack() throws {
        let id = EventID.random()
        let bytes = Self.storedRunCreated(id: id.bytes, timestamp: Self.huge.microseconds, recordedAt: Int64.max)
        let expected = RecordedEvent(
            id: id, sequence: 21, streamVersion: 1, recordedAt: Timestamp(microseconds: .max),
            event: .runCreated(RunCreated(
                runId: "r1", workflowId: "w1", projectId: "p1", lockVersion: 1, startingTriggerId: nil,
                inputDataclipId: "d1", createdInput: true, scheduledFor: Timestamp(microseconds: -Self.huge.microseconds),
                timestamp: Self.huge)))
        #expect(try EventCodec.decode(bytes, sequence: 21) == expected)
        let viewed = try bytes.withUnsafeBytes { try EventCodec.view($0, sequence: 21).decoded() }
        #expect(viewed == expected)
        #expect(EventCodec.encode(expected) == bytes)
    }

    /// Through the store: an event holding such a timestamp (appended
    /// through the API, which does not bound it; the worker-protocol edge
    /// does) reads back in the run, the stream and the log.
    @Test func aStoreHoldingAHugeTimestampStillReads() throws {
        let f = try LogFixture()
        try f.run("r1", to: .claimed)
        try f.expectAppended(.startRun(runId: "r1", timestamp: Self.huge))
        let run = try #require(try f.log.run("r1"))
        #expect(run.state == .started)
        let events = try f.log.events(from: 1)
        #expect(events.last?.event == .runStarted(RunStarted(runId: "r1", timestamp: Self.huge)))
        #expect(try f.log.stream("run:r1").count == 3)
    }
}

extension WideTimestampTests {
    /// The check `EventCodec.encode` asserts in debug builds: it holds for
    /// the widest values, and fails for bytes that are not the event's.
    @Test func theDebugRoundTripCheckHoldsAndDetects() throws {
        let wide = RecordedEvent(
            id: .random(), sequence: 9, streamVersion: 2, recordedAt: Timestamp(microseconds: .min),
            event: .runClaimed(RunClaimed(runId: "r1", workerName: "w", timestamp: Timestamp(microseconds: .max))))
        let bytes = EventCodec.encode(wide)
        #expect(EventCodec.decodesToItself(wide, bytes))
        let other = RecordedEvent(
            id: wide.id, sequence: 9, streamVersion: 2, recordedAt: Timestamp(microseconds: .min),
            event: .runClaimed(RunClaimed(runId: "r1", workerName: "w", timestamp: Self.huge)))
        #expect(!EventCodec.decodesToItself(other, bytes))
        #expect(!EventCodec.decodesToItself(wide, Array(bytes.dropLast())))
    }
}
