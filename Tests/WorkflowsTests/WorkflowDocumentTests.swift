import Encoding
import Foundation
import JSON
import TestSupport
import Testing
import Workflows
import YDoc

func fixtureUpdate(_ name: String) throws -> [UInt8] { Array(try Fixtures.data("ydoc/" + name)) }

func sampleWorkflow() throws -> Workflow {
    try WorkflowJSON.decode(Array(try Fixtures.data("workflows/daily-report.json")))
}

@Suite struct WorkflowDocumentTests {
    func merged(_ scenario: String) throws -> Doc {
        let doc = Doc(clientID: 1)
        for part in ["base.update", "\(scenario).a.update", "\(scenario).b.update"] { try doc.applyUpdate(try fixtureUpdate(part)) }
        return doc
    }

    @Test func cursorVersusDeleteClearsTheCursorAndSaysSo() throws {
        let (workflow, repairs) = WorkflowDocument.materialize(try merged("cursor-vs-delete"), projectId: "p")
        let cron = try #require(workflow.triggers.first { $0.type == .cron })
        #expect(cron.cronCursorJobId == nil)
        #expect(repairs.contains { $0.path.hasSuffix("cron_cursor_job_id") && $0.message.contains("cleared") })
        #expect(WorkflowValidator.problems(in: workflow).isEmpty)
    }

    @Test func typeVersusCursorLeavesAWebhookWithoutCursor() throws {
        let (workflow, _) = WorkflowDocument.materialize(try merged("type-vs-cursor"), projectId: "p")
        let changed = try #require(workflow.triggers.first { $0.id == "6b0d549b-6f03-475a-9600-a35a099950d8" })
        #expect(changed.type == .webhook)
        #expect(changed.cronCursorJobId == nil)
        #expect(WorkflowValidator.problems(in: workflow).isEmpty)
    }

    @Test func bodyEditsKeepBoth() throws {
        let (workflow, repairs) = WorkflowDocument.materialize(try merged("body-edits"), projectId: "p")
        let body = try #require(workflow.job("9531985d-5d9d-49f8-9818-e811892f902b")?.body)
        #expect(body.contains("// owner: data team"))
        #expect(body.contains("log('done');"))
        #expect(repairs.isEmpty)
    }

    @Test func aPycrdtBuiltDocumentMaterializesToTheExpectedWorkflow() throws {
        let doc = Doc(clientID: 1)
        try doc.applyUpdate(try fixtureUpdate("base.update"))
        let (workflow, repairs) = WorkflowDocument.materialize(doc, projectId: "p")
        #expect(repairs.isEmpty)
        #expect(workflow.name == "Nightly sync")
        #expect(workflow.lockVersion == 1)
        #expect(workflow.jobs.map(\.name) == ["Get data", "Transform", "Load"])
        #expect(workflow.triggers.first?.cronCursorJobId == "d23f0824-128b-4f33-8c5c-7fd0a6a3a450")
        #expect(workflow.triggers.first?.cronExpression == "0 6 * * *")
        #expect(workflow.edges.count == 3)
        #expect(WorkflowValidator.problems(in: workflow).isEmpty)
    }

    /// Fuzz finding 3: a cron trigger without an expression, and a webhook
    /// trigger with one, read the same from JSON as from the document, so
    /// publishing either way stores one snapshot and shows editors no repair.
    @Test func triggerFieldsReadTheSameFromJSONAndFromTheDocument() throws {
        var json = String(decoding: try Fixtures.data("workflows/daily-report.json"), as: UTF8.self)
        json = json.replacingOccurrences(of: #""cron_expression": "0 6 * * *", "#, with: "")
        json = json.replacingOccurrences(of: #""type": "webhook", "enabled": true"#, with: #""type": "webhook", "enabled": true, "cron_expression": "0 6atest""#)
        let workflow = try WorkflowJSON.decode(Array(json.utf8))
        #expect(workflow.triggers.map(\.cronExpression) == [Trigger.defaultCronExpression, nil])
        #expect(WorkflowValidator.problems(in: workflow).isEmpty)
        let doc = Doc(clientID: 1)
        WorkflowDocument.populate(doc, with: workflow)
        let (materialized, repairs) = WorkflowDocument.materialize(doc, projectId: workflow.projectId)
        #expect(repairs.isEmpty)
        #expect(materialized == workflow)
        #expect(WorkflowJSON.encode(materialized) == WorkflowJSON.encode(workflow))
    }

    /// Fuzz (workflow-json crash-2c00e044, session 14): a coordinate written
    /// with more digits than a double holds was kept as written from JSON
    /// and came back from the document as the double it reads as, so the
    /// same workflow stored two snapshots. JSON numbers in `positions` are
    /// read as the document gives them back.
    @Test func positionsReadTheSameFromJSONAndFromTheDocument() throws {
        var json = String(decoding: try Fixtures.data("workflows/daily-report.json"), as: UTF8.self)
        json = json.replacingOccurrences(of: #""positions": {"#, with: #""positions": {"far": {"x": 22222222222222222222222, "y": 0.10000000000000000001, "z": 1e400},"#)
        let workflow = try WorkflowJSON.decode(Array(json.utf8))
        let doc = Doc(clientID: 1)
        WorkflowDocument.populate(doc, with: workflow)
        let (materialized, _) = WorkflowDocument.materialize(doc, projectId: workflow.projectId)
        let stored = { (w: Workflow) in String(decoding: WorkflowJSON.encode(w).serialized(sortedKeys: true), as: UTF8.self) }
        #expect(stored(materialized).contains(#""x":2.2222222222222223e+22"#))
        #expect(stored(materialized).contains(#""y":0.1"#))
        // Equal as snapshots store them; a number no double holds (1e400) is the document's to repair.
        let withoutInfinity = { (s: String) in s.replacingOccurrences(of: #","z":1e400"#, with: "").replacingOccurrences(of: #","z":null"#, with: "") }
        #expect(withoutInfinity(stored(materialized)) == withoutInfinity(stored(workflow)))
    }

    /// Fuzz finding 27 (workflow-json, session 21): a coordinate no double
    /// holds passed validation, and its document then wrote it as null, a
    /// repair: a valid workflow changed on its way into its document. It is
    /// refused now, named as the document's repair names it.
    @Test func aCoordinateNoDoubleHoldsIsAProblemNamedAsTheDocumentRepairsIt() throws {
        var json = String(decoding: try Fixtures.data("workflows/daily-report.json"), as: UTF8.self)
        json = json.replacingOccurrences(of: #""positions": {"#, with: #""positions": {"far": [{"x": 1e419, "y": -1e400}, 2],"#)
        let workflow = try WorkflowJSON.decode(Array(json.utf8))
        let problems = WorkflowValidator.problems(in: workflow)
        #expect(problems.map(\.path) == ["positions.far[0].x", "positions.far[0].y"])
        #expect(problems.first?.message.contains("1e419") == true)
        let doc = Doc(clientID: 1)
        WorkflowDocument.populate(doc, with: workflow)
        let (_, repairs) = WorkflowDocument.materialize(doc, projectId: workflow.projectId)
        #expect(repairs.map(\.path) == problems.map(\.path))
        // A huge but finite coordinate is fine.
        let finite = json.replacingOccurrences(of: "1e419", with: "1e300").replacingOccurrences(of: "-1e400", with: "-1e-400")
        #expect(WorkflowValidator.problems(in: try WorkflowJSON.decode(Array(finite.utf8))).isEmpty)
    }

    /// Fuzz finding 28 (workflow-json, session 21): `"positions": {}` came
    /// back from the document as none, so a valid workflow changed on its
    /// way through its document. `{}` now reads as none.
    @Test func emptyPositionsReadAsNoneFromJSONAsFromTheDocument() throws {
        var json = String(decoding: try Fixtures.data("workflows/daily-report.json"), as: UTF8.self)
        let start = try #require(json.range(of: #""positions": {"#))
        let end = try #require(json.range(of: "}}", range: start.upperBound..<json.endIndex))
        json.replaceSubrange(start.lowerBound..<end.upperBound, with: #""positions": {}"#)
        let workflow = try WorkflowJSON.decode(Array(json.utf8))
        #expect(workflow.positions == nil)
        #expect(WorkflowValidator.problems(in: workflow).isEmpty)
        let doc = Doc(clientID: 1)
        WorkflowDocument.populate(doc, with: workflow)
        let (materialized, repairs) = WorkflowDocument.materialize(doc, projectId: workflow.projectId)
        #expect(repairs.isEmpty)
        #expect(WorkflowJSON.encode(materialized).serialized(sortedKeys: true) == WorkflowJSON.encode(workflow).serialized(sortedKeys: true))
    }

    @Test func everyFieldRoundTripsThroughADocument() throws {
        var workflow = try sampleWorkflow()
        workflow.triggers[0].timezone = "Europe/London"
        workflow.triggers[0].cronDayMatch = .all
        workflow.lockVersion = 3
        let doc = Doc(clientID: 9)
        WorkflowDocument.populate(doc, with: workflow)
        let copy = Doc(clientID: 10)
        try copy.applyUpdate(try doc.encodeStateAsUpdate())
        let (back, repairs) = WorkflowDocument.materialize(copy)
        #expect(repairs.isEmpty)
        #expect(back == workflow)
        #expect(back.triggers[0].cronCursorJobId == "a1000000-0000-4000-8000-000000000001")
    }

    @Test func aCairnDocumentLoadsInPycrdtToTheSameJSON() throws {
        let doc = Doc(clientID: 9)
        WorkflowDocument.populate(doc, with: try sampleWorkflow())
        let peer = try #require(PythonPeer(script: "ydoc_peer.py"))
        try peer.call(["op": "new", "doc": 0, "client": 5])
        try peer.call(["op": "apply", "doc": 0, "update": try doc.encodeStateAsUpdate().hex])
        let roots: [[String]] = [["workflow", "map"], ["jobs", "array"], ["triggers", "array"], ["edges", "array"], ["positions", "map"]]
        let answer = try peer.call(["op": "roots", "doc": 0, "roots": roots])
        let theirs = Lib0Any(json: try JSONParser.parse(Array(try JSONSerialization.data(withJSONObject: answer["json"]!))))
        let ours = Lib0Any.object([
            ("workflow", doc.map("workflow").toJSON()), ("jobs", doc.array("jobs").toJSON()),
            ("triggers", doc.array("triggers").toJSON()), ("edges", doc.array("edges").toJSON()),
            ("positions", doc.map("positions").toJSON()),
        ])
        #expect(theirs == ours)
    }

    @Test func legacyCronTriggersGetTheirEdgeTargetOnce() throws {
        let doc = Doc(clientID: 3)
        doc.transact { txn in
            doc.array("jobs").append([.map([("id", .string("j1")), ("name", .string("A")), ("body", .text(""))])], txn)
            doc.array("triggers").append([.map([("id", .string("t1")), ("type", .string("cron")), ("cron_expression", .string("0 * * * *"))])], txn)
            doc.array("edges").append([.map([("id", .string("e1")), ("source_trigger_id", .string("t1")), ("target_job_id", .string("j1"))])], txn)
        }
        let upgrades = WorkflowDocument.upgradeLegacyCursors(doc)
        #expect(upgrades.count == 1)
        #expect(WorkflowDocument.materialize(doc).workflow.triggers[0].cronCursorJobId == "j1")
        // Once: the key now exists (even if someone later sets it to null).
        #expect(WorkflowDocument.upgradeLegacyCursors(doc).isEmpty)
    }

    /// Seeded concurrent sessions on 3 replicas: add and remove jobs, move
    /// cursors, change trigger types, edit bodies, sync at random. Every
    /// replica materializes to the same valid workflow and the same repairs.
    @Test(arguments: [UInt64(21), 22, 23, 24, 25])
    func concurrentEditingMaterializesIdentically(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let origin = Doc(clientID: 1)
        WorkflowDocument.populate(origin, with: try sampleWorkflow())
        let start = try origin.encodeStateAsUpdate()
        let replicas = try (0..<3).map { i -> Doc in
            let doc = Doc(clientID: 100 * seed + UInt64(i))
            try doc.applyUpdate(start)
            return doc
        }
        var counter = 0
        for _ in 0..<80 {
            let doc = replicas[Int(rng.next() % 3)]
            let (current, _) = WorkflowDocument.materialize(doc, projectId: "p")
            try doc.transact { txn in
                let jobs = doc.array("jobs")
                let triggers = doc.array("triggers")
                switch rng.next() % 6 {
                case 0:
                    counter += 1
                    let id = UUID.derivedForTest(seed, counter)
                    jobs.append([.map([("id", .string(id)), ("name", .string("job \(seed)-\(counter)")), ("body", .text("fn()"))])], txn)
                case 1:
                    if jobs.count > 1 { try jobs.delete(Int(rng.next() % UInt64(jobs.count)), txn) }
                case 2:
                    if case .map(let t)? = triggers.get(0), let job = current.jobs.randomElement(using: &rng) {
                        t.set("cron_cursor_job_id", .string(job.id), txn)
                    }
                case 3:
                    if case .map(let t)? = triggers.get(0) { t.set("type", .string(["cron", "webhook", "kafka"][Int(rng.next() % 3)]), txn) }
                case 4:
                    if let value = jobs.get(Int(rng.next() % UInt64(max(jobs.count, 1)))), case .map(let j) = value,
                        case .text(let body)? = j.get("body")
                    {
                        body.insert(Int(rng.next() % UInt64(body.count + 1)), "x", txn)
                    }
                default:
                    if case .map(let t)? = triggers.get(0) { t.set("cron_expression", .string("*/\(rng.next() % 30 + 1) * * * *"), txn) }
                }
            }
            if rng.next() % 4 == 0 {
                let from = replicas[Int(rng.next() % 3)]
                let to = replicas[Int(rng.next() % 3)]
                try to.applyUpdate(try from.encodeStateAsUpdate(stateVector: to.encodeStateVector()))
            }
        }
        for from in replicas { for to in replicas where to !== from { try to.applyUpdate(try from.encodeStateAsUpdate()) } }
        let results = replicas.map { WorkflowDocument.materialize($0, projectId: "p") }
        for result in results.dropFirst() {
            #expect(result.workflow == results[0].workflow, "seed \(seed)")
            #expect(result.repairs == results[0].repairs, "seed \(seed)")
        }
        #expect(WorkflowValidator.problems(in: results[0].workflow).isEmpty, "seed \(seed): \(WorkflowValidator.problems(in: results[0].workflow))")
    }
}

extension UUID {
    static func derivedForTest(_ seed: UInt64, _ n: Int) -> String {
        String(format: "%08x-0000-4000-8000-%012x", UInt32(truncatingIfNeeded: seed), n)
    }
}
