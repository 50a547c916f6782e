import CairnKit
import EventLog
import Foundation
import Hummingbird
import HummingbirdTesting
import JSON
import TestSupport
import Testing
import Workflows

@testable import CairnServer

/// Session 21's cold reviews of the service: each test is a defect found,
/// seen failing before its fix (docs/reliability.md, "Session 21 reviews").
/// Helpers are `PageTests'`.
@Suite(.serialized) struct ReviewSession21Tests {
    typealias P = TwoProjects
    typealias T = PageTests
    /// A workflow of p2 that a cairn from before id ownership published with
    /// p1's trigger ids (a copy of p1's sample workflow).
    static let copyId = "9d000000-0000-4000-8000-000000000003"

    static func publishLegacyCopy(in p: TwoProjects) throws {
        let copy = try WorkflowJSONDecoding.decode(Fixtures.sampleWorkflowJSON(project: "p2", workflowId: copyId))
        let triggers = copy.triggers.map { t in
            TriggerSummary(
                id: t.id, type: t.type.rawValue, enabled: t.enabled,
                cronExpression: t.type == .cron ? (t.cronExpression ?? Trigger.defaultCronExpression) : nil,
                cronCursorJobId: t.type == .cron ? t.cronCursorJobId : nil, timezone: t.timezone)
        }
        try LegacyPublish.write(
            p.store.log, workflowId: copy.id, projectId: "p2", jobIds: copy.jobs.map(\.id), triggers: triggers,
            document: WorkflowJSON.encode(copy).serialized(sortedKeys: true))
    }

    /// The cron index gives a trigger id to its first publisher only; the
    /// JSON API refuses p2 the cursor of p1's trigger, but the page of p2's
    /// copy asked the index by trigger id alone and showed p1's next input,
    /// dataclip body included.
    @Test func aTriggerIdSharedWithAnotherProjectShowsNothingOfItsOnThePage() async throws {
        let p = try TwoProjects()
        try Self.publishLegacyCopy(in: p)
        try await T.app(p).test(.router) { client in
            try await T.seedRun(client, "r-p1", job: T.job1, output: "p1-private-output")
            let api = try await client.execute(
                uri: "/api/v1/triggers/\(T.cron)/cursor", method: .get, headers: P.auth("t2")) { $0.status }
            #expect(api == .forbidden)
            let page = try await T.send(client, .get, "/workflows/\(Self.copyId)", session: "t2")
            #expect(page.status == .ok)
            #expect(!page.body.contains("p1-private-output"), "p2's page shows p1's dataclip")
            // p1's own page still shows it.
            let own = try await T.send(client, .get, "/workflows/\(P.workflowA)", session: "t1")
            #expect(own.body.contains("p1-private-output"))
        }
    }
}
