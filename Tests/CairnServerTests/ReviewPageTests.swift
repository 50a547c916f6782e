import CairnKit
import EventLog
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing
import Workflows
import YDoc

@testable import CairnServer

/// A cold review of the web page (issue 21): each test is a defect found,
/// seen failing before its fix (docs/reliability.md, "The page's review").
/// Two more, on the select publishing a stale or half-edited document,
/// wait for their fix (branch review2). Helpers are `PageTests`'.
@Suite(.serialized) struct ReviewPageTests {
    typealias P = TwoProjects
    typealias T = PageTests

    // MARK: Bad input: a 500

    /// `GET /workflows/{id}/runs?before=` (an empty cursor, as a hand-edited
    /// or truncated link gives) reads the runs projection with an empty key:
    /// LMDB answers MDB_BAD_VALSIZE, which `Pages.answer` turns into 500
    /// "internal error" and logs as a server fault. It is the client's bad
    /// input: 400, as `?before=nope` is.
    @Test func anEmptyRunsCursorIsABadRequestNotAServerError() async throws {
        let p = try TwoProjects()
        try await T.app(p).test(.router) { client in
            let page = try await T.send(client, .get, "/workflows/\(P.workflowA)/runs?before=", session: "v1")
            #expect(page.status != .internalServerError, "?before= gave \(page.status): \(page.body.prefix(300))")
            #expect(page.status == .badRequest)
        }
    }

    /// `GET /workflows/{id}?created=` (empty): `Pages.workflowPage` looks the
    /// run up with `store.currentRun("")` before anything else — MDB_BAD_VALSIZE,
    /// 500 — where the page should simply show no notice.
    @Test func anEmptyCreatedParameterStillShowsTheWorkflow() async throws {
        let p = try TwoProjects()
        try await T.app(p).test(.router) { client in
            let page = try await T.send(client, .get, "/workflows/\(P.workflowA)?created=", session: "v1")
            #expect(page.status == .ok, "?created= gave \(page.status): \(page.body.prefix(300))")
        }
    }

    // MARK: Data loss: the select publishes a stale document

    // MARK: Resources: pretty-printing is not bounded by what it shows

    /// `PrettyJSON.text` writes the whole body, indentation included, and
    /// only then cuts it to 64 KiB. Indentation grows with depth: a body of
    /// arrays nested 500 deep around N small numbers pretty-prints to about
    /// N × 1,000 characters. A 1 MB input (a tenth of the dataclip limit)
    /// makes every view of its run page build a ~500 MB string on the
    /// cooperative pool (the page polls every 2 s); at the 10 MB limit,
    /// ~5 GB. (Flat, the same bytes still cost a whole pretty-print of the
    /// body per view — 0.7 s for 1 MB in a debug build — to show 64 KiB.)
    @Test func showingADeepDataclipCostsNoMoreThanWhatIsShown() async throws {
        let p = try TwoProjects()
        let count = 500_000
        let zeros = Array(repeating: "0", count: count).joined(separator: ",")
        let depth = 500
        let deep = String(repeating: "[", count: depth) + zeros + String(repeating: "]", count: depth)
        let flat = "[" + zeros + "]"
        try await T.app(p).test(.router) { client in
            for (run, body) in [("flat", flat), ("deep", deep)] {
                let create = #"{"run_id":"\#(run)","workflow_id":"\#(P.workflowA)","input":{"type":"global","body":\#(body)}}"#
                let status = try await client.execute(uri: "/api/v1/runs", method: .post, headers: P.auth("w1"), body: ByteBuffer(string: create)) { $0.status }
                #expect(status == .created, "\(run)")
            }
            let clock = ContinuousClock()
            var flatPage: PageTests.Answer?
            let flatTime = try await clock.measure { flatPage = try await T.send(client, .get, "/runs/flat", session: "v1") }
            let peakBefore = Self.peakResidentBytes()
            var deepPage: PageTests.Answer?
            let deepTime = try await clock.measure { deepPage = try await T.send(client, .get, "/runs/deep", session: "v1") }
            let grown = Self.peakResidentBytes() - peakBefore
            #expect(flatPage?.status == .ok && deepPage?.status == .ok)
            // Both pages show at most 64 KiB of the body (about 67 KB of HTML each)...
            #expect((flatPage?.body.utf8.count ?? 0) < 100_000 && (deepPage?.body.utf8.count ?? 0) < 100_000)
            // ...yet showing the deep one takes hundreds of MB at its peak.
            #expect(
                grown < 128 << 20,
                "showing a \(deep.utf8.count)-byte body nested \(depth) deep raised the process's peak memory by \(grown >> 20) MiB and took \(deepTime) (the same bytes flat: \(flatTime)), to show \(deepPage?.body.utf8.count ?? 0) bytes")
        }
    }

    /// The process's peak resident set, in bytes (`ru_maxrss` is in KiB on Linux).
    static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) * 1024
    }

    // MARK: Run now: a sentinel that is also a dataclip id

    /// Run now's form says what the page showed in `expected`: the dataclip
    /// id, or the word `empty` when the page showed "empty: {}". Dataclip ids
    /// are any identifier (a worker names its outputs), so `empty` is also a
    /// possible id. The page showed an empty `{}`; then a run's step output a
    /// dataclip named `empty`, which became the next input; Run now still
    /// matches (`RunNow.run`: `input.dataclipId ?? "empty"` == "empty") and
    /// creates a run with that dataclip's body — an input the person never
    /// saw — instead of 409.
    @Test func runNowAfterAnEmptyInputDoesNotRunADataclipNamedEmpty() async throws {
        let p = try TwoProjects()
        try await T.app(p).test(.router) { client in
            let page = try await T.send(client, .get, "/workflows/\(P.workflowA)", session: "t1")
            #expect(page.body.contains("empty: <code>{}</code>"))
            // The empty input is sent as an empty value: no id can be one.
            #expect(page.body.contains(#"name="expected" value="""#))
            let csrf = try #require(page.csrf)
            // Meanwhile the cursor's job outputs a dataclip whose id is "empty".
            try await T.seedRun(client, "r1", job: T.job1, output: "empty")
            #expect(try p.store.nextCronInput(T.cron)?.dataclipId == "empty")

            let made = try await T.send(
                client, .post, "/workflows/\(P.workflowA)/triggers/\(T.cron)/run", session: "t1",
                form: [("csrf", csrf), ("expected", "")])
            let created = made.location?.components(separatedBy: "created=").last
            let input = try created.flatMap { try p.store.run($0)?.inputDataclipId }
            #expect(
                made.status == .conflict,
                "the page showed an empty {}; Run now made run \(created ?? "-") with input dataclip \(input ?? "-") ({\"from\":\"empty\"})")
        }
    }

    // MARK: Links to runs whose ids need escaping

    /// Run ids are any identifier (`run_id` of `POST /api/v1/runs`: non-empty,
    /// ≤ 120 bytes, no NUL). The runs table links `href="/runs/{{runId}}"`
    /// with the id as is (HTML-escaped, not percent-encoded), unlike the
    /// "Older runs" link (`PageViews.pathSegment`): a run `a/b` links to
    /// `/runs/a/b` (no such route) and `50%` to `/runs/50%` (400, broken
    /// percent-encoding). Its page is unreachable from the list.
    @Test func theRunsTableLinksEveryRunToItsOwnPage() async throws {
        let p = try TwoProjects()
        try await T.app(p).test(.router) { client in
            for (index, run) in ["a/b", "50%"].enumerated() {
                let body = P.create(run, workflow: P.workflowA, input: "in-\(index)")
                let status = try await client.execute(uri: "/api/v1/runs", method: .post, headers: P.auth("w1"), body: ByteBuffer(string: body)) { $0.status }
                #expect(status == .created)
            }
            let page = try await T.send(client, .get, "/workflows/\(P.workflowA)", session: "v1")
            for run in ["a/b", "50%"] {
                let escaped = run.replacingOccurrences(of: "/", with: "&#x2F;")
                let href = PageTests.Answer.first(#"<a href="([^"]+)">(?:\#(NSRegularExpression.escapedPattern(for: run))|\#(NSRegularExpression.escapedPattern(for: escaped)))</a>"#, in: page.body)
                let link = try #require(href, "no link to run \(run)")
                let target = try await T.send(client, .get, link, session: "v1")
                #expect(target.status == .ok, "run \(run): its link \(link) answers \(target.status)")
            }
        }
    }
}
