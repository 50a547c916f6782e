import Foundation
import TestSupport
import Testing

@testable import EventLog

/// The stored formats pinned: `fixtures/golden/` holds one event of each
/// kind and a few dataclip headers, written by an independent writer
/// (`tools/peers/golden_records.py`, from docs/events.md's layout). Each
/// must decode to the value below, and encoding that value must give
/// exactly the committed bytes, so a storage change cannot alter what is
/// on disk unnoticed.
@Suite struct GoldenBytesTests {
    static let t = Timestamp(microseconds: 1_795_500_000_123_456)

    static func id(_ tag: UInt8) -> EventID {
        EventID(String(format: "0e000000-0000-4000-8000-0000000000%02x", tag))!
    }

    static func recorded(_ tag: UInt8, _ streamVersion: UInt32, recordedAt: Timestamp? = nil, _ event: Event) -> RecordedEvent {
        RecordedEvent(
            id: id(tag), sequence: 1, streamVersion: streamVersion,
            recordedAt: recordedAt ?? Timestamp(microseconds: t.microseconds + Int64(tag)), event: event)
    }

    static let events: [(file: String, event: RecordedEvent)] = [
        ("01-project-configured", recorded(1, 1, .projectConfigured(ProjectConfigured(projectId: "p1", name: "Orders ✓", retention: .retainAll)))),
        ("02-workflow-published", recorded(2, 3, .workflowPublished(WorkflowPublished(
            workflowId: "w1", projectId: "p1", lockVersion: 3, deleted: false, jobIds: ["j1", "j2"],
            triggers: [
                TriggerSummary(id: "t1", type: "cron", enabled: true, cronExpression: "0 6 * * *", cronCursorJobId: "j1",
                               timezone: "Europe/London", cronDayMatch: "all"),
                TriggerSummary(id: "t2", type: "webhook", enabled: false),
            ], document: Array(#"{"id":"w1"}"#.utf8), timestamp: t, actor: AuditActor(tokenId: "tok_1", name: "ci ✓"))))),
        ("03-run-created", recorded(3, 1, .runCreated(RunCreated(
            runId: "r1", workflowId: "w1", projectId: "p1", lockVersion: 3, startingTriggerId: "t1", inputDataclipId: "d1",
            createdInput: true, scheduledFor: Timestamp(microseconds: 1_795_500_000_000_000), timestamp: t)))),
        ("04-run-claimed", recorded(4, 2, .runClaimed(RunClaimed(runId: "r1", workerName: "worker-1", timestamp: t)))),
        ("05-run-start", recorded(5, 3, .runStarted(RunStarted(runId: "r1", timestamp: t)))),
        ("06-step-start", recorded(6, 4, .stepStarted(StepStarted(runId: "r1", stepId: "s1", jobId: "j1", inputDataclipId: "d1", timestamp: t)))),
        ("07-step-complete", recorded(7, 5, .stepCompleted(StepCompleted(
            runId: "r1", stepId: "s1", jobId: "j1", reason: .crash, errorType: "RuntimeCrash", errorMessage: "out of memory",
            outputDataclipId: "d2", outputWiped: false, outputFromThisRun: true, mem: 123_456_789, duration: 1_500, timestamp: t,
            webhookResponse: Array(#"{"status":202,"body":{"ok":true}}"#.utf8))))),
        ("08-run-complete", recorded(8, 7, .runCompleted(RunCompleted(
            runId: "r1", state: .crashed, errorType: "RuntimeCrash", errorMessage: nil, finalDataclipId: "d2",
            createdFinalDataclip: false, finalWiped: false, finalFromThisRun: true, timestamp: t)))),
        ("09-run-log", recorded(9, 6, .runLogged(RunLogged(
            runId: "r1", stepId: "s1", level: "info", source: "JOB", message: "fetched 3 orders\n✓", timestamp: t)))),
        ("10-dataclip-wiped", recorded(10, 1, .dataclipWiped(DataclipWiped(dataclipId: "d1", timestamp: t)))),
        ("11-run-lost", recorded(11, 2, .runLost(RunLost(runId: "r2", timestamp: t)))),
        ("12-run-cancelled", recorded(12, 2, .runCancelled(RunCancelled(runId: "r3", timestamp: t)))),
        ("13-schedule-ticked", recorded(13, 9, .scheduleTicked(ScheduleTicked(minute: Timestamp(microseconds: 1_795_500_060_000_000)))))
        ,
        ("14-run-claimed-int64-extremes", recorded(4, 2, recordedAt: Timestamp(microseconds: .max),
                                                   .runClaimed(RunClaimed(runId: "r9", workerName: nil, timestamp: Timestamp(microseconds: .min))))),
        ("15-token-created", recorded(14, 1, recordedAt: Timestamp(microseconds: t.microseconds + 15), .tokenCreated(TokenCreated(
            tokenId: "tok_1", projectId: "p1", role: .worker, name: "ci ✓", secretHash: Array(0..<32),
            expiresAt: Timestamp(microseconds: t.microseconds + 86_400_000_000),
            actor: AuditActor(tokenId: nil, name: "cli:ops"), timestamp: t)))),
        ("16-token-revoked", recorded(15, 2, recordedAt: Timestamp(microseconds: t.microseconds + 16), .tokenRevoked(TokenRevoked(
            tokenId: "tok_1", projectId: "p1", actor: AuditActor(tokenId: "tok_2", name: "admin"), timestamp: t)))),
    ]

    /// Events of an older schema of their kind: read as they always were
    /// (fields added since take their defaults), never written any more.
    static let olderSchemas: [(file: String, event: RecordedEvent)] = [
        ("02-workflow-published-v1", recorded(2, 3, .workflowPublished(WorkflowPublished(
            workflowId: "w1", projectId: "p1", lockVersion: 3, deleted: false, jobIds: ["j1", "j2"],
            triggers: [
                TriggerSummary(id: "t1", type: "cron", enabled: true, cronExpression: "0 6 * * *", cronCursorJobId: "j1",
                               timezone: "Europe/London", cronDayMatch: "all"),
                TriggerSummary(id: "t2", type: "webhook", enabled: false),
            ], document: Array(#"{"id":"w1"}"#.utf8), timestamp: t)))),
        ("07-step-complete-v2", recorded(7, 5, .stepCompleted(StepCompleted(
            runId: "r1", stepId: "s1", jobId: "j1", reason: .crash, errorType: "RuntimeCrash", errorMessage: "out of memory",
            outputDataclipId: "d2", outputWiped: false, outputFromThisRun: true, mem: 123_456_789, duration: 1_500, timestamp: t)))),
    ]

    static let body = Array(#"{"data":[1,2,3]}"#.utf8)
    static let dataclips: [(file: String, dataclip: Dataclip)] = [
        ("step-result-with-body", Dataclip(id: "d", projectId: "p1", type: .stepResult, size: body.count, createdAt: t,
                                           wipedAt: nil, body: body, origin: 7)),
        ("global-wiped", Dataclip(id: "d", projectId: "p1", type: .global, size: 2, createdAt: t,
                                  wipedAt: Timestamp(microseconds: t.microseconds + 1_000_000), body: nil, origin: nil)),
        ("http-request-wide-origin", Dataclip(id: "d", projectId: "p1", type: .httpRequest, size: 0,
                                              createdAt: Timestamp(microseconds: -t.microseconds), wipedAt: nil, body: [],
                                              origin: 1 << 40)),
    ]

    static func golden(_ path: String) throws -> [UInt8] {
        let text = String(decoding: try Fixtures.data("golden/" + path + ".hex"), as: UTF8.self)
        let digits = Array(text.unicodeScalars.filter { !$0.properties.isWhitespace })
        #expect(digits.count % 2 == 0)
        return try stride(from: 0, to: digits.count, by: 2).map { i in
            try #require(UInt8(String(String.UnicodeScalarView(digits[i..<i + 2])), radix: 16))
        }
    }

    @Test func everyKindHasAGolden() {
        #expect(Set(Self.events.map(\.event.event.kind)) == Set(EventKind.allCases))
    }

    @Test(arguments: events.indices)
    func eventsDecodeFromAndEncodeToTheirGoldenBytes(_ index: Int) throws {
        let (file, expected) = Self.events[index]
        let bytes = try Self.golden("events/" + file)
        #expect(try EventCodec.decode(bytes, sequence: 1) == expected, "\(file)")
        let viewed = try bytes.withUnsafeBytes { try EventCodec.view($0, sequence: 1).decoded() }
        #expect(viewed == expected, "\(file)")
        #expect(EventCodec.encode(expected) == bytes, "\(file)")
    }

    @Test(arguments: olderSchemas.indices)
    func olderSchemasStillDecode(_ index: Int) throws {
        let (file, expected) = Self.olderSchemas[index]
        let bytes = try Self.golden("events/older/" + file)
        #expect(try EventCodec.decode(bytes, sequence: 1) == expected, "\(file)")
        let viewed = try bytes.withUnsafeBytes { try EventCodec.view($0, sequence: 1).decoded() }
        #expect(viewed == expected, "\(file)")
    }

    @Test(arguments: dataclips.indices)
    func dataclipHeadersDecodeFromAndEncodeToTheirGoldenBytes(_ index: Int) throws {
        let (file, expected) = Self.dataclips[index]
        let bytes = try Self.golden("dataclips/" + file)
        #expect(try Dataclip.decode(id: "d", bytes) == expected, "\(file)")
        #expect(expected.encoded() == bytes, "\(file)")
    }
}
