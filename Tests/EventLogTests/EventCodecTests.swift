import Foundation
import TestSupport
import Testing

@testable import EventLog

@Suite struct EventCodecTests {
    static let t = Timestamp(microseconds: 1_795_500_000_123_456)

    static let samples: [Event] = [
        .projectConfigured(ProjectConfigured(projectId: "p", name: nil, retention: .eraseAll)),
        .projectConfigured(ProjectConfigured(projectId: "p", name: "Name ✓", retention: .retainAll)),
        .workflowPublished(WorkflowPublished(
            workflowId: "w", projectId: "p", lockVersion: 7, deleted: true, jobIds: ["a", "b"],
            triggers: [
                TriggerSummary(id: "t", type: "cron", enabled: false, cronExpression: "0 0 * * *", cronCursorJobId: "a",
                               timezone: "Europe/London", cronDayMatch: "all"),
                TriggerSummary(id: "u", type: "webhook", enabled: true),
            ], document: Array("{\"x\":1}".utf8), timestamp: t)),
        .runCreated(RunCreated(runId: "r", workflowId: "w", projectId: "p", lockVersion: 3, startingTriggerId: nil,
                               inputDataclipId: "d", createdInput: true,
                               scheduledFor: Timestamp(microseconds: 60_000_000), timestamp: t)),
        .runClaimed(RunClaimed(runId: "r", workerName: "worker-1", timestamp: t)),
        .runStarted(RunStarted(runId: "r", timestamp: t)),
        .stepStarted(StepStarted(runId: "r", stepId: "s", jobId: "j", inputDataclipId: "d", timestamp: t)),
        .stepCompleted(StepCompleted(runId: "r", stepId: "s", jobId: "j", reason: .crash, errorType: "E",
                                     errorMessage: "m", outputDataclipId: "o", outputWiped: true, mem: 1 << 40, duration: -5, timestamp: t)),
        .stepCompleted(StepCompleted(runId: "r", stepId: "s", jobId: "j", reason: .success, errorType: nil,
                                     errorMessage: nil, outputDataclipId: "o", outputWiped: false, outputFromThisRun: true, mem: nil,
                                     duration: nil, timestamp: t)),
        .runCompleted(RunCompleted(runId: "r", state: .killed, errorType: nil, errorMessage: "x", finalDataclipId: "f",
                                   createdFinalDataclip: true, finalWiped: true, finalFromThisRun: true, timestamp: t)),
        .runCompleted(RunCompleted(runId: "r", state: .success, errorType: nil, errorMessage: nil, finalDataclipId: "o",
                                   createdFinalDataclip: false, finalWiped: false, timestamp: t)),
        .stepCompleted(StepCompleted(runId: "r", stepId: "s2", jobId: "j", reason: .success, errorType: nil,
                                     errorMessage: nil, outputDataclipId: nil, outputWiped: false, mem: nil, duration: nil,
                                     timestamp: t, webhookResponse: Array(#"{"status":200,"body":"✓"}"#.utf8))),
        .runLogged(RunLogged(runId: "r", stepId: nil, level: "debug", source: "R/T", message: "hello\nworld", timestamp: t)),
        .dataclipWiped(DataclipWiped(dataclipId: "d", timestamp: t)),
        .runLost(RunLost(runId: "r", timestamp: t)),
        .runCancelled(RunCancelled(runId: "r", timestamp: Timestamp(microseconds: -1))),
        .scheduleTicked(ScheduleTicked(minute: Timestamp(microseconds: 1_795_500_000_000_000))),
        .workflowPublished(WorkflowPublished(
            workflowId: "w", projectId: "p", lockVersion: 8, deleted: false, jobIds: [], triggers: [],
            document: Array("{}".utf8), timestamp: t, actor: AuditActor(tokenId: "tok_a", name: "CI ✓"))),
        .tokenCreated(TokenCreated(
            tokenId: "tok_a", projectId: "p", role: .viewer, name: nil, secretHash: Array(repeating: 7, count: 32),
            expiresAt: nil, actor: AuditActor(tokenId: nil, name: "cli:root"), timestamp: t)),
        .tokenCreated(TokenCreated(
            tokenId: "tok_b", projectId: "p", role: .editor, name: "deploy", secretHash: Array(repeating: 0xFF, count: 32),
            expiresAt: Timestamp(microseconds: .max), actor: AuditActor(tokenId: "tok_a", name: "a"), timestamp: t)),
        .tokenRevoked(TokenRevoked(tokenId: "tok_b", projectId: "p", actor: AuditActor(tokenId: nil, name: ""), timestamp: t)),
    ]

    @Test func everyKindIsSampled() {
        #expect(Set(Self.samples.map(\.kind)) == Set(EventKind.allCases))
    }

    @Test(arguments: samples.indices)
    func roundTrips(_ index: Int) throws {
        let event = Self.samples[index]
        let recorded = RecordedEvent(
            id: .random(), sequence: 42, streamVersion: 9, recordedAt: Self.t, event: event)
        let decoded = try EventCodec.decode(EventCodec.encode(recorded), sequence: 42)
        #expect(decoded == recorded)
    }

    /// A view reads the same event in place: its header, and for the kinds
    /// it reads field by field, fields that make the decoded event again.
    @Test(arguments: samples.indices)
    func viewsReadWhatDecodeReads(_ index: Int) throws {
        let recorded = RecordedEvent(
            id: .random(), sequence: 42, streamVersion: 9, recordedAt: Self.t, event: Self.samples[index])
        let bytes = EventCodec.encode(recorded)
        try bytes.withUnsafeBytes { raw in
            let view = try EventCodec.view(raw, sequence: 42)
            #expect(view.sequence == 42 && view.streamVersion == 9 && view.recordedAt == Self.t)
            #expect(view.kind == recorded.event.kind)
            #expect(view.runId?.string == recorded.event.runId)
            #expect(try view.decoded() == recorded)
            switch recorded.event {
            case .projectConfigured, .workflowPublished, .scheduleTicked, .tokenCreated, .tokenRevoked:
                guard case .other = view.fields else {
                    Issue.record("\(view.kind) should be read whole")
                    return
                }
            default:
                #expect(view.fields.event { $0.string } == recorded.event)
            }
        }
    }

    @Test func viewsRefuseDamagedEvents() throws {
        let recorded = RecordedEvent(
            id: .random(), sequence: 1, streamVersion: 1, recordedAt: Self.t, event: Self.samples[7])
        let bytes = EventCodec.encode(recorded)
        for cut in 0..<bytes.count {
            #expect(throws: EventDecodingError.self) {
                try Array(bytes.prefix(cut)).withUnsafeBytes { _ = try EventCodec.view($0, sequence: 1) }
            }
        }
        #expect(throws: EventDecodingError.self) { try (bytes + [0]).withUnsafeBytes { _ = try EventCodec.view($0, sequence: 1) } }
        // A string that is not UTF-8 is refused, as `decode` refuses it.
        let runId = Array("run-to-break".utf8)
        var broken = EventCodec.encode(RecordedEvent(
            id: .random(), sequence: 1, streamVersion: 1, recordedAt: Self.t,
            event: .runStarted(RunStarted(runId: String(decoding: runId, as: UTF8.self), timestamp: Self.t))))
        // The id is in the stream name first (`run:…`, never read back), then the payload.
        let stream = try #require(broken.firstRange(of: runId))
        let at = try #require(broken[stream.upperBound...].firstRange(of: runId)).lowerBound
        broken[at + 1] = 0xFF
        #expect(throws: EventDecodingError.self) { try broken.withUnsafeBytes { _ = try EventCodec.view($0, sequence: 1) } }
        #expect(throws: EventDecodingError.self) { try EventCodec.decode(broken, sequence: 1) }
    }

    @Test func tagsArePinned() {
        // Tags are the storage format: changing one would misread every log written before.
        let pinned: [EventKind: UInt8] = [
            .projectConfigured: 1, .workflowPublished: 2, .runCreated: 3, .runClaimed: 4, .runStarted: 5,
            .stepStarted: 6, .stepCompleted: 7, .runCompleted: 8, .runLogged: 9, .dataclipWiped: 10, .runLost: 11,
            .runCancelled: 12, .scheduleTicked: 13, .tokenCreated: 14, .tokenRevoked: 15,
        ]
        for kind in EventKind.allCases { #expect(kind.tag == pinned[kind]) }
    }

    /// Step and run completions gained a field at schema version 2 (whether
    /// the run made the dataclip). Events recorded at version 1, without it,
    /// read with it false, in place and whole; step:complete's version 2
    /// reads without a webhook response; a version past the current one is refused.
    @Test func schemaOneCompletionsReadWithTheNewFieldFalse() throws {
        let fromThisRun: [Event] = [
            .stepCompleted(StepCompleted(runId: "r", stepId: "s", jobId: "j", reason: .success, errorType: nil,
                                         errorMessage: nil, outputDataclipId: "o", outputWiped: false,
                                         outputFromThisRun: true, mem: 5, duration: 6, timestamp: Self.t)),
            .runCompleted(RunCompleted(runId: "r", state: .success, errorType: nil, errorMessage: nil,
                                       finalDataclipId: "o", createdFinalDataclip: false, finalWiped: false,
                                       finalFromThisRun: true, timestamp: Self.t)),
        ]
        for event in fromThisRun {
            var notFromThisRun = event
            switch event {
            case .stepCompleted(var e): e.outputFromThisRun = false; notFromThisRun = .stepCompleted(e)
            case .runCompleted(var e): e.finalFromThisRun = false; notFromThisRun = .runCompleted(e)
            default: Issue.record("not a completion")
            }
            let id = EventID.random()
            func encoded(_ event: Event) -> [UInt8] {
                EventCodec.encode(RecordedEvent(id: id, sequence: 3, streamVersion: 4, recordedAt: Self.t, event: event))
            }
            let current = encoded(notFromThisRun)
            let schema = EventCodec.schemaVersion(event.kind)
            #expect(current[2] == schema)
            // step:complete's version 3 added one byte at the end (no webhook response): version 2 is without it.
            var v2 = schema == 3 ? Array(current.dropLast()) : current
            if schema == 3 { #expect(current.last == 0) }
            v2[2] = 2
            #expect(try EventCodec.decode(v2, sequence: 3).event == notFromThisRun)
            // The new field is the one byte where the two encodings differ; version 1 has no such byte.
            let other = encoded(event)
            #expect(other.count == current.count && other[2] == current[2])
            let field = try #require(current.indices.first { current[$0] != other[$0] })
            var v1 = v2
            v1.remove(at: field)
            v1[2] = 1
            let expected = RecordedEvent(id: id, sequence: 3, streamVersion: 4, recordedAt: Self.t, event: notFromThisRun)
            #expect(try EventCodec.decode(v1, sequence: 3) == expected)
            let viewed = try v1.withUnsafeBytes { try EventCodec.view($0, sequence: 3).decoded() }
            #expect(viewed == expected)
            var newer = current
            newer[2] = schema + 1
            #expect(throws: EventDecodingError.self) { try EventCodec.decode(newer, sequence: 3) }
        }
    }

    @Test func garbageAndTruncationThrow() throws {
        let recorded = RecordedEvent(
            id: .random(), sequence: 1, streamVersion: 1, recordedAt: Self.t, event: Self.samples[7])
        let bytes = EventCodec.encode(recorded)
        for cut in 0..<bytes.count {
            #expect(throws: EventDecodingError.self) { try EventCodec.decode(Array(bytes.prefix(cut)), sequence: 1) }
        }
        #expect(throws: EventDecodingError.self) { try EventCodec.decode(bytes + [0], sequence: 1) }
        var unknownKind = bytes
        unknownKind[1] = 200
        #expect(throws: EventDecodingError.unknownKind(200, sequence: 1)) { try EventCodec.decode(unknownKind, sequence: 1) }
        var newerSchema = bytes
        newerSchema[2] = 9
        #expect(throws: EventDecodingError.self) { try EventCodec.decode(newerSchema, sequence: 1) }
        var rng = SplitMix64(seed: 3)
        for _ in 0..<3_000 {
            let junk = (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            _ = try? EventCodec.decode(junk, sequence: 1)  // must not trap
        }
    }
}
