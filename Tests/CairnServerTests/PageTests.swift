import CairnKit
import EventLog
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing
import YDoc

@testable import CairnServer

/// The web page (docs/page.md) in process: every page and form, signing
/// in, CSRF, roles and projects, and the cron input select's path through
/// the document hub. Tokens of `TwoProjects`: t1 editor of p1, t2 editor
/// of p2, w1 worker of p1, v1 viewer of p1.
@Suite struct PageTests {
    typealias P = TwoProjects
    static let cron = "c1000000-0000-4000-8000-000000000001"
    static let cronB = "c2000000-0000-4000-8000-000000000001"
    static let job1 = "a1000000-0000-4000-8000-000000000001"
    static let job2 = "a1000000-0000-4000-8000-000000000002"

    /// The service's router with the page on it, and the hub it edits through.
    static func app(_ p: TwoProjects, hub: DocumentHub? = nil) -> some ApplicationProtocol {
        let router = makeRouter(store: p.store, configuration: p.configuration)
        addPages(to: router, store: p.store, hub: hub ?? DocumentHub(store: p.store), limits: p.configuration.limits)
        return Application(router: router)
    }

    struct Answer {
        let status: HTTPResponse.Status
        let body: String
        let headers: HTTPFields
        var location: String? { headers[.location] }
        var cookies: [String] { headers[values: .setCookie] }
        /// The first form's CSRF token on the page.
        var csrf: String? { Self.first(#"name="csrf" value="([^"]+)""#, in: body) }

        static func first(_ pattern: String, in text: String) -> String? {
            guard let regex = try? NSRegularExpression(pattern: pattern),
                let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
                let range = Range(match.range(at: 1), in: text)
            else { return nil }
            return String(text[range])
        }
    }

    static func send(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, session: String? = nil,
        cookie: String? = nil, form: [(String, String)]? = nil, headers extra: HTTPFields = [:]
    ) async throws -> Answer {
        var headers = extra
        let cookies = [session.map { "\(PageSession.sessionCookie)=\($0)" }, cookie].compactMap { $0 }
        if !cookies.isEmpty { headers[.cookie] = cookies.joined(separator: "; ") }
        var body = ByteBuffer()
        if let form {
            headers[.contentType] = "application/x-www-form-urlencoded"
            body = ByteBuffer(string: form.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&"))
        }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
            Answer(status: response.status, body: String(buffer: response.body), headers: response.headers)
        }
    }

    /// The CSRF token of `session`'s forms, read from the workflow page.
    static func csrf(_ client: some TestClientProtocol, _ session: String, workflow: String = P.workflowA) async throws -> String {
        try #require(try await send(client, .get, "/workflows/\(workflow)", session: session).csrf)
    }

    /// A successful run of workflow A started by its cron trigger, through the worker API: its step
    /// of `job` outputs dataclip `output` ({"from": output}); its final state is that output, or
    /// (`finalIsOutput` false) a new dataclip {"final": run}.
    static func seedRun(_ client: some TestClientProtocol, _ run: String, job: String, output: String, finalIsOutput: Bool = true) async throws {
        let create = #"{"run_id":"\#(run)","workflow_id":"\#(P.workflowA)","starting_trigger_id":"\#(cron)","input":{"type":"global","body":{}}}"#
        var status = try await client.execute(uri: "/api/v1/runs", method: .post, headers: P.auth("w1"), body: ByteBuffer(string: create)) { $0.status }
        #expect(status == .created)
        let final = finalIsOutput ? #""final_dataclip_id":"\#(output)""# : #""final_state":{"final":"\#(run)"}"#
        let events = """
            [{"event":"run:claimed","payload":{"worker_name":"w"}},{"event":"run:start","payload":{}},
             {"event":"step:start","payload":{"step_id":"s-\(run)","job_id":"\(job)"}},
             {"event":"step:complete","payload":{"step_id":"s-\(run)","job_id":"\(job)","reason":"success","output_dataclip_id":"\(output)","output_dataclip":"{\\"from\\":\\"\(output)\\"}"}},
             {"event":"run:complete","payload":{"reason":"success",\(final)}}]
            """
        status = try await client.execute(uri: "/api/v1/runs/\(run)/events", method: .post, headers: P.auth("w1"), body: ByteBuffer(string: events)) { $0.status }
        #expect(status == .ok)
    }

    // MARK: Signing in

    @Test func editorsAndViewersSignInWorkersAndUnknownTokensDoNot() async throws {
        let p = try TwoProjects()
        try await Self.app(p).test(.router) { client in
            // Not signed in: every page sends to the form.
            let home = try await Self.send(client, .get, "/")
            #expect(home.status == .seeOther && home.location == "/login")
            let form = try await Self.send(client, .get, "/login")
            #expect(form.status == .ok)
            let pre = try #require(form.cookies.first { $0.hasPrefix("\(PageSession.preSessionCookie)=") })
            #expect(pre.contains("HttpOnly") && pre.contains("SameSite=Strict"))
            let cookie = String(pre.split(separator: ";")[0])
            let csrf = try #require(form.csrf)

            for token in ["t1", "v1"] {
                let signedIn = try await Self.send(client, .post, "/login", cookie: cookie, form: [("csrf", csrf), ("token", token)])
                #expect(signedIn.status == .seeOther && signedIn.location == "/", "\(token)")
                let session = try #require(signedIn.cookies.first { $0.hasPrefix("\(PageSession.sessionCookie)=") })
                #expect(session == "\(PageSession.sessionCookie)=\(token); Path=/; HttpOnly; SameSite=Strict")
            }
            let worker = try await Self.send(client, .post, "/login", cookie: cookie, form: [("csrf", csrf), ("token", "w1")])
            #expect(worker.status == .forbidden && worker.body.contains("a worker token cannot sign in"))
            #expect(worker.cookies.allSatisfy { !$0.hasPrefix("\(PageSession.sessionCookie)=") })
            let unknown = try await Self.send(client, .post, "/login", cookie: cookie, form: [("csrf", csrf), ("token", "nope")])
            #expect(unknown.status == .unauthorized && unknown.body.contains("unknown, expired or revoked"))
            // The sign-in form's own CSRF token: missing or not this browser's, 403.
            let missing = try await Self.send(client, .post, "/login", cookie: cookie, form: [("token", "t1")])
            #expect(missing.status == .forbidden && missing.body.contains("CSRF"))
            let foreign = try await Self.send(client, .post, "/login", cookie: "\(PageSession.preSessionCookie)=other", form: [("csrf", csrf), ("token", "t1")])
            #expect(foreign.status == .forbidden)
            // A worker's token in the cookie is no session either.
            #expect(try await Self.send(client, .get, "/", session: "w1").location == "/login")
            // Signing out: CSRF too.
            let csrfT1 = try await Self.csrf(client, "t1")
            #expect(try await Self.send(client, .post, "/logout", session: "t1", form: []).status == .forbidden)
            let out = try await Self.send(client, .post, "/logout", session: "t1", form: [("csrf", csrfT1)])
            #expect(out.status == .seeOther && out.cookies.contains { $0.hasPrefix("\(PageSession.sessionCookie)=;") && $0.contains("Max-Age=0") })
        }
    }

    // MARK: Pages

    @Test func everyPageShowsTheTokensProjectAndNothingOfAnothers() async throws {
        let p = try TwoProjects()
        try await Self.app(p).test(.router) { client in
            try await Self.seedRun(client, "r1", job: Self.job1, output: "out-1")
            let list = try await Self.send(client, .get, "/", session: "v1")
            #expect(list.status == .ok)
            #expect(list.body.contains("/workflows/\(P.workflowA)") && !list.body.contains(P.workflowB))
            #expect(list.body.contains("<code>0 6 * * *</code> UTC") && list.body.contains("success"))

            let page = try await Self.send(client, .get, "/workflows/\(P.workflowA)", session: "v1")
            #expect(page.status == .ok)
            for piece in ["<svg class=\"graph\"", "Cron input source", "Final run state", "Fetch orders", "Next input", "out-1", "id=\"run-r1\""] {
                #expect(page.body.contains(piece), "\(piece)")
            }
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            // Five fire times.
            #expect(page.body.components(separatedBy: "<li class=\"time\">").count == 6)
            // A viewer gets no Run now and a disabled select.
            #expect(!page.body.contains("Run now</button>") && page.body.contains("name=\"job_id\" disabled"))
            let editorPage = try await Self.send(client, .get, "/workflows/\(P.workflowA)", session: "t1")
            #expect(editorPage.body.contains("Run now</button>") && !editorPage.body.contains("name=\"job_id\" disabled"))

            let run = try await Self.send(client, .get, "/runs/r1", session: "v1")
            #expect(run.status == .ok && run.body.contains("final state") && run.body.contains("&quot;from&quot;: &quot;out-1&quot;"))
            let runs = try await Self.send(client, .get, "/workflows/\(P.workflowA)/runs?before=r1", session: "v1")
            #expect(runs.status == .ok && runs.body.contains("No runs before that one"))

            // Another project's workflow, runs and run: 404, as if they did not exist.
            for uri in ["/workflows/\(P.workflowA)", "/workflows/\(P.workflowA)/runs", "/runs/r1"] {
                let other = try await Self.send(client, .get, uri, session: "t2")
                #expect(other.status == .notFound, "\(uri)")
                #expect(!other.body.contains("Fetch orders"))
            }
            #expect(try await Self.send(client, .get, "/workflows/nope", session: "t1").status == .notFound)
            // The assets.
            #expect(try await Self.send(client, .get, "/assets/page.css").status == .ok)
            #expect(try await Self.send(client, .get, "/assets/page.js").body.contains("data-live"))
        }
    }

    @Test func runPagesPageAndMarkTheFinalStateAndWipedOutputs() async throws {
        let p = try TwoProjects()
        try await Self.app(p).test(.router) { client in
            for index in 1...(PageViews.runsPerPage + 1) {
                try await Self.seedRun(client, String(format: "r%02d", index), job: Self.job1, output: "o\(index)")
            }
            _ = try p.store.append([Submission(id: .random(), command: .wipeDataclip(dataclipId: "o21", timestamp: nil))])
            let first = try await Self.send(client, .get, "/workflows/\(P.workflowA)", session: "v1")
            let older = try #require(Answer.first(#"href="([^"]+)" id="older-runs""#, in: first.body))
            #expect(first.body.contains("id=\"run-r21\"") && !first.body.contains("id=\"run-r01\""))
            let second = try await Self.send(client, .get, older, session: "v1")
            #expect(second.status == .ok && second.body.contains("id=\"run-r01\"") && !second.body.contains("id=\"run-r21\""))
            let run = try await Self.send(client, .get, "/runs/r21", session: "v1")
            #expect(run.body.contains("wiped") && run.body.contains("final state"))
            // A page of another workflow's run is refused.
            #expect(try await Self.send(client, .get, "/workflows/\(P.workflowA)/runs?before=nope", session: "v1").status == .badRequest)
        }
    }

    @Test func pagesOfRunsCreatedAtTheSameMicrosecondSkipAndRepeatNone() async throws {
        let p = try TwoProjects()
        try await Self.app(p).test(.router) { client in
            let count = PageViews.runsPerPage * 2 + 3
            for index in 0..<count {
                let body = P.create(String(format: "tie-%02d", index), workflow: P.workflowA, input: "in-\(index)", created: 1_800_000_000_000_000)
                let status = try await client.execute(uri: "/api/v1/runs", method: .post, headers: P.auth("w1"), body: ByteBuffer(string: body)) { $0.status }
                #expect(status == .created)
            }
            var seen: [String] = []
            var uri: String? = "/workflows/\(P.workflowA)"
            while let next = uri {
                let page = try await Self.send(client, .get, next, session: "v1")
                let regex = try NSRegularExpression(pattern: #"<tr id="run-([^"]+)">"#)
                seen += regex.matches(in: page.body, range: NSRange(page.body.startIndex..., in: page.body)).compactMap {
                    Range($0.range(at: 1), in: page.body).map { String(page.body[$0]) }
                }
                uri = Answer.first(#"href="([^"]+)" id="older-runs""#, in: page.body)?.replacingOccurrences(of: "&#61;", with: "=")
            }
            // Newest first: at one time, the larger id first; every run once.
            #expect(seen == (0..<count).reversed().map { String(format: "tie-%02d", $0) })
        }
    }

    // MARK: The cron input source

    @Test func theSelectEditsTheDocumentThroughTheHubAndPublishes() async throws {
        let p = try TwoProjects()
        let hub = DocumentHub(store: p.store)
        try await Self.app(p, hub: hub).test(.router) { client in
            // An editor connected to the document hears the page's change.
            let inbox = DocumentHubTests.Inbox()
            let (connection, _) = try await hub.join(P.workflowA, project: "p1") { inbox.add($0) }
            // Joined before anyone wrote: its answer to the server's step 1 stores an empty state.
            let empty = try Doc(clientID: 5).encodeStateAsUpdate()
            _ = try await hub.receive(P.workflowA, from: connection, SyncMessage.step2(update: empty).encoded())
            #expect(try p.store.documentRevision(P.workflowA) == 1)
            #expect(try p.store.documentDraft(P.workflowA) == nil)
            // The page still offers the published workflow's jobs.
            #expect(try await Self.send(client, .get, "/workflows/\(P.workflowA)", session: "t1").body.contains("<option value=\"\(Self.job2)\">Summarise"))
            let csrf = try await Self.csrf(client, "t1")
            let saved = try await Self.send(
                client, .post, "/workflows/\(P.workflowA)/triggers/\(Self.cron)/cursor", session: "t1",
                form: [("csrf", csrf), ("job_id", Self.job2)])
            #expect(saved.status == .seeOther, "\(saved.body)")
            #expect(saved.location == "/workflows/\(P.workflowA)?saved=1")
            // Published: the scheduler's index has it; the document too.
            #expect(try p.store.trigger(Self.cron)?.summary.cronCursorJobId == Self.job2)
            #expect(try p.store.snapshot(P.workflowA)?.lockVersion == 2)
            let draft = try #require(try p.store.documentDraft(P.workflowA))
            #expect(draft.workflow.triggers.first { $0.id == Self.cron }?.cronCursorJobId == Self.job2)
            // Relayed: the editor's replica, from what it was sent, has the cursor.
            let editor = Doc(clientID: 77)
            for frame in await inbox.arrived(1) {
                if case .sync(.update(let update)) = try SyncMessage.decode(frame) { try editor.applyUpdate(update) }
            }
            let trigger = editor.array("triggers").values.compactMap { value -> YMap? in
                guard case .map(let m) = value, case .any(.string(Self.cron))? = m.get("id") else { return nil }
                return m
            }.first
            if case .any(.string(let cursor))? = trigger?.get("cron_cursor_job_id") {
                #expect(cursor == Self.job2)
            } else {
                Issue.record("the editor's document has no cursor")
            }
            let page = try await Self.send(client, .get, try #require(saved.location), session: "t1")
            #expect(page.body.contains("saved in the document and published as version 2"))
            #expect(page.body.contains("<option value=\"\(Self.job2)\" selected>"))

            // Back to the final run state.
            let final = try await Self.send(
                client, .post, "/workflows/\(P.workflowA)/triggers/\(Self.cron)/cursor", session: "t1",
                form: [("csrf", csrf), ("job_id", "")])
            #expect(final.status == .seeOther)
            #expect(try p.store.trigger(Self.cron)?.summary.cronCursorJobId == nil)
            await hub.leave(P.workflowA, connection)
        }
    }

    /// An editor's change to the document, through the hub as over the socket.
    static func editorChanges(_ p: TwoProjects, _ hub: DocumentHub, _ change: (Doc, YDoc.Transaction) throws -> Void) async throws {
        let editor = Doc(clientID: 4242)
        try editor.applyUpdate(try p.store.exportDocument(P.workflowA))
        let before = editor.encodeStateVector()
        try editor.transact { txn in try change(editor, txn) }
        let (connection, _) = try await hub.join(P.workflowA, project: "p1") { _ in }
        _ = try await hub.receive(P.workflowA, from: connection, SyncMessage.update(try editor.encodeStateAsUpdate(stateVector: before)).encoded())
        await hub.leave(P.workflowA, connection)
    }

    static func cronTrigger(_ doc: Doc) -> YMap? {
        doc.array("triggers").values.compactMap { value -> YMap? in
            guard case .map(let m) = value, case .any(.string(Self.cron))? = m.get("id") else { return nil }
            return m
        }.first
    }

    @Test func thePageShowsTheRepairsAndErrorsTheDocumentCarries() async throws {
        let p = try TwoProjects()
        let hub = DocumentHub(store: p.store)
        try await Self.app(p, hub: hub).test(.router) { client in
            let csrf = try await Self.csrf(client, "t1")
            let uri = "/workflows/\(P.workflowA)/triggers/\(Self.cron)/cursor"
            #expect(try await Self.send(client, .post, uri, session: "t1", form: [("csrf", csrf), ("job_id", Self.job2)]).status == .seeOther)

            // Another editor deletes Summarise, the chosen job: the cursor is cleared, and the page says so.
            try await Self.editorChanges(p, hub) { doc, txn in try doc.array("jobs").delete(1, txn) }
            let page = try await Self.send(client, .get, "/workflows/\(P.workflowA)", session: "t1")
            #expect(page.body.contains("<code>triggers[0].cron_cursor_job_id</code> cleared: job \(Self.job2) is not in the workflow"))
            #expect(page.body.contains("The document says <strong>Final run state</strong>; the published workflow, which the scheduler uses, says <strong>Summarise</strong>"))
            // Choosing the deleted job now: the published version still has it, so the choice
            // is published alone and the document, which no longer has it, is left as it is.
            let revision = try p.store.documentRevision(P.workflowA)
            let alone = try await Self.send(client, .post, uri, session: "t1", form: [("csrf", csrf), ("job_id", Self.job2)])
            #expect(alone.status == .seeOther && alone.location == "/workflows/\(P.workflowA)?saved=published-only")
            #expect(try p.store.documentRevision(P.workflowA) == revision)
            #expect(try p.store.trigger(Self.cron)?.summary.cronCursorJobId == Self.job2)
            // A job in neither the document nor the published version: refused, nothing written.
            let refused = try await Self.send(client, .post, uri, session: "t1", form: [("csrf", csrf), ("job_id", "a9999999-0000-4000-8000-000000000009")])
            #expect(refused.status == .badRequest && refused.body.contains("is not a job of this workflow"))
            #expect(try p.store.documentRevision(P.workflowA) == revision)

            // An editor leaves the document unpublishable: the choice still publishes, onto the
            // published version alone (the broken expression stays in the document), and the page
            // says the document holds changes that are not published.
            try await Self.editorChanges(p, hub) { doc, txn in
                Self.cronTrigger(doc)?.set("cron_expression", .string("not cron"), txn)
            }
            let stored = try await Self.send(client, .post, uri, session: "t1", form: [("csrf", csrf), ("job_id", Self.job1)])
            #expect(stored.status == .seeOther)
            #expect(try p.store.trigger(Self.cron)?.summary.cronCursorJobId == Self.job1)
            #expect(try p.store.workflow(P.workflowA)?.triggers.first?.cronExpression == "0 6 * * *")
            #expect(try p.store.workflow(P.workflowA)?.jobs.count == 2)
            #expect(try p.store.documentDraft(P.workflowA)?.workflow.triggers.first?.cronCursorJobId == Self.job1)
            let after = try await Self.send(client, .get, try #require(stored.location), session: "t1")
            #expect(after.body.contains("in jobs, triggers, edges: it holds editors"))

            // A job only the document has cannot be the published source: stored, not published, and said why.
            try await Self.editorChanges(p, hub) { doc, txn in
                try doc.array("jobs").insert(doc.array("jobs").count, [.map([
                    ("id", .string("a1000000-0000-4000-8000-0000000000ff")), ("name", .string("Draft job")),
                    ("body", .text("fn(s => s)")), ("adaptor", .string("@openfn/language-common@latest")),
                ])], txn)
            }
            let draftOnly = try await Self.send(
                client, .post, uri, session: "t1", form: [("csrf", csrf), ("job_id", "a1000000-0000-4000-8000-0000000000ff")])
            #expect(draftOnly.status == .unprocessableContent)
            #expect(draftOnly.body.contains("is not in published version 3 (it is only in the document)"))
            #expect(try p.store.trigger(Self.cron)?.summary.cronCursorJobId == Self.job1)
        }
    }

    @Test func anUnknownJobIsRefusedWithAClearMessageAndNothingIsWritten() async throws {
        let p = try TwoProjects()
        try await Self.app(p).test(.router) { client in
            let csrf = try await Self.csrf(client, "t1")
            let refused = try await Self.send(
                client, .post, "/workflows/\(P.workflowA)/triggers/\(Self.cron)/cursor", session: "t1",
                form: [("csrf", csrf), ("job_id", "no-such-job")])
            #expect(refused.status == .badRequest)
            #expect(refused.body.contains("job no-such-job is not a job of this workflow"))
            #expect(refused.body.contains("Fetch orders (\(Self.job1))"))
            #expect(try p.store.documentRevision(P.workflowA) == 0)
            #expect(try p.store.snapshot(P.workflowA)?.lockVersion == 1)
            #expect(try p.store.trigger(Self.cron)?.summary.cronCursorJobId == Self.job1)
            // A form without the field, and a trigger that is not cron: refused, nothing written.
            #expect(try await Self.send(client, .post, "/workflows/\(P.workflowA)/triggers/\(Self.cron)/cursor", session: "t1", form: [("csrf", csrf)]).status == .badRequest)
            let webhook = try await Self.send(
                client, .post, "/workflows/\(P.workflowA)/triggers/c1000000-0000-4000-8000-000000000002/cursor", session: "t1",
                form: [("csrf", csrf), ("job_id", Self.job2)])
            #expect(webhook.status == .conflict && webhook.body.contains("not a cron trigger"))
            #expect(try p.store.documentRevision(P.workflowA) == 0)
        }
    }

    @Test func viewersOtherProjectsAndFormsWithoutCSRFChangeNothing() async throws {
        let p = try TwoProjects()
        try await Self.app(p).test(.router) { client in
            try await Self.seedRun(client, "r1", job: Self.job1, output: "out-1")
            let csrfT1 = try await Self.csrf(client, "t1")
            let csrfV1 = try await Self.csrf(client, "v1")
            let csrfT2 = try await Self.csrf(client, "t2", workflow: P.workflowB)
            for action in ["cursor", "run"] {
                let uri = "/workflows/\(P.workflowA)/triggers/\(Self.cron)/\(action)"
                let fields = [("job_id", Self.job2), ("expected", "out-1")]
                // A viewer, with its own valid CSRF token: 403.
                let viewer = try await Self.send(client, .post, uri, session: "v1", form: [("csrf", csrfV1)] + fields)
                #expect(viewer.status == .forbidden && viewer.body.contains("role editor"), "\(action)")
                // An editor without the token, or with another session's: 403.
                #expect(try await Self.send(client, .post, uri, session: "t1", form: fields).status == .forbidden, "\(action)")
                #expect(try await Self.send(client, .post, uri, session: "t1", form: [("csrf", csrfV1)] + fields).status == .forbidden, "\(action)")
                // Not signed in: 401.
                #expect(try await Self.send(client, .post, uri, form: [("csrf", csrfT1)] + fields).status == .unauthorized, "\(action)")
                // Another project's editor: 404, as if it did not exist.
                let other = try await Self.send(client, .post, uri, session: "t2", form: [("csrf", csrfT2)] + fields)
                #expect(other.status == .notFound, "\(action): \(other.body)")
            }
            #expect(try p.store.documentRevision(P.workflowA) == 0)
            #expect(try p.store.snapshot(P.workflowA)?.lockVersion == 1)
            #expect(try p.store.runs(ofWorkflow: P.workflowA, limit: 10).count == 1)
        }
    }

    // MARK: Run now

    @Test func runNowCreatesARunWithExactlyTheNextInput() async throws {
        let p = try TwoProjects()
        try await Self.app(p).test(.router) { client in
            try await Self.seedRun(client, "r1", job: Self.job1, output: "out-1", finalIsOutput: false)
            let page = try await Self.send(client, .get, "/workflows/\(P.workflowA)", session: "t1")
            #expect(page.body.contains("id=\"dataclip-\(Self.cron)\">out-1<"))
            #expect(page.body.contains("&quot;from&quot;: &quot;out-1&quot;"))
            let csrf = try #require(page.csrf)
            let uri = "/workflows/\(P.workflowA)/triggers/\(Self.cron)/run"
            // What the page showed is no longer the next input: 409, nothing made.
            let stale = try await Self.send(client, .post, uri, session: "t1", form: [("csrf", csrf), ("expected", "empty")])
            #expect(stale.status == .conflict && stale.body.contains("changed since the page was shown"))
            #expect(try p.store.runs(ofWorkflow: P.workflowA, limit: 10).count == 1)

            let made = try await Self.send(client, .post, uri, session: "t1", form: [("csrf", csrf), ("expected", "out-1")])
            #expect(made.status == .seeOther)
            let runId = try #require(made.location?.components(separatedBy: "created=").last)
            let run = try #require(try p.store.run(runId))
            #expect(run.inputDataclipId == "out-1" && run.startingTriggerId == Self.cron && run.state == .available)
            let after = try await Self.send(client, .get, try #require(made.location), session: "t1")
            #expect(after.body.contains("Run \(runId) created with input out-1"))

            // The final run state as the source: r1's final dataclip, a new one holding {"final": "r1"}.
            _ = try await Self.send(client, .post, "/workflows/\(P.workflowA)/triggers/\(Self.cron)/cursor", session: "t1", form: [("csrf", csrf), ("job_id", "")])
            let finalPage = try await Self.send(client, .get, "/workflows/\(P.workflowA)", session: "t1")
            #expect(finalPage.body.contains("final state of this trigger&#39;s latest successful run"))
            #expect(finalPage.body.contains("&quot;final&quot;: &quot;r1&quot;"))
        }
    }

    // MARK: An open server

    @Test func anOpenServerShowsThePageReadOnlyToThisMachineOnly() async throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        _ = try store.publish(try WorkflowJSONDecoding.decode(Fixtures.sampleWorkflowJSON(project: "p1", workflowId: P.workflowA)))
        let router = makeRouter(store: store, configuration: ServerConfiguration(runScheduler: false))
        addPages(to: router, store: store, hub: DocumentHub(store: store), limits: RequestLimits())
        try await Application(router: router).test(.router) { client in
            let page = try await Self.send(client, .get, "/workflows/\(P.workflowA)")
            #expect(page.status == .ok && page.body.contains("open server: read-only"))
            #expect(!page.body.contains("Run now</button>"))
            // A browser page from elsewhere (an Origin), or through a proxy: refused, as the open API.
            #expect(try await Self.send(client, .get, "/", headers: [.origin: "http://evil.example"]).status == .forbidden)
            #expect(try await Self.send(client, .get, "/", headers: [.init("x-forwarded-for")!: "10.0.0.1"]).status == .forbidden)
            // Nothing can be changed.
            let post = try await Self.send(
                client, .post, "/workflows/\(P.workflowA)/triggers/\(Self.cron)/cursor", form: [("csrf", page.csrf ?? ""), ("job_id", "")])
            #expect(post.status == .forbidden && post.body.contains("read-only"))
            #expect(try await Self.send(client, .post, "/login", form: [("token", "x")]).status == .forbidden)
            #expect(try store.documentRevision(P.workflowA) == 0)
        }
    }
}
