import Foundation
import NIOConcurrencyHelpers
import TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// SIGTERM while workers post: the service stops within 5 s with status 0,
/// and every run it acknowledged is in the folder (docs/operations.md,
/// "Stopping the service").
@Suite struct GracefulShutdownTests {
    static let workflow = "7b1c2b4e-0c2d-4f7a-9a51-1d2f3e4a5b60"

    @Test func sigtermUnderLoadLosesNoAcknowledgedRun() async throws {
        let folder = TemporaryFolder()
        let published = try CLI.run(["workflow", "publish", Fixtures.url("workflows/daily-report.json").path, "--data", folder.path])
        #expect(published.status == 0, "\(published.stderr)")
        let service = try await ServeProcess.start(["--data", folder.path, "--no-scheduler"])
        let process = service.process
        let port = service.port
        defer { service.stop() }
        // A session of its own, let go at the end: URLSession.shared keeps
        // libcurl's handles to the end of the process, which LeakSanitizer
        // reports (docs/reliability.md, "Sanitizers").
        let session = URLSession(configuration: .ephemeral)
        defer { session.invalidateAndCancel() }

        @Sendable func post(_ path: String, _ body: String) async -> Int {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            request.httpMethod = "POST"
            request.httpBody = Data(body.utf8)
            request.timeoutInterval = 5
            guard let (_, response) = try? await session.data(for: request) else { return 0 }
            return (response as? HTTPURLResponse)?.statusCode ?? 0
        }
        // It logged that it listens: the port is open.
        #expect(await post("/api/v1/runs/claim", "{}") == 200)

        // Eight workers create runs until the service stops answering.
        let tally = Tally()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for i in 0..<10_000 {
                        let run = "r-\(worker)-\(i)"
                        let body = #"{"run_id":"\#(run)","workflow_id":"\#(Self.workflow)","input":{"type":"global","body":{"i":\#(i)}}}"#
                        let status = await post("/api/v1/runs", body)
                        if status == 201 { tally.acknowledged.withLockedValue { $0.append(run) } } else {
                            tally.refused.withLockedValue { $0[status, default: 0] += 1 }
                            if status == 0 { return }  // the port closed
                        }
                    }
                }
            }
            group.addTask {
                // Under load, not before it: once the workers have had runs
                // acknowledged (a fixed delay may end before the first on a busy machine).
                _ = await eventually { tally.acknowledged.withLockedValue { $0.count } >= 50 }
                try await Task.sleep(for: .milliseconds(200))
                kill(process.processIdentifier, SIGTERM)
            }
            try await group.waitForAll()
        }
        let stopped = ContinuousClock.now
        while process.isRunning && ContinuousClock.now - stopped < .seconds(6) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning, "still running 6 s after SIGTERM")
        #expect(process.terminationStatus == 0)
        // Only 503s (draining) and closed connections, never another error.
        #expect(tally.refused.withLockedValue { $0.keys.allSatisfy { $0 == 0 || $0 == 503 } }, "\(tally.refused.withLockedValue { $0 })")

        let runs = tally.acknowledged.withLockedValue { $0 }
        #expect(runs.count > 0)
        let listed = try CLI.run(["runs", "list", "--workflow", Self.workflow, "--limit", "1000000", "--json", "--data", folder.path])
        let stored = Set(((try listed.json() as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String })
        #expect(Set(runs).isSubset(of: stored), "lost: \(Set(runs).subtracting(stored).prefix(5))")
        let verify = try CLI.run(["rebuild", "--verify", "--data", folder.path])
        #expect(verify.status == 0, "\(verify.stderr)")
    }
}

/// What the workers of a test saw, shared between their tasks.
final class Tally: Sendable {
    let acknowledged = NIOLockedValueBox<[String]>([])
    let refused = NIOLockedValueBox<[Int: Int]>([:])
}
