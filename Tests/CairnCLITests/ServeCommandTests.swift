import Foundation
import TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `cairn serve` as an operator starts it: a process on a port, answering HTTP.
@Suite struct ServeCommandTests {
    @Test func serveAnswersHealthAndGuardsTheAPI() async throws {
        let folder = TemporaryFolder()
        let port = Int.random(in: 41_000...48_000)
        let process = Process()
        process.executableURL = CLI.buildFolder.appendingPathComponent("cairn")
        process.arguments = ["serve", "--data", folder.path, "--port", "\(port)", "--token", "p1:secret", "--no-scheduler"]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { process.terminate(); process.waitUntilExit() }

        func get(_ path: String, token: String? = nil) async throws -> (Int, Data) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
        }
        // Wait for the port to open.
        var health: (Int, Data)?
        for _ in 0..<100 {
            if let answer = try? await get("/healthz") {
                health = answer
                break
            }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        #expect(health?.0 == 200)
        #expect(try await get("/api/v1/runs/nope").0 == 401)
        #expect(try await get("/api/v1/runs/nope", token: "secret").0 == 404)
        #expect(try await get("/openapi.json").0 == 200)
    }
}
