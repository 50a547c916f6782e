import Foundation
import TestSupport
import Testing

@Suite struct InfoCommandTests {
    @Test func versionPrintsAndExitsZero() throws {
        let result = try CLI.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
    }

    @Test func infoCreatesTheStoreOnFirstUse() throws {
        let folder = TemporaryFolder()
        let data = folder.path + "/store"
        let result = try CLI.run(["info", "--data", data, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try result.json() as? [String: Any])
        #expect(json["format_version"] as? Int == 3)
        #expect((json["map_size"] as? Int ?? 0) > 0)
        let names = (json["databases"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(names.contains("meta"))
        // Each projection table once: its live slot, not the idle one a rebuild uses.
        #expect(names.contains("proj.runs.runs.0") && !names.contains("proj.runs.runs.1"))
        let projections = json["projections"] as? [[String: Any]] ?? []
        #expect(projections.map { $0["name"] as? String } == ["runs", "workflow_runs", "job_outputs", "trigger_finals", "cron_index"])
        #expect(projections.allSatisfy { ($0["sequence"] as? Int) == (json["last_sequence"] as? Int) })
        #expect(FileManager.default.fileExists(atPath: data + "/data.mdb"))
    }

    @Test func dataFolderComesFromTheEnvironmentToo() throws {
        let folder = TemporaryFolder()
        let result = try CLI.run(["info"], environment: ["CAIRN_DATA": folder.path + "/env-store"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("env-store"))
    }

    @Test func usageErrorsExitTwo() throws {
        let result = try CLI.run(["info", "--no-such-flag"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("no-such-flag"))
        #expect(try CLI.run(["no-such-command"]).status == 2)
    }

    @Test func foreignDataFolderIsOneClearLineAndExitOne() throws {
        let folder = TemporaryFolder()
        _ = FileManager.default.createFile(
            atPath: folder.path + "/data.mdb", contents: Data(repeating: 0x5A, count: 20_000))
        let result = try CLI.run(["info", "--data", folder.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("not an LMDB database"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}
