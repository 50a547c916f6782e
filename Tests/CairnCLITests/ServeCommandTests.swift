import Foundation
import TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `cairn serve` as an operator starts it: a process on a port, answering
/// HTTP, with tokens made and revoked by `cairn token` in another process.
@Suite struct ServeCommandTests {
    @Test func tokensMadeAndRevokedByTheCLIGuardTheRunningService() async throws {
        let folder = TemporaryFolder()
        let made = try CLI.run(["token", "create", "--project", "p1", "--role", "viewer", "--name", "ops", "--json", "--data", folder.path])
        #expect(made.status == 0, "\(made.stderr)")
        let token = try #require(try made.json() as? [String: Any])
        let secret = try #require(token["secret"] as? String)
        let id = try #require(token["id"] as? String)
        #expect(secret.hasPrefix("cairn_") && secret.count == 6 + 43)
        #expect(token["project"] as? String == "p1" && token["role"] as? String == "viewer" && token["name"] as? String == "ops")

        let service = try await ServeProcess.start(["--data", folder.path, "--no-scheduler"])
        defer { service.stop() }
        let port = service.port

        func get(_ path: String, token: String? = nil) async throws -> (Int, Data) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
        }
        // It logged that it listens: the port is open.
        let health = try await get("/healthz")
        #expect(health.0 == 200)
        #expect(try await get("/api/v1/runs/nope").0 == 401)
        #expect(try await get("/api/v1/runs/nope", token: secret + "x").0 == 401)
        #expect(try await get("/api/v1/runs/nope", token: secret).0 == 404)
        #expect(try await get("/openapi.json").0 == 200)

        // Revoked by another process while the service runs: refused at once.
        let revoked = try CLI.run(["token", "revoke", id, "--data", folder.path])
        #expect(revoked.status == 0, "\(revoked.stderr)")
        let (status, body) = try await get("/api/v1/runs/nope", token: secret)
        #expect(status == 401)
        #expect(String(decoding: body, as: UTF8.self).contains("revoked"))

        // The list never shows a secret; the audit trail shows both changes.
        let list = try CLI.run(["token", "list", "--json", "--data", folder.path])
        #expect(!list.stdout.contains(secret))
        let listed = try #require(try list.json() as? [[String: Any]])
        #expect(listed.map { $0["state"] as? String } == ["revoked"])
        // The service notes a use on a queue of its own, off the request's path.
        let noted = try await eventually {
            let again = try CLI.run(["token", "list", "--json", "--data", folder.path])
            return (try again.json() as? [[String: Any]])?.first?["last_used_at"] is String
        }
        #expect(noted, "the service noted the token's use")
        let audit = try #require(try CLI.run(["audit", "--json", "--data", folder.path]).json() as? [[String: Any]])
        #expect(audit.map { $0["action"] as? String } == ["token:created", "token:revoked"])
        #expect(audit.allSatisfy { $0["subject"] as? String == id })
    }

    @Test func withNoTokenItRefusesToListenBeyondLoopback() throws {
        let folder = TemporaryFolder()
        let refused = try CLI.run(["serve", "--host", "0.0.0.0", "--port", "4999", "--data", folder.path])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("cairn token create"))
    }
}

extension ServeCommandTests {
    /// Tokens once came from CAIRN_TOKENS; ignoring it would serve an open
    /// API to workers who believe they authenticate.
    @Test func theOldTokensVariableIsRefusedNotIgnored() throws {
        let folder = TemporaryFolder()
        let refused = try CLI.run(["serve", "--port", "4998", "--data", folder.path], environment: ["CAIRN_TOKENS": "p1:secret"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("cairn token create"))
    }
}

extension ServeCommandTests {
    /// A port another process holds is a clear refusal naming it, not a
    /// socket call's errno; a port beyond 0...65535 is refused before anything opens.
    @Test func aPortInUseOrOutOfRangeIsRefusedClearly() async throws {
        let firstFolder = TemporaryFolder()
        let first = try await ServeProcess.start(["--data", firstFolder.path, "--no-scheduler"])
        defer { first.stop() }
        let second = TemporaryFolder()
        let taken = try CLI.run(["serve", "--port", "\(first.port)", "--no-scheduler", "--data", second.path])
        #expect(taken.status == 2)
        #expect(taken.stderr.contains("cannot listen on 127.0.0.1:\(first.port): another process is listening there"), "\(taken.stderr)")
        for port in ["-1", "65536"] {
            let refused = try CLI.run(["serve", "--port=\(port)", "--data", second.path])
            #expect(refused.status == 2, "\(port): \(refused.status)")
            #expect(refused.stderr.contains("--port must be 0...65535"), "\(port): \(refused.stderr)")
        }
    }
}

extension ServeCommandTests {
    /// The crash test's simulated scheduler clock: a value that does not
    /// read is refused before anything opens, saying what was expected.
    @Test func aMalformedSchedulerClockIsRefused() throws {
        let folder = TemporaryFolder()
        let refused = try CLI.run(
            ["serve", "--port", "0", "--data", folder.path], environment: ["CAIRN_SCHEDULER_CLOCK": "2100-01-01T00:00:00Z soon 60"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("CAIRN_SCHEDULER_CLOCK") && refused.stderr.contains("REAL_START soon to be Unix seconds"), "\(refused.stderr)")
    }
}
