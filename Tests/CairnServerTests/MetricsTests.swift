import CairnKit
import EventLog
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Scheduler
import TestSupport
import Testing

@testable import CairnServer

/// `GET /metrics` (docs/operations.md, "Metrics") and the request log lines:
/// each metric read back after the work it counts, from the server's own
/// registry.
@Suite struct MetricsTests {
    typealias P = TwoProjects

    static let request = "cairn_http_request_duration_seconds"

    @Test func requestTimesAreCountedByRouteTemplateAndStatus() async throws {
        let p = try TwoProjects()
        try await p.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/runs", method: .post, headers: P.auth("t1"),
                body: ByteBuffer(string: P.create("r1", workflow: P.workflowA, input: "in1"))) { response throws in
                #expect(response.status == .created)
            }
            for id in ["r1", "r1", "nope-1", "nope-2", "nope-3"] {
                try await client.execute(uri: "/api/v1/runs/\(id)", method: .get, headers: P.auth("t1")) { response throws in
                    #expect(response.status == (id == "r1" ? .ok : .notFound))
                }
            }
            try await client.execute(uri: "/nowhere/at/all", method: .get) { response throws in #expect(response.status == .notFound) }
            let metrics = try await Self.scrape(client)
            #expect(metrics.types[Self.request] == "histogram")
            let runRoute = "/api/v1/runs/{id}"
            #expect(metrics.value(Self.request + "_count", ["method": "GET", "route": runRoute, "status": "200"]) == 2)
            #expect(metrics.value(Self.request + "_count", ["method": "GET", "route": runRoute, "status": "404"]) == 3)
            #expect(metrics.value(Self.request + "_count", ["method": "POST", "route": "/api/v1/runs", "status": "201"]) == 1)
            #expect(metrics.value(Self.request + "_count", ["method": "GET", "route": "NotFound", "status": "404"]) == 1)
            // Every bucket series of the route, and the +Inf bucket is the count.
            #expect(metrics.value(Self.request + "_bucket", ["method": "GET", "route": runRoute, "status": "404", "le": "+Inf"]) == 3)
            #expect((metrics.value(Self.request + "_sum", ["method": "GET", "route": runRoute, "status": "404"]) ?? 0) > 0)
            // Templates only: no series names a path as it was sent.
            let routes = Set(metrics.series(Self.request + "_count").compactMap { $0.labels["route"] })
            #expect(routes == [runRoute, "/api/v1/runs", "NotFound"])
        }
    }

    @Test func groupCommitsReportTheirBatchesWaitsAndCommits() async throws {
        let p = try TwoProjects()
        try await p.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/runs", method: .post, headers: P.auth("t1"),
                body: ByteBuffer(string: P.create("r1", workflow: P.workflowA, input: "in1"))) { response throws in
                #expect(response.status == .created)
            }
            // Three events in one request: one caller, one transaction of three submissions.
            let events = """
                [{"event":"run:claimed","payload":{"worker_name":"w"}},
                 {"event":"run:start","payload":{}},
                 {"event":"step:start","payload":{"step_id":"s1","job_id":"\(P.job)"}}]
                """
            try await client.execute(uri: "/api/v1/runs/r1/events", method: .post, headers: P.auth("t1"), body: ByteBuffer(string: events)) {
                response throws in
                #expect(response.status == .ok)
            }
            let metrics = try await Self.scrape(client)
            #expect(metrics.types["cairn_eventlog_append_batch_size"] == "histogram")
            #expect(metrics.value("cairn_eventlog_append_batch_size_count") == 2)
            #expect(metrics.value("cairn_eventlog_append_batch_size_sum") == 4)
            #expect(metrics.value("cairn_eventlog_append_batch_size_bucket", ["le": "2.0"]) == 1)
            #expect(metrics.value("cairn_eventlog_append_batch_size_bucket", ["le": "4.0"]) == 2)
            #expect(metrics.value("cairn_eventlog_group_commit_wait_seconds_count") == 2)
            #expect(metrics.value("cairn_eventlog_commit_duration_seconds_count") == 2)
            #expect((metrics.value("cairn_eventlog_commit_duration_seconds_sum") ?? 0) > 0)
            #expect(metrics.value("cairn_eventlog_commit_failures_total") == 0)
            // The log's head: the two publishes' events, the run and its three events.
            #expect(metrics.types["cairn_events_total"] == "counter")
            #expect(metrics.value("cairn_events_total") == Double(try p.store.log.lastSequence()))
            #expect(try p.store.log.lastSequence() > 4)
        }
    }

    /// Concurrent callers share transactions: every submission is in one
    /// batch, and every caller waited once.
    @Test func concurrentCallersAreCountedOnceEach() async throws {
        let p = try TwoProjects()
        let metrics = ServerMetrics(store: p.store)
        let callers = 32
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<callers {
                group.addTask {
                    let create = CreateRun(runId: "c\(i)", workflowId: P.workflowA, input: NewDataclip(type: .global, body: Array("{}".utf8)))
                    let claim = Submission(id: .random(), command: .claimRun(runId: "c\(i)", workerName: "w", timestamp: nil))
                    let outcomes = try await p.store.submit([Submission(id: .random(), command: .createRun(create)), claim])
                    #expect(outcomes.count == 2)
                }
            }
            try await group.waitForAll()
        }
        let text = try Exposition(metrics.exposition())
        #expect(text.value("cairn_eventlog_append_batch_size_sum") == Double(2 * callers))
        #expect(text.value("cairn_eventlog_group_commit_wait_seconds_count") == Double(callers))
        let transactions = try #require(text.value("cairn_eventlog_append_batch_size_count"))
        #expect(transactions >= 1 && transactions <= Double(callers))
        #expect(text.value("cairn_eventlog_commit_duration_seconds_count") == transactions)
    }

    @Test func projectionLagCountsTheEventsAProjectionHasNotApplied() throws {
        let p = try TwoProjects()
        let metrics = ServerMetrics(store: p.store)
        let names = try p.store.info().projections.map(\.name)
        #expect(names.count >= 5)
        func lags() throws -> [String: Double] {
            let text = try Exposition(metrics.exposition())
            #expect(text.types["cairn_projection_lag_events"] == "gauge")
            return Dictionary(uniqueKeysWithValues: text.series("cairn_projection_lag_events").map { ($0.labels["projection"] ?? "", $0.value) })
        }
        #expect(try lags() == Dictionary(uniqueKeysWithValues: names.map { ($0, 0) }))
        // Written to the log alone: no projection has them yet.
        _ = try p.store.log.append((1...2).map { i in
            Submission(id: .random(), command: .createRun(CreateRun(
                runId: "lag\(i)", workflowId: P.workflowA, input: NewDataclip(type: .global, body: Array("{}".utf8)))))
        })
        #expect(try lags() == Dictionary(uniqueKeysWithValues: names.map { ($0, 2) }))
        _ = try p.store.projections.catchUp()
        #expect(try lags() == Dictionary(uniqueKeysWithValues: names.map { ($0, 0) }))
        #expect(try Exposition(metrics.exposition()).value("cairn_projection_catch_up_failing") == 0)
    }

    /// A catch-up that fails shows as `cairn_projection_catch_up_failing` 1, with the lag.
    @Test func aFailingCatchUpShows() async throws {
        let p = try TwoProjects()
        let metrics = ServerMetrics(store: p.store)
        _ = try p.store.append([Submission(id: .random(), command: .createRun(CreateRun(
            runId: "r1", workflowId: P.workflowA, input: NewDataclip(type: .global, body: Array("{}".utf8)))))])
        try ProjectionLagTests.damageRunRecord(p.store, "r1")
        _ = try await p.store.submit([Submission(id: .random(), command: .claimRun(runId: "r1", workerName: "w", timestamp: nil))])
        let text = try Exposition(metrics.exposition())
        #expect(text.value("cairn_projection_catch_up_failing") == 1)
        #expect((text.value("cairn_projection_lag_events", ["projection": "runs"]) ?? 0) >= 1)
    }

    @Test func lmdbMapFiguresAreTheEnvironments() throws {
        let p = try TwoProjects()
        let metrics = ServerMetrics(store: p.store)
        let text = try Exposition(metrics.exposition())
        let info = p.store.environment.info()
        #expect(text.value("cairn_lmdb_map_size_bytes") == Double(info.mapSize))
        #expect(text.value("cairn_lmdb_used_bytes") == Double(info.usedBytes))
        #expect(info.usedBytes > 0 && info.usedBytes <= info.mapSize)
        #expect(text.value("cairn_lmdb_readers_max") == Double(info.maxReaders))
        #expect(text.value("cairn_lmdb_readers_in_use") == Double(info.readersInUse))
    }

    @Test func schedulerTicksRunsAndFailuresAreCounted() throws {
        let p = try TwoProjects()
        let metrics = ServerMetrics(store: p.store)
        let scheduler = Scheduler(
            log: p.store.log, projections: p.store.projections, report: { metrics.schedulerFailed($0) },
            onTick: { metrics.schedulerTicked($0) })
        // The first 06:00 UTC after the workflows were published (now): both fire then.
        let today = (Date().timeIntervalSince1970 / 86_400).rounded(.down) * 86_400 + 6 * 3_600
        let six = Date(timeIntervalSince1970: today > Date().timeIntervalSince1970 ? today : today + 86_400)
        let first = try scheduler.tick(at: six)
        let again = try scheduler.tick(at: six)  // the same minute: nothing new
        #expect(first.created.count == 2)  // each project's workflow fires at 06:00
        #expect(again.created.isEmpty)
        var text = try Exposition(metrics.exposition())
        #expect(text.value("cairn_scheduler_ticks_total") == 2)
        #expect(text.value("cairn_scheduler_runs_created_total") == 2)
        #expect(text.value("cairn_scheduler_last_tick_timestamp_seconds") == six.timeIntervalSince1970)
        #expect(text.value("cairn_scheduler_failures_total", ["kind": "trigger"]) == 0)

        // A scheduler whose triggers cannot get their input: each is a failure.
        struct Gone: Error {}
        let failing = Scheduler(
            log: p.store.log, projections: p.store.projections, report: { metrics.schedulerFailed($0) },
            resolveInput: { _ in throw Gone() }, onTick: { metrics.schedulerTicked($0) })
        let tomorrow = six.addingTimeInterval(86_400)
        let failed = try failing.tick(at: tomorrow)
        #expect(failed.failures.count == 2)
        text = try Exposition(metrics.exposition())
        #expect(text.value("cairn_scheduler_failures_total", ["kind": "trigger"]) == 2)
        #expect(text.value("cairn_scheduler_failures_total", ["kind": "tick"]) == 0)
        #expect(text.value("cairn_scheduler_ticks_total") == 3)
        #expect(text.value("cairn_scheduler_runs_created_total") == 2)
        #expect(text.value("cairn_scheduler_last_tick_timestamp_seconds") == tomorrow.timeIntervalSince1970)
    }

    @Test func syncRoomsAndSocketsFollowTheHub() async throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        let metrics = ServerMetrics(store: store)
        let hub = DocumentHub(store: store, metrics: metrics)
        func gauges() throws -> (Double?, Double?) {
            let text = try Exposition(metrics.exposition())
            return (text.value("cairn_sync_rooms"), text.value("cairn_sync_sockets"))
        }
        #expect(try gauges() == (0, 0))
        let (a, _) = try await hub.join("w1") { _ in }
        let (b, _) = try await hub.join("w1") { _ in }
        let (c, _) = try await hub.join("w2") { _ in }
        #expect(try gauges() == (2, 3))
        await hub.leave("w1", a)
        #expect(try gauges() == (2, 2))
        await hub.leave("w2", c)
        #expect(try gauges() == (1, 1))
        await hub.leave("w1", b)
        #expect(try gauges() == (0, 0))
    }

    @Test func refusedTokensAreCountedByReason() async throws {
        let p = try TwoProjects()
        let actor = AuditActor(tokenId: nil, name: "test")
        let revoked = try p.store.createToken(projectId: "p1", role: .editor, actor: actor, secret: "gone")
        _ = try p.store.revokeToken(revoked.token.id, actor: actor)
        _ = try p.store.createToken(
            projectId: "p1", role: .editor, expiresAt: Timestamp(microseconds: 1_000_000), actor: actor, secret: "old")
        try await p.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/runs", method: .post, headers: P.auth("t1"),
                body: ByteBuffer(string: P.create("r1", workflow: P.workflowA, input: "in1"))) { response throws in
                #expect(response.status == .created)
            }
            // 401s: no token, not a bearer token, an unknown one, a revoked one, an expired one.
            for headers: HTTPFields in [[:], [.authorization: "Basic dTpw"], P.auth("nope"), P.auth("gone"), P.auth("old")] {
                try await client.execute(uri: "/api/v1/runs/r1", method: .get, headers: headers) { response throws in
                    #expect(response.status == .unauthorized)
                }
            }
            // 403s: another project's run; a viewer creating a run.
            try await client.execute(uri: "/api/v1/runs/r1", method: .get, headers: P.auth("t2")) { response throws in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/api/v1/runs", method: .post, headers: P.auth("v1"),
                body: ByteBuffer(string: P.create("r2", workflow: P.workflowA, input: "in2"))) { response throws in
                #expect(response.status == .forbidden)
            }
            // A usable token: not a refusal, whatever the answer.
            try await client.execute(uri: "/api/v1/runs/nope", method: .get, headers: P.auth("t1")) { response throws in
                #expect(response.status == .notFound)
            }
            // Outside a request there is no server to count in.
            ServerMetrics.tokenRejected(reason: .role)
            let metrics = try await Self.scrape(client)
            let name = "cairn_auth_tokens_rejected_total"
            #expect(metrics.types[name] == "counter")
            let counts = Dictionary(uniqueKeysWithValues: metrics.series(name).map { ($0.labels["reason"] ?? "", $0.value) })
            #expect(counts == [
                "missing": 1, "malformed": 1, "unknown": 1, "revoked": 1, "expired": 1, "wrong_project": 1, "role": 1,
            ])
        }
    }

    /// Tests make many servers in one process: each has its own registry.
    @Test func twoServersInOneProcessKeepTheirOwnNumbers() async throws {
        let first = try TwoProjects()
        let second = try TwoProjects()
        try await first.app.test(.router) { client in
            for _ in 0..<3 {
                try await client.execute(uri: "/healthz", method: .get) { response throws in #expect(response.status == .ok) }
            }
            let metrics = try await Self.scrape(client)
            #expect(metrics.value(Self.request + "_count", ["method": "GET", "route": "/healthz", "status": "200"]) == 3)
        }
        try await second.app.test(.router) { client in
            let metrics = try await Self.scrape(client)
            #expect(metrics.series(Self.request + "_count").isEmpty)
            #expect(metrics.value("cairn_eventlog_append_batch_size_count") == 0)
        }
    }

    // MARK: Logging

    /// One line per request through the request's logger: its id (also in
    /// `X-Request-Id`), method, route template, path, status, duration, and
    /// a refused request's field.
    @Test func eachRequestLogsOneLineWithItsId() async throws {
        let p = try TwoProjects()
        let records = LogRecords()
        let app = Application(
            router: makeRouter(store: p.store, configuration: p.configuration),
            logger: Logger(label: "test") { _ in CapturingHandler(records: records) })
        let ids = try await app.test(.router) { client in
            var ids: [String] = []
            for (uri, token) in [
                ("/healthz", nil), ("/api/v1/workflows/\(P.workflowA)/runs?limit=0", "t1"), ("/api/v1/runs/r1", nil),
            ] {
                let id = try await client.execute(uri: uri, method: .get, headers: token.map(P.auth) ?? [:]) { response throws in
                    response.headers[HTTPFields.Element.Name("X-Request-Id")!]
                }
                ids.append(try #require(id))
            }
            return ids
        }
        let lines = records.all.filter { $0.metadata?["http.route"] != nil }
        try #require(lines.count == 3)
        func field(_ line: LogEvent, _ key: String) -> String? { line.metadata?[key]?.description }
        #expect(lines.map { field($0, "hb.request.id") } == ids)
        #expect(Set(ids).count == 3)
        #expect(lines.map { field($0, "http.route") } == ["/healthz", "/api/v1/workflows/{id}/runs", "/api/v1/runs/{id}"])
        #expect(lines.map { field($0, "http.status") } == ["200", "400", "401"])
        #expect(lines.map { field($0, "http.method") } == ["GET", "GET", "GET"])
        #expect(lines.map(\.level) == [.info, .info, .info])
        #expect(field(lines[1], "http.path") == "/api/v1/workflows/\(P.workflowA)/runs")
        #expect(field(lines[1], "error.field") == "limit")
        #expect(field(lines[1], "error.message")?.contains("limit") == true)
        #expect(field(lines[0], "error.field") == nil)
        #expect(lines.allSatisfy { Double(field($0, "duration_ms") ?? "") != nil })
        #expect(lines[1].message.description == "GET /api/v1/workflows/{id}/runs 400")
    }

    /// The sync router: hummingbird-websocket answers an upgrade itself (101,
    /// or 400 when the route refuses), and the line and the metrics say so.
    @Test func webSocketUpgradesAreLoggedAndCountedAsAnswered() async throws {
        let p = try TwoProjects()
        let metrics = ServerMetrics(store: p.store)
        let records = LogRecords()
        let app = Application(
            router: makeSyncRouter(
                store: p.store, configuration: p.configuration, hub: DocumentHub(store: p.store, metrics: metrics), metrics: metrics),
            logger: Logger(label: "test") { _ in CapturingHandler(records: records) })
        let upgrade: HTTPFields = [.connection: "Upgrade", .upgrade: "websocket"]
        try await app.test(.router) { client in
            // Its own project's document; an unknown token; another project's document.
            for (workflow, token, answer) in [
                (P.workflowA, "t1", HTTPResponse.Status.ok), (P.workflowA, "nope", .methodNotAllowed),
                (P.workflowB, "t1", .methodNotAllowed),
            ] {
                var headers = upgrade
                headers.append(contentsOf: P.auth(token))
                try await client.execute(uri: "/api/v1/workflows/\(workflow)/sync", method: .get, headers: headers) { response throws in
                    #expect(response.status == answer)
                }
            }
        }
        let text = try Exposition(metrics.exposition())
        let route = "/api/v1/workflows/{id}/sync"
        #expect(text.value(Self.request + "_count", ["method": "GET", "route": route, "status": "101"]) == 1)
        #expect(text.value(Self.request + "_count", ["method": "GET", "route": route, "status": "400"]) == 2)
        #expect(text.value("cairn_auth_tokens_rejected_total", ["reason": "unknown"]) == 1)
        let lines = records.all.filter { $0.metadata?["http.route"] != nil }
        #expect(lines.map { $0.metadata?["http.status"]?.description } == ["101", "400", "400"])
        #expect(lines.map { $0.metadata?["http.route"]?.description } == [route, route, route])
        #expect(lines[1].metadata?["error"]?.description == "WebSocket upgrade refused (the route answered 405)")
        #expect(lines[0].metadata?["error"] == nil)
        #expect(Set(lines.compactMap { $0.metadata?["hb.request.id"]?.description }).count == 3)
    }

    // MARK: Helpers

    static func scrape(_ client: some TestClientProtocol) async throws -> Exposition {
        try await client.execute(uri: "/metrics", method: .get) { response throws in
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            return try Exposition(String(buffer: response.body))
        }
    }
}

/// The Prometheus text format, read back: each sample with its labels, and
/// each metric's `# TYPE`.
struct Exposition {
    struct Sample {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    struct Malformed: Error, CustomStringConvertible {
        let line: String
        var description: String { "not a sample line: \(line)" }
    }

    private(set) var samples: [Sample] = []
    private(set) var types: [String: String] = [:]

    init(_ bytes: [UInt8]) throws { try self.init(String(decoding: bytes, as: UTF8.self)) }

    init(_ text: String) throws {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                if parts.count == 4 { types[String(parts[2])] = String(parts[3]) }
                continue
            }
            if line.hasPrefix("#") { continue }
            samples.append(try Self.sample(line))
        }
    }

    /// The value of the one sample named `name` with exactly `labels`.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    func series(_ name: String) -> [Sample] { samples.filter { $0.name == name } }

    private static func sample(_ line: Substring) throws -> Sample {
        var rest = line[...]
        let name = rest.prefix { $0 != "{" && $0 != " " }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let key = rest.prefix { $0 != "=" }
                rest = rest.dropFirst(key.count)
                guard rest.hasPrefix("=\"") else { throw Malformed(line: String(line)) }
                rest = rest.dropFirst(2)
                var value = ""
                while let character = rest.first, character != "\"" {
                    rest = rest.dropFirst()
                    if character == "\\", let escaped = rest.first {
                        rest = rest.dropFirst()
                        value.append(escaped == "n" ? "\n" : escaped)
                    } else {
                        value.append(character)
                    }
                }
                guard !rest.isEmpty else { throw Malformed(line: String(line)) }
                rest = rest.dropFirst()
                labels[String(key)] = value
                if rest.first == "," { rest = rest.dropFirst() }
                guard !rest.isEmpty else { throw Malformed(line: String(line)) }
            }
            rest = rest.dropFirst()
        }
        guard let value = Double(rest.trimmingCharacters(in: .whitespaces)) else { throw Malformed(line: String(line)) }
        return Sample(name: String(name), labels: labels, value: value)
    }
}

/// Every log event a `CapturingHandler` was given, with the logger's metadata.
final class LogRecords: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [LogEvent] = []
    func add(_ event: LogEvent) { lock.withLock { events.append(event) } }
    var all: [LogEvent] { lock.withLock { events } }
}

struct CapturingHandler: LogHandler {
    let records: LogRecords
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        event.metadata = metadata.merging(event.metadata ?? [:]) { $1 }
        records.add(event)
    }
}
