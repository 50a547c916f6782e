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
        let triggers = Store.triggerSummaries(of: copy)
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

    // MARK: Memory an editor could make the service hold

    /// The hub relayed any awareness frame unread, up to the socket's
    /// 16 MiB limit, into every other editor's outbox (1,024 frames each):
    /// an editor reading slowly held gigabytes. Awareness is a few hundred
    /// bytes; past 64 KiB it is refused, and nothing is relayed.
    @Test func aLargeAwarenessFrameIsRefusedAndNotRelayed() async throws {
        let p = try TwoProjects()
        let hub = DocumentHub(store: p.store)
        let draft = DocumentOwnershipTests.draft
        let heard = DocumentHubTests.Inbox()
        let (a, _) = try await hub.join(draft, project: "p1") { _ in }
        let (b, _) = try await hub.join(draft, project: "p1") { heard.add($0) }
        let large = [UInt8(1)] + [UInt8](repeating: 0xAB, count: DocumentHub.awarenessBytes)
        await #expect(throws: SyncFrameRefused.self) { _ = try await hub.receive(draft, from: a, large) }
        let small: [UInt8] = [1, 3, 0xAA, 0xBB]
        _ = try await hub.receive(draft, from: a, small)
        #expect(await heard.arrived(1) == [small])
        for id in [a, b] { await hub.leave(draft, id) }
    }

    /// An outbox counted frames, not bytes: 1,024 frames of up to 16 MiB
    /// each waited for an editor that had stopped reading. It now stalls
    /// (and the hub drops the editor) past 64 MiB queued.
    @Test func anOutboxStallsByBytesNotOnlyByFrames() async throws {
        let release = AsyncStream<Void>.makeStream()
        let sent = DocumentHubTests.Inbox()
        let outbox = DocumentHub.Outbox(capacityBytes: RequestLimits().socketQueueBytes) { frame in
            sent.add(frame)
            // The editor reads the first frame, then stops until released.
            for await _ in release.stream { break }
        }
        let frame = [UInt8](repeating: 7, count: 1 << 20)
        var accepted = 0
        while accepted < DocumentHub.Outbox.capacity, outbox.offer(frame) { accepted += 1 }
        #expect(accepted == outbox.capacityBytes / frame.count)
        // Once the editor reads again, the outbox takes frames again.
        release.continuation.finish()
        #expect(await sent.arrived(accepted).count == accepted)
        #expect(await eventually { outbox.offer([1]) })
        outbox.finish()
    }

    // MARK: A damaged folder

    /// "Last used" is read back from the folder as any 64-bit value; the
    /// service subtracted it from now to decide whether to note a use, and
    /// a damaged one (the smallest Int64) trapped on every request with
    /// the token.
    @Test func aDamagedLastUseOfATokenDoesNotCrashItsRequests() async throws {
        let p = try TwoProjects()
        let id = try #require(try p.store.tokens(projectId: "p1").first { $0.token.name == "t1" }?.token.id)
        let uses = try p.store.environment.database("token_uses")
        try p.store.environment.write { txn in
            try txn.put(uses, key: Array(id.utf8), value: (UInt64(1) << 63).bigEndianBytes)
        }
        try await p.app.test(.router) { client in
            let status = try await client.execute(
                uri: "/api/v1/workflows/\(P.workflowA)/runs", method: .get, headers: P.auth("t1")) { $0.status }
            #expect(status == .ok)
        }
    }

    /// A run's duration on the page subtracted stored times: a damaged
    /// record (a start at the smallest Int64) trapped on `GET /runs/{id}`.
    @Test func aRunWithDamagedTimesHasNoDuration() {
        var run = RunAggregate(
            runId: "r", workflowId: "w", projectId: "p1", lockVersion: 1, startingTriggerId: nil, inputDataclipId: "d",
            state: .success, workerName: nil, createdAt: Timestamp(microseconds: .min), claimedAt: nil, startedAt: nil,
            finishedAt: Timestamp(microseconds: .max), finalDataclipId: nil, errorType: nil, errorMessage: nil,
            steps: [], version: 1)
        #expect(PageViews.duration(run) == nil)
        run.createdAt = Timestamp(microseconds: 0)
        run.finishedAt = Timestamp(microseconds: 2_500)
        #expect(PageViews.duration(run) == "2 ms")
    }

    /// A document (a draft) has no bound on its jobs, and the page lists a
    /// cron trigger's choices once per trigger, comparing every draft job
    /// with every published one: at most `WorkflowValidator.maxJobs` now.
    @Test func aCronInputSelectListsAtMostAPublishableNumberOfJobs() throws {
        let published = try WorkflowJSONDecoding.decode(Fixtures.sampleWorkflowJSON(project: "p1", workflowId: P.workflowA))
        var draft = published
        draft.jobs += (0..<3_000).map { Job(id: String(format: "e0000000-0000-4000-8000-%012x", $0), name: "draft \($0)") }
        let listed = CronInputChoice.jobs(draft, published, trigger: T.cron)
        #expect(listed.count == WorkflowValidator.maxJobs)
        #expect(Array(listed.prefix(published.jobs.count)).map(\.id) == published.jobs.map(\.id))
        // The current choice is listed even past the cut (the third review).
        let last = try #require(draft.jobs.last)
        let keeping = CronInputChoice.jobs(draft, published, trigger: T.cron, keeping: last.id)
        #expect(keeping.count == WorkflowValidator.maxJobs + 1 && keeping.last?.id == last.id)
    }
}
