import Foundation
import TestSupport
import Testing

@Suite struct DocCommandTests {
    let workflow = "6513270e-269e-4d37-b2a7-4de452e6b438"
    func file(_ name: String) -> String { Fixtures.url("ydoc/" + name).path }

    @Test func ydocMergePrintsTheRootsAndExports() throws {
        let folder = TemporaryFolder()
        let out = folder.path + "/merged.update"
        let merged = try CLI.run(["ydoc", "merge", file("base.update"), file("body-edits.b.update"), file("body-edits.a.update"), "--json", "--export", out])
        #expect(merged.status == 0, "\(merged.stderr)")
        let expected = try JSONSerialization.jsonObject(with: try Fixtures.data("ydoc/body-edits.merged.json")) as! NSDictionary
        #expect(try merged.json() as? NSDictionary == expected)
        // The export alone reproduces the same roots.
        #expect(try CLI.run(["ydoc", "merge", out]).json() as? NSDictionary == expected)
        // Custom roots.
        let custom = try CLI.run(["ydoc", "merge", file("base.update"), "--root", "workflow:map", "--root", "nothing:text"])
        let roots = try #require(try custom.json() as? [String: Any])
        #expect((roots["workflow"] as? [String: Any])?["name"] as? String == "Nightly sync")
        #expect(roots["nothing"] as? String == "")
        // A malformed file names itself.
        let bad = folder.path + "/bad.update"
        _ = FileManager.default.createFile(atPath: bad, contents: Data([1, 1, 1, 0, 0x1F]))
        let failed = try CLI.run(["ydoc", "merge", file("base.update"), bad])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("bad.update"))
        // A folder or a missing file is named for what it is.
        let folderGiven = try CLI.run(["ydoc", "merge", folder.path])
        #expect(folderGiven.status == 1 && folderGiven.stderr.contains("is a folder"))
        let missing = try CLI.run(["ydoc", "merge", folder.path + "/none.update"])
        #expect(missing.status == 1 && missing.stderr.contains("no such file"))
    }

    @Test func documentLifecycleFromTheCLI() throws {
        let folder = TemporaryFolder()
        let data = ["--data", folder.path]
        let applied = try CLI.run(["doc", "apply", workflow, file("base.update"), file("cursor-vs-delete.a.update"), file("cursor-vs-delete.b.update"), "--json"] + data)
        #expect(try applied.json() as? NSDictionary == ["workflow_id": workflow, "applied": 3, "rejected": 0])
        let shown = try #require(try CLI.run(["doc", "show", workflow, "--json"] + data).json() as? [String: Any])
        #expect((shown["jobs"] as? [Any])?.count == 2)

        let materialized = try #require(try CLI.run(["doc", "materialize", workflow, "--json"] + data).json() as? [String: Any])
        let triggers = try #require(materialized["triggers"] as? [[String: Any]])
        #expect(triggers.first?["cron_cursor_job_id"] is NSNull)
        let repairs = try #require(materialized["repairs"] as? [[String: Any]])
        #expect(repairs.contains { ($0["path"] as? String)?.hasSuffix("cron_cursor_job_id") == true })

        // With two projects configured and no project in the document, the first publish must say which.
        try CLI.run(["project", "configure", "p1"] + data)
        try CLI.run(["project", "configure", "p2"] + data)
        let noProject = try CLI.run(["doc", "publish", workflow, "--json"] + data)
        #expect(noProject.status == 1)
        #expect(noProject.stderr.contains("project_id"))
        let published = try CLI.run(["doc", "publish", workflow, "--project", "p1", "--json"] + data)
        #expect(try published.json() as? NSDictionary == ["workflow_id": workflow, "lock_version": 1, "changed": true])
        #expect(try CLI.run(["doc", "publish", workflow, "--json"] + data).json() as? NSDictionary
            == ["workflow_id": workflow, "lock_version": 1, "changed": false])

        let exported = folder.path + "/doc.update"
        #expect(try CLI.run(["doc", "export", workflow, "--output", exported] + data).status == 0)
        let again = try #require(try CLI.run(["ydoc", "merge", exported]).json() as? [String: Any])
        #expect((again["workflow"] as? [String: Any])?["lock_version"] as? Int == 1)
        #expect(try CLI.run(["doc", "show", "unknown-workflow"] + data).status == 1)
    }

    @Test func aDocumentWithoutProjectPublishesIntoTheFoldersProject() throws {
        let empty = TemporaryFolder()
        try CLI.run(["doc", "apply", workflow, file("base.update")] + ["--data", empty.path])
        let published = try CLI.run(["doc", "publish", workflow, "--json", "--data", empty.path])
        #expect(try published.json() as? NSDictionary == ["workflow_id": workflow, "lock_version": 1, "changed": true])
        let runs = try CLI.run(["ingest", "-", "--data", empty.path], stdin: #"{"event":"run:created","payload":{"run_id":"r","workflow_id":"\#(workflow)","input":{"type":"global","body":{}}}}"# + "\n")
        #expect(runs.status == 0)
        #expect((try CLI.run(["runs", "show", "r", "--json", "--data", empty.path]).json() as? [String: Any])?["project_id"] as? String == "default")

        let single = TemporaryFolder()
        try CLI.run(["project", "configure", "only-one", "--data", single.path])
        try CLI.run(["doc", "apply", workflow, file("base.update"), "--data", single.path])
        #expect(try CLI.run(["doc", "publish", workflow, "--data", single.path]).status == 0)
        #expect((try CLI.run(["doc", "materialize", workflow, "--json", "--data", single.path]).json() as? [String: Any])?["project_id"] as? String == "only-one")
    }
}
