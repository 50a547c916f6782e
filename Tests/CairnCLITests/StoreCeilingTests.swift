import Foundation
import TestSupport
import Testing

/// `--max-size`: the map grows up to the ceiling and no further; a write
/// past it fails as "store full", whole, and everything acknowledged before
/// stands (docs/operations.md, "A ceiling on the data folder").
@Suite struct StoreCeilingTests {
    static let workflow = "7b1c2b4e-0c2d-4f7a-9a51-1d2f3e4a5b60"

    /// `count` run:created lines, each with a ~2 KiB input, ids fixed so a second ingest finds duplicates.
    static func lines(_ count: Int) -> String {
        let pad = String(repeating: "x", count: 2_000)
        return (0..<count).map { i in
            let id = String(format: "00000000-0000-4000-8000-%012d", i + 1)
            return #"{"event":"run:created","id":"\#(id)","payload":{"run_id":"r\#(i)","workflow_id":"\#(workflow)","input":{"type":"global","body":{"i":\#(i),"pad":"\#(pad)"}}}}"#
        }.joined(separator: "\n") + "\n"
    }

    @Test func aFullCeilingStopsTheIngestAndLosesNothingAcknowledged() throws {
        let folder = TemporaryFolder()
        let publish = try CLI.run([
            "workflow", "publish", Fixtures.url("workflows/daily-report.json").path, "--data", folder.path, "--max-size", "2M",
        ])
        #expect(publish.status == 0, "\(publish.stderr)")
        let input = Self.lines(3_000)

        let full = try CLI.run(["ingest", "-", "--data", folder.path, "--max-size", "2M", "--batch-size", "100", "--json"], stdin: input)
        #expect(full.status == 1)
        #expect(full.stderr.contains("store full"), "\(full.stderr)")
        #expect(full.stderr.contains("ceiling of 2 MiB"), "\(full.stderr)")
        let summary = try #require(try full.json() as? [String: Int])
        let stored = try #require(summary["appended"])
        // Whole batches only: the one that met the ceiling left nothing behind.
        #expect(stored > 0 && stored < 3_000 && stored % 100 == 0, "\(summary)")
        #expect(summary["stopped_at_line"] == stored + 1)

        // The folder is whole: its projections replay to what they are.
        let verify = try CLI.run(["rebuild", "--verify", "--data", folder.path])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
        let last = try CLI.run(["runs", "show", "r\(stored - 1)", "--data", folder.path, "--json"])
        #expect(last.status == 0, "\(last.stderr)")
        #expect(try CLI.run(["runs", "show", "r\(stored)", "--data", folder.path, "--json"]).status == 1)

        // Room made (a higher ceiling): the same file again stores the rest, once.
        let rest = try CLI.run(["ingest", "-", "--data", folder.path, "--max-size", "64M", "--json"], stdin: input)
        #expect(rest.status == 0, "\(rest.stderr)")
        #expect(try rest.json() as? [String: Int] == ["appended": 3_000 - stored, "duplicates": stored, "rejected": 0])
        let info = try #require(try CLI.run(["info", "--data", folder.path, "--json"]).json() as? [String: Any])
        #expect(info["last_sequence"] as? Int == 3_001)
    }

    @Test func aCeilingThatIsNotASizeIsAUsageError() throws {
        let folder = TemporaryFolder()
        for bad in ["lots", "12Q", "512", "-1G"] {
            let result = try CLI.run(["info", "--data", folder.path, "--max-size", bad])
            #expect(result.status == 2, "\(bad): \(result.stderr)")
            #expect(result.stderr.contains("--max-size"), "\(bad): \(result.stderr)")
        }
        let fromEnvironment = try CLI.run(["info", "--data", folder.path, "--json"], environment: ["CAIRN_MAX_SIZE": "nope"])
        #expect(fromEnvironment.status == 2, "\(fromEnvironment.stderr)")
    }
}
