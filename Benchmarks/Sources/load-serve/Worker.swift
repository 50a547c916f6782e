import Foundation
import NIOCore

/// Where the server is and when the load starts and stops; shared by every worker.
struct WorkerSetup: Sendable {
    let host: String
    let port: Int
    let bearer: String?
    let group: any EventLoopGroup
    let start: ContinuousClock.Instant
    let deadline: ContinuousClock.Instant
    let progress: Progress
    /// `LOAD_CLAIM=own`: each worker claims the run it created, with a
    /// `run:claimed` event of its own id on the run's events route, instead
    /// of asking the queue. Not what a worker does; there to measure what
    /// the queue's claims cost (docs/benchmarks.md).
    let claimOwn: Bool
}

/// One simulated worker: in a loop until the deadline, a run is created
/// (standing in for the webhook that would create it, so the queue is fed
/// exactly as fast as it is drained), then the worker asks for work as a
/// real worker does (`POST /runs/claim`) and works the run it is given:
/// `run:start`, ten steps each started and completed with a 1 KiB output,
/// `run:complete`. Claims hand out the project's oldest available run, so
/// the run a worker works is usually another worker's; it never assumes it
/// gets its own (a real worker does not know which run it will be given).
///
/// Every event carries its own id (a fresh UUID), so a request that got no
/// answer is sent again unchanged and the server's idempotency makes the
/// retry safe: it answers `duplicate` if the first one was recorded.
///
/// An actor running on its connection's event loop: an answer resumes the
/// worker on the thread that read it, instead of a hop to Swift's
/// cooperative pool and back for every request (the generator shares two
/// cores with the server; each hop is a context switch).
actor Worker {
    let index: Int
    let setup: WorkerSetup
    private let eventLoop: any EventLoop
    private var connection: HTTPConnection?
    private var record = WorkerRecord()
    private var ids = UUIDSource()

    nonisolated var unownedExecutor: UnownedSerialExecutor { eventLoop.executor.asUnownedSerialExecutor() }

    init(index: Int, setup: WorkerSetup) {
        self.index = index
        self.setup = setup
        eventLoop = setup.group.next()
    }

    func run() async -> WorkerRecord {
        try? await Task.sleep(until: setup.start, clock: .continuous)
        while ContinuousClock.now < setup.deadline {
            let runId = ids.next()
            guard await createRun(runId) else { continue }
            guard let claimed = setup.claimOwn ? await claimOwn(runId) : await claimRun() else { continue }
            await work(claimed)
        }
        connection?.close()
        return record
    }

    // MARK: The run's life

    private func createRun(_ runId: UUID) async -> Bool {
        // The input a webhook request would have brought, inline: a new dataclip of the run's project.
        let body = #"""
            {"run_id":"\#(runId.lowercased)","workflow_id":"\#(Plan.workflowId)","starting_trigger_id":"\#(Plan.triggerId)",\#
            "input":{"type":"http_request","body":{"worker":\#(index),"received":"\#(runId.lowercased)"}}}
            """#
        guard let response = await send(.create, "/api/v1/runs", body) else { return false }
        return acknowledge(.create, response, run: runId, event: Ack.noEvent)
    }

    /// Asks for work until a run comes back, backing off between empty
    /// answers as a worker polling a queue does (2 ms doubling to 50 ms,
    /// jittered so the workers do not ask in step). Empty answers are normal
    /// under load: every claim goes for the project's oldest available runs,
    /// so concurrent claims race for the same few and the losers get none.
    /// Every worker created a run before asking, so one is always there to be
    /// had; the poll after the deadline is bounded in case a claim whose
    /// answer was lost took it.
    private func claimRun() async -> UUID? {
        let giveUp = setup.deadline + .seconds(30)
        let body = #"{"worker_name":"load-worker-\#(index)","demand":1}"#
        var backoff = 2.0
        while ContinuousClock.now < giveUp {
            // Never sent twice: a claim has no id of its own, and a second one
            // would take a second run (the first one's, if lost, stays claimed).
            if let response = await send(.claim, "/api/v1/runs/claim", body, retries: 0) {
                if let run = Self.claimedRun(response) {
                    record.acks.append(Ack(kind: .claim, appended: true, run: run, event: Ack.noEvent))
                    setup.progress.acknowledged.add(1, ordering: .relaxed)
                    return run
                }
                record.emptyClaims += 1
            }
            try? await Task.sleep(for: .microseconds(Int(backoff * Double.random(in: 500...1500))))
            backoff = min(backoff * 2, 50)
        }
        return nil
    }

    /// The run this worker created, claimed through its events route (`LOAD_CLAIM=own`).
    private func claimOwn(_ run: UUID) async -> UUID? {
        let path = "/api/v1/runs/\(run.lowercased)/events"
        return await event(.claim, path, run, "run:claimed", #"{"worker_name":"load-worker-\#(index)"}"#) ? run : nil
    }

    private func work(_ run: UUID) async {
        let path = "/api/v1/runs/\(run.lowercased)/events"
        guard await event(.runStart, path, run, "run:start", "{}") else { return abandon() }
        var previous: String?
        for (index, job) in Plan.jobIds.enumerated() {
            let step = ids.next().lowercased
            // Each step reads the one before it: its input is that step's output.
            let input = previous.map { #","input_dataclip_id":"\#($0)""# } ?? ""
            guard await event(.stepStart, path, run, "step:start", #"{"step_id":"\#(step)","job_id":"\#(job)"\#(input)}"#) else {
                return abandon()
            }
            let output = ids.next().lowercased
            let payload = #"""
                {"step_id":"\#(step)","job_id":"\#(job)","reason":"success","output_dataclip_id":"\#(output)",\#
                "output_dataclip":\#(Self.output(run: run, step: index)),"duration":3}
                """#
            guard await event(.stepComplete, path, run, "step:complete", payload) else { return abandon() }
            previous = output
        }
        let finish = #"{"reason":"success","final_dataclip_id":"\#(previous!)"}"#
        guard await event(.runComplete, path, run, "run:complete", finish) else { return abandon() }
        record.runsCompleted += 1
    }

    private func abandon() {
        record.runsAbandoned += 1
    }

    // MARK: Requests

    /// Sends one event about `run` under a fresh id; whether it was acknowledged.
    private func event(_ kind: RequestKind, _ path: String, _ run: UUID, _ name: String, _ payload: String) async -> Bool {
        let id = ids.next()
        let body = #"{"event":"\#(name)","id":"\#(id.lowercased)","payload":\#(payload)}"#
        guard let response = await send(kind, path, body) else { return false }
        return acknowledge(kind, response, run: run, event: id)
    }

    /// Records the server's answer: `appended` or `duplicate` (a retry of
    /// an event recorded before its answer was lost) is an acknowledgement.
    private func acknowledge(_ kind: RequestKind, _ response: HTTPConnection.Response, run: UUID, event: UUID) -> Bool {
        let appended = response.contains(#""status":"appended""#)
        guard appended || response.contains(#""status":"duplicate""#) else {
            record.errors.unexpected(kind, String(buffer: response.body))
            return false
        }
        record.acks.append(Ack(kind: kind, appended: appended, run: run, event: event))
        setup.progress.acknowledged.add(1, ordering: .relaxed)
        return true
    }

    /// One request; sent again, unchanged, after no answer or a 5xx, up to
    /// `retries` times. A 4xx is the server refusing this very request, so
    /// sending it again would only be refused again. The latency kept is
    /// the answered request's own (a retry's, not the sum).
    private func send(_ kind: RequestKind, _ path: String, _ body: String, retries: Int = 4) async -> HTTPConnection.Response? {
        for attempt in 0...retries {
            if attempt > 0 {
                record.retries += 1
                try? await Task.sleep(for: .milliseconds(10 * attempt))
            }
            do {
                let connection = try await connected()
                let sent = ContinuousClock.now
                let response = try await connection.post(path, body: body)
                if (200..<300).contains(response.status) {
                    record.latencies[kind.rawValue].add(ContinuousClock.now - sent)
                    return response
                }
                record.errors.status(response.status, kind, String(buffer: response.body))
                if response.status < 500 { return nil }
            } catch {
                record.errors.transport(kind, error)
                connection?.close()
                connection = nil
            }
        }
        return nil
    }

    private func connected() async throws -> HTTPConnection {
        if let connection { return connection }
        let fresh = try await HTTPConnection.connect(host: setup.host, port: setup.port, bearer: setup.bearer, group: eventLoop)
        connection = fresh
        return fresh
    }

    // MARK: Payloads

    /// A step's output: a JSON object of exactly 1,024 bytes as sent (what
    /// a small API response saved by a step looks like, padded to size).
    static func output(run: UUID, step: Int) -> String {
        #"{"run":"\#(run.lowercased)","step":"\#(step < 10 ? "0" : "")\#(step)","rows":[{"id":1,"ok":true}],"note":""#
            + padding + #""}"#
    }

    /// The padding that makes `output` 1,024 bytes: built once, not per step.
    static let padding: String = {
        let head = #"{"run":"00000000-0000-4000-8000-000000000000","step":"00","rows":[{"id":1,"ok":true}],"note":""#
        return String(repeating: "x", count: 1024 - head.utf8.count - #""}"#.utf8.count)
    }()

    /// The run a claim answered with, if any (`{"runs":[{"id":...}]}`).
    static func claimedRun(_ response: HTTPConnection.Response) -> UUID? {
        guard
            let object = try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any],
            let runs = object["runs"] as? [[String: Any]], let id = runs.first?["id"] as? String
        else { return nil }
        return UUID(uuidString: id)
    }
}

extension UUID {
    /// Lower case, as ids usually travel (Foundation prints upper case).
    var lowercased: String { uuidString.lowercased() }
}

/// Random (version 4) UUIDs from a per-worker generator seeded once from
/// the system: Foundation's `UUID()` opens, reads and closes /dev/urandom
/// for each one on Linux, three system calls a UUID on cores the server
/// needs. Uniqueness within one run is all a load test asks of them.
struct UUIDSource {
    private var state: UInt64 = .random(in: .min ... .max)

    /// SplitMix64: fast, and every seed gives a full-period sequence.
    private mutating func word() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next() -> UUID {
        let high = (word() & ~0xF000) | 0x4000  // version 4
        let low = (word() & ~(0xC << 60)) | (0x8 << 60)  // variant 10xx
        var raw: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &raw) { bytes in
            bytes.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
            bytes.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        return UUID(uuid: raw)
    }
}
