public import CairnKit
import EventLog
import Foundation
import Hummingbird
public import Prometheus
public import Scheduler
import NIOConcurrencyHelpers

/// The service's metrics (docs/operations.md, "Metrics"), in a Prometheus
/// registry of its own: one per server, never the process-wide
/// `MetricsSystem`, so tests that make many routers and stores in one
/// process each read their own numbers.
///
/// Metrics are made with swift-prometheus's registry directly rather than
/// through swift-metrics' `Counter`/`Timer` with a `PrometheusMetricsFactory`:
/// the registry takes a help text and buckets per metric, which the
/// factory cannot, and nothing here needs another backend.
///
/// Where the numbers come from: requests from `RequestObserver`; the event
/// log's group commits from `EventStore.groupCommitObserver` (set by
/// `init`); the scheduler through `schedulerTicked`/`schedulerFailed`; the
/// sync rooms from `DocumentHub`; token refusals from `tokenRejected`. The
/// log head, projection lag and LMDB figures are read when `/metrics` is.
public final class ServerMetrics: Sendable {
    /// Where every metric of this server lives; `/metrics` prints it.
    public let registry: PrometheusCollectorRegistry
    private let store: Store

    private let requestHistograms = NIOLockedValueBox<[RequestKey: DurationHistogram]>([:])
    private let events: Counter
    private let eventsCounted = NIOLockedValueBox<UInt64>(0)
    private let batchSize: ValueHistogram
    private let commitWait: ValueHistogram
    private let commitDuration: ValueHistogram
    private let commitFailures: Counter
    private let catchUpFailing: Gauge
    private let mapSize: Gauge
    private let usedBytes: Gauge
    private let readersInUse: Gauge
    private let readersMax: Gauge
    private let ticks: Counter
    private let runsCreated: Counter
    private let lastTick: Gauge
    private let triggerFailures: Counter
    private let tickFailures: Counter
    private let rooms: Gauge
    private let sockets: Gauge
    private let tokensRejected: [RefusalReason: Counter]

    /// The server whose request is being handled (bound by `RequestObserver`
    /// around every request), for `tokenRejected(reason:)`.
    @TaskLocal static var current: ServerMetrics?

    /// Metrics of the server over `store`. Observes the store's group
    /// commits from now on, in place of any earlier observer (a store is
    /// served by one server).
    public init(store: Store, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.store = store
        self.registry = registry
        func name(_ name: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
        }
        events = registry.makeCounter(descriptor: name(
            "cairn_events_total", "Events in the log (its last sequence), read at each scrape."))
        batchSize = registry.makeValueHistogram(
            descriptor: name("cairn_eventlog_append_batch_size", "Submissions per group-commit transaction."),
            buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1_024, 2_048, 4_096])
        commitWait = registry.makeValueHistogram(
            descriptor: name(
                "cairn_eventlog_group_commit_wait_seconds",
                "Time a caller's submissions waited in the group-commit queue before their transaction began."),
            buckets: Self.storageBuckets)
        commitDuration = registry.makeValueHistogram(
            descriptor: name(
                "cairn_eventlog_commit_duration_seconds",
                "Group-commit transactions from start to durable commit (validation, writes, fsync)."),
            buckets: Self.storageBuckets)
        commitFailures = registry.makeCounter(descriptor: name(
            "cairn_eventlog_commit_failures_total", "Group-commit transactions that storage failed (every caller in them got an error)."))
        catchUpFailing = registry.makeGauge(descriptor: name(
            "cairn_projection_catch_up_failing", "1 while the projections' last catch-up failed (/healthz degraded), else 0."))
        mapSize = registry.makeGauge(descriptor: name("cairn_lmdb_map_size_bytes", "The LMDB map size (it doubles when a write fills it)."))
        usedBytes = registry.makeGauge(descriptor: name("cairn_lmdb_used_bytes", "Bytes of the LMDB map in use (last page + 1 pages)."))
        readersInUse = registry.makeGauge(descriptor: name("cairn_lmdb_readers_in_use", "LMDB reader slots in use, by every process on the folder."))
        readersMax = registry.makeGauge(descriptor: name("cairn_lmdb_readers_max", "LMDB reader slots in all."))
        ticks = registry.makeCounter(descriptor: name("cairn_scheduler_ticks_total", "Scheduler ticks that completed."))
        runsCreated = registry.makeCounter(descriptor: name("cairn_scheduler_runs_created_total", "Cron runs the scheduler created."))
        lastTick = registry.makeGauge(descriptor: name(
            "cairn_scheduler_last_tick_timestamp_seconds", "The minute the scheduler last ticked, in Unix seconds (0: not yet)."))
        let failureName = name("cairn_scheduler_failures_total", "Scheduler failures: a trigger that could not fire, or a whole tick.")
        triggerFailures = registry.makeCounter(descriptor: failureName, labels: [("kind", "trigger")])
        tickFailures = registry.makeCounter(descriptor: failureName, labels: [("kind", "tick")])
        rooms = registry.makeGauge(descriptor: name("cairn_sync_rooms", "Open document sync rooms (workflows with editors connected)."))
        sockets = registry.makeGauge(descriptor: name("cairn_sync_sockets", "WebSocket connections in the sync rooms."))
        let rejected = name("cairn_auth_tokens_rejected_total", "Requests refused for their bearer token, by reason.")
        tokensRejected = Dictionary(uniqueKeysWithValues: RefusalReason.allCases.map { reason in
            (reason, registry.makeCounter(descriptor: rejected, labels: [("reason", reason.rawValue)]))
        })
        // Weak: these metrics hold the store, so a strong capture would be a
        // cycle keeping both, and the LMDB environment, open for good.
        store.observeGroupCommits { [weak self] report in self?.record(report) }
    }

    // MARK: Requests

    static let requestBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
        .seconds(10),
    ]

    /// Seconds, 50 µs to 2.5 s. The group-commit histograms take `Double`
    /// seconds, not `Duration`: a record costs about 70 ns instead of 120
    /// (measured on this machine), and one is recorded per caller on the
    /// committer's queue.
    static let storageBuckets: [Double] = [
        0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
    ]

    private struct RequestKey: Hashable {
        let method: String
        let route: String
        let status: Int
    }

    /// The `method` label: the methods the API has, else `other`, so a
    /// client inventing methods cannot make series without end.
    static func methodLabel(_ method: HTTPRequest.Method) -> String {
        switch method {
        case .get, .post, .put, .delete, .patch, .head, .options: return method.rawValue
        default: return "other"
        }
    }

    /// One request's time, by its route template (`/api/v1/runs/{id}`,
    /// `NotFound` when none matched) and status.
    func requestFinished(method: String, route: String, status: Int, duration: Duration) {
        let key = RequestKey(method: method, route: route, status: status)
        let histogram = requestHistograms.withLockedValue { cache in
            if let known = cache[key] { return known }
            let made = registry.makeDurationHistogram(
                descriptor: MetricNameDescriptor(
                    metricName: "cairn_http_request_duration_seconds", unitName: "",
                    helpText: "HTTP requests by method, route template and status: time in the handler."),
                labels: [("method", method), ("route", route), ("status", String(status))],
                buckets: Self.requestBuckets)
            cache[key] = made
            return made
        }
        histogram.record(duration)
    }

    // MARK: Tokens

    /// Why a request was refused for its token: the `reason` label of
    /// `cairn_auth_tokens_rejected_total`. The 401s are the store's
    /// `TokenRejection`s; the 403s are a token of another project than the
    /// thing asked for, and a role too weak for the route.
    public enum RefusalReason: String, Sendable, CaseIterable {
        case missing, malformed, unknown, expired, revoked
        case wrongProject = "wrong_project"
        case role

        public init(_ rejection: TokenRejection) {
            switch rejection {
            case .missing: self = .missing
            case .malformed: self = .malformed
            case .unknown: self = .unknown
            case .expired: self = .expired
            case .revoked: self = .revoked
            }
        }
    }

    /// For `Authorization`'s `rejected`: a request refused 401 for its credentials.
    public func tokenRejected(_ rejection: TokenRejection) {
        countTokenRejection(RefusalReason(rejection))
    }

    /// Counts a request refused for its token, in the metrics of the server
    /// handling the current request (nothing outside a request): for a
    /// refusal made where no `ServerMetrics` is at hand (`Authorization`'s
    /// 403s). Call it once where the request is refused.
    public static func tokenRejected(reason: RefusalReason) {
        current?.countTokenRejection(reason)
    }

    /// Counts a request refused for its token.
    public func countTokenRejection(_ reason: RefusalReason) {
        tokensRejected[reason]?.increment()
    }

    // MARK: The event log

    private func record(_ report: GroupCommitReport) {
        batchSize.record(Double(report.submissions))
        for wait in report.waits { commitWait.record(Self.seconds(wait)) }
        commitDuration.record(Self.seconds(report.duration))
        if !report.committed { commitFailures.increment() }
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }

    // MARK: The scheduler

    /// For `Scheduler`'s `onTick`.
    public func schedulerTicked(_ tick: Scheduler.Tick) {
        ticks.increment()
        runsCreated.increment(by: Int64(tick.created.count))
        lastTick.set(to: Double(tick.minute.microseconds / 1_000_000))
    }

    /// For `Scheduler`'s `report`: a trigger that failed, or a whole tick
    /// (the scheduler reports those with trigger `*`).
    public func schedulerFailed(_ failure: TriggerFailure) {
        (failure.triggerId == "*" ? tickFailures : triggerFailures).increment()
    }

    // MARK: Sync rooms

    func syncChanged(rooms: Int, sockets: Int) {
        self.rooms.set(to: Double(rooms))
        self.sockets.set(to: Double(sockets))
    }

    // MARK: Exposition

    /// Reads what is read at scrape time (the log head, each projection's
    /// lag, LMDB's map), then every metric in Prometheus' text format.
    public func exposition() throws -> [UInt8] {
        let head = try store.lastSequence()
        eventsCounted.withLockedValue { counted in
            if head > counted { events.increment(by: Int64(head - counted)) }
            counted = max(counted, head)
        }
        // Read after the head: a projection that moved on since counts as caught up, not as ahead.
        for projection in try store.projectionStatus() {
            let lag: UInt64 = head > projection.sequence ? head - projection.sequence : 0
            registry.makeGauge(
                descriptor: MetricNameDescriptor(
                    metricName: "cairn_projection_lag_events", unitName: "",
                    helpText: "Events in the log that the projection has not applied yet."),
                labels: [("projection", projection.name)]
            ).set(to: Double(lag))
        }
        catchUpFailing.set(to: store.projectionLag == nil ? 0 : 1)
        let info = store.space()
        mapSize.set(to: Double(info.mapSize))
        usedBytes.set(to: Double(info.usedBytes))
        readersInUse.set(to: Double(info.readersInUse))
        readersMax.set(to: Double(info.maxReaders))
        var text: [UInt8] = []
        text.reserveCapacity(16_384)
        registry.emit(into: &text)
        return text
    }

    /// `GET /metrics`.
    func response() throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try exposition())))
    }
}
