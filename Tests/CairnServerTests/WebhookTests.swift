import CairnKit
import CairnServer
import EventLog
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing
import Workflows

/// `POST /i/{trigger_id}` (docs/http.md, "Webhook triggers").
@Suite struct WebhookTests {
    typealias P = TwoProjects
    static let webhook = "c1000000-0000-4000-8000-000000000002"
    static let cron = "c1000000-0000-4000-8000-000000000001"
    static let job = "a1000000-0000-4000-8000-000000000001"

    /// p1's workflow again, its webhook trigger changed by `edit` (a JSON fragment after `"enabled": true`).
    static func republish(_ p: TwoProjects, enabled: Bool = true, reply: String? = nil) throws {
        let trigger = #"{"id": "\#(webhook)", "type": "webhook", "enabled": true}"#
        let changed = #"{"id": "\#(webhook)", "type": "webhook", "enabled": \#(enabled)\#(reply.map { #", "webhook_reply": "\#($0)""# } ?? "")}"#
        let text = try Fixtures.sampleWorkflowJSON(project: "p1", workflowId: P.workflowA)
        #expect(text.contains(trigger))
        _ = try p.store.publish(try WorkflowJSONDecoding.decode(text.replacingOccurrences(of: trigger, with: changed)))
    }

    /// The id of the run a webhook request created, once the runs projection has it.
    static func webhookRun(_ p: TwoProjects) async throws -> String {
        while true {
            if let run = try p.store.projections.runs(ofWorkflow: P.workflowA).first { return run.runId }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func post(_ client: some TestClientProtocol, _ trigger: String, _ body: String, headers: HTTPFields = [:])
        async throws -> (HTTPResponse.Status, String)
    {
        try await client.execute(uri: "/i/\(trigger)", method: .post, headers: headers, body: ByteBuffer(string: body)) { response throws in
            (response.status, String(buffer: response.body))
        }
    }

    func object(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    @Test func beforeStartAnswers201WithTheRunWhoseInputIsTheBody() async throws {
        let p = try TwoProjects()
        try await p.app.test(.router) { client in
            // No project token: webhooks authenticate by their trigger's key alone.
            let (status, answer) = try await post(client, Self.webhook, #"{"order":{"id":7,"items":["a","b"]}}"#)
            #expect(status == .created)
            let runId = try #require(object(answer)?["run_id"] as? String)
            let run = try #require(try p.store.log.run(runId))
            #expect(run.workflowId == P.workflowA && run.startingTriggerId == Self.webhook && run.state == .available)
            let input = try #require(try p.store.log.dataclip(run.inputDataclipId))
            #expect(input.type == .httpRequest && input.projectId == "p1")
            #expect(String(decoding: input.body ?? [], as: UTF8.self) == #"{"order":{"id":7,"items":["a","b"]}}"#)
        }
    }

    @Test func cronUnknownAndDisabledTriggersCreateNothing() async throws {
        let p = try TwoProjects()
        try await p.app.test(.router) { client in
            #expect(try await post(client, Self.cron, "{}").0 == .notFound)
            #expect(try await post(client, "no-such-trigger", "{}").0 == .notFound)
            try Self.republish(p, enabled: false)
            #expect(try await post(client, Self.webhook, "{}").0 == .conflict)
            #expect(try await post(client, Self.webhook, "{not json").0 != .created)
        }
        #expect(try p.store.projections.runs(ofWorkflow: P.workflowA).isEmpty)
    }

    @Test func aTriggersKeyIsRequiredOnceSet() async throws {
        let p = try TwoProjects()
        let key = try p.store.newWebhookKey(Self.webhook)
        #expect(throws: WebhookKeyError.self) { try p.store.newWebhookKey(Self.cron) }
        try await p.app.test(.router) { client in
            #expect(try await post(client, Self.webhook, "{}").0 == .unauthorized)
            #expect(try await post(client, Self.webhook, "{}", headers: [.init("x-api-key")!: key + "x"]).0 == .unauthorized)
            // A project token is not a webhook key.
            #expect(try await post(client, Self.webhook, "{}", headers: P.auth("t1")).0 == .unauthorized)
            #expect(try await post(client, Self.webhook, "{}", headers: [.init("x-api-key")!: key]).0 == .created)
            try p.store.clearWebhookKey(Self.webhook)
            #expect(try await post(client, Self.webhook, "{}").0 == .created)
        }
    }

    /// Posts to the after-completion webhook while a worker, through the
    /// store (as another process would), finds the run and finishes it
    /// with one step whose output, `finalBody`, is the final state; the
    /// webhook's answer.
    func postAndFinish(_ p: TwoProjects, finalBody: String) async throws -> (HTTPResponse.Status, String)? {
        try Self.republish(p, reply: "after_completion")
        return try await p.app.test(.router) { client in
            try await withThrowingTaskGroup(of: (HTTPResponse.Status, String)?.self) { group in
                group.addTask { try await post(client, Self.webhook, #"{"n":1}"#) }
                group.addTask {
                    let id = try await Self.webhookRun(p)
                    let commands: [Command] = [
                        .claimRun(runId: id, workerName: "w", timestamp: nil), .startRun(runId: id, timestamp: nil),
                        .startStep(StartStep(runId: id, stepId: "s-\(id)", jobId: Self.job)),
                        .completeStep(CompleteStep(runId: id, stepId: "s-\(id)", jobId: Self.job, reason: .success,
                                                   outputDataclipId: "out-\(id)", outputDataclip: Array(finalBody.utf8))),
                        .completeRun(CompleteRun(runId: id, state: .success, finalDataclipId: "out-\(id)")),
                    ]
                    for outcome in try p.store.append(commands.map { Submission(id: .random(), command: $0) }) {
                        guard case .appended = outcome else { throw APIErrorForTest(description: "\(outcome)") }
                    }
                    return nil
                }
                var answered: (HTTPResponse.Status, String)?
                for try await result in group { if let result { answered = result } }
                return answered
            }
        }
    }

    @Test func afterCompletionAnswersWithTheFinalStateOnceAWorkerFinishes() async throws {
        let answered = try await postAndFinish(try TwoProjects(), finalBody: #"{"total":42}"#)
        #expect(answered?.0 == .created)
        #expect(object(answered?.1 ?? "")?["total"] as? Int == 42, "\(answered?.1 ?? "")")
    }

    /// The run finished, but its final state cannot be read (here a body
    /// that is not JSON, as damaged storage would leave it): the answer is
    /// 503 naming the run, so that a caller retrying does not make another
    /// (docs/http.md); never an error without its id.
    @Test func afterCompletionNamesTheRunWhenItsFinalStateCannotBeRead() async throws {
        let p = try TwoProjects()
        let answered = try await postAndFinish(p, finalBody: #"{"total":"#)
        let runId = try #require(try p.store.projections.runs(ofWorkflow: P.workflowA).first?.runId)
        #expect(answered?.0 == .serviceUnavailable, "\(String(describing: answered))")
        #expect(object(answered?.1 ?? "")?["run_id"] as? String == runId, "\(answered?.1 ?? "")")
    }

    @Test func afterCompletionAnswersWithTheJobsWebhookResponseWhenOneWasGiven() async throws {
        let p = try TwoProjects()
        try Self.republish(p, reply: "after_completion")
        try await p.app.test(.router) { client in
            try await withThrowingTaskGroup(of: (HTTPResponse.Status, String)?.self) { group in
                group.addTask { try await post(client, Self.webhook, "{}") }
                group.addTask {
                    let id = try await Self.webhookRun(p)
                    // The worker's protocol, through the API: step:complete carries the job's webhook_response.
                    let events = """
                        [{"event":"run:claimed","payload":{}},{"event":"run:start","payload":{}},
                         {"event":"step:start","payload":{"step_id":"s-\(id)","job_id":"\(Self.job)"}},
                         {"event":"step:complete","payload":{"step_id":"s-\(id)","job_id":"\(Self.job)","reason":"success",
                          "webhook_response":{"status":202,"body":{"accepted":true}}}},
                         {"event":"run:complete","payload":{"reason":"success","final_state":{"total":1}}}]
                        """
                    let status = try await client.execute(uri: "/api/v1/runs/\(id)/events", method: .post, headers: P.auth("w1"),
                                                          body: ByteBuffer(string: events)) { $0.status }
                    #expect(status == .ok)
                    return nil
                }
                var answered: (HTTPResponse.Status, String)?
                for try await result in group { if let result { answered = result } }
                #expect(answered?.0 == .accepted)
                #expect(object(answered?.1 ?? "")?["accepted"] as? Bool == true, "\(answered?.1 ?? "")")
            }
        }
        // Kept with the step in the log, and in the run's projection (which a replay rebuilds).
        let run = try #require(try p.store.projections.runs(ofWorkflow: P.workflowA).first)
        #expect(run.webhookResponse.map { String(decoding: $0, as: UTF8.self) } == #"{"status":202,"body":{"accepted":true}}"#)
        #expect(try p.store.log.run(run.runId)?.webhookResponse == run.webhookResponse)
    }

    @Test func afterCompletionAnswers504WithTheRunWhenItDoesNotFinishInTime() async throws {
        let p = try TwoProjects()
        try Self.republish(p, reply: "after_completion")
        let app = Application(router: makeRouter(
            store: p.store, configuration: ServerConfiguration(runScheduler: false, webhookReplyTimeout: .milliseconds(300))))
        try await app.test(.router) { client in
            let (status, answer) = try await post(client, Self.webhook, "{}")
            #expect(status == .gatewayTimeout)
            let runId = try #require(object(answer)?["run_id"] as? String)
            #expect(try p.store.log.run(runId)?.state == .available)
        }
    }
}

struct APIErrorForTest: Error, CustomStringConvertible {
    let description: String
}
