import Foundation
import JSON
import TestSupport
import Testing
import Workflows
import YDoc

/// Session 22's review of findings 27 and 28: the numbers a workflow's
/// document cannot keep (beyond a double, so null in its JSON) were found
/// by a walk that wrote out every node's path, and were only looked for in
/// `positions`.
@Suite struct UnrepresentableNumbersTests {
    static func fixture(_ edit: (inout String) -> Void) throws -> Workflow {
        var json = String(decoding: try Fixtures.data("workflows/daily-report.json"), as: UTF8.self)
        edit(&json)
        return try WorkflowJSON.decode(Array(json.utf8))
    }

    /// The fixture with a kafka trigger whose configuration is `configuration` (JSON text).
    static func withKafka(_ configuration: String) throws -> Workflow {
        try fixture { json in
            json = json.replacingOccurrences(
                of: #"{"id": "c1000000-0000-4000-8000-000000000002", "type": "webhook", "enabled": true}"#,
                with: #"{"id": "c1000000-0000-4000-8000-000000000002", "type": "webhook", "enabled": true}, "#
                    + #"{"id": "c1000000-0000-4000-8000-000000000003", "type": "kafka", "kafka_configuration": \#(configuration)}"#)
        }
    }

    static func throughItsDocument(_ workflow: Workflow) -> (Workflow, [Repair]) {
        let doc = Doc(clientID: 1)
        WorkflowDocument.populate(doc, with: workflow)
        return WorkflowDocument.materialize(doc, projectId: workflow.projectId)
    }

    static func stored(_ w: Workflow) -> String {
        String(decoding: WorkflowJSON.encode(w).serialized(sortedKeys: true), as: UTF8.self)
    }

    /// A 1 MB publish of 80,000 `1e400` under one 500 KB key held 40 GB of
    /// paths. At most ten are named now, then how many more; a path's key
    /// is cut; and the document's repair says the same.
    @Test func manyNumbersUnderALongKeyAreNamedTenThenCounted() throws {
        let key = String(repeating: "k", count: 20_000)
        let numbers = Array(repeating: "1e400", count: 2_000).joined(separator: ",")
        let workflow = try Self.fixture { json in
            json = json.replacingOccurrences(of: #""positions": {"#, with: #""positions": {"\#(key)": [\#(numbers)], "#)
        }
        let problems = WorkflowValidator.problems(in: workflow)
        #expect(problems.count == 11)
        #expect(problems.last == WorkflowProblem(path: "positions", message: "holds 1990 more numbers beyond a double's range"))
        let shortKey = String(repeating: "k", count: 64) + "…"
        #expect(problems.first?.path == "positions.\(shortKey)[0]")
        #expect(problems[9].path == "positions.\(shortKey)[9]")
        #expect(WorkflowErrors(problems: problems).description.utf8.count < 2_000)

        let (_, repairs) = Self.throughItsDocument(workflow)
        #expect(repairs.map(\.path) == problems.map(\.path))
        #expect(repairs.last?.message == "1990 more numbers written as null: not finite numbers")
    }

    /// One character may hold any number of combining marks: the cut is by bytes.
    @Test func aKeyIsCutByBytesOnAScalar() throws {
        let key = "a" + String(repeating: "\u{301}", count: 50_000)
        let workflow = try Self.fixture { json in
            json = json.replacingOccurrences(of: #""positions": {"#, with: #""positions": {"\#(key)": 1e400, "#)
        }
        let problems = WorkflowValidator.problems(in: workflow)
        #expect(problems.map(\.path) == ["positions.a" + String(repeating: "\u{301}", count: 31) + "…"])
    }

    @Test func aLongLexemeIsShownCut() throws {
        let lexeme = "9" + String(repeating: "0", count: 400)
        let workflow = try Self.fixture { json in
            json = json.replacingOccurrences(of: #""positions": {"#, with: #""positions": {"far": \#(lexeme), "#)
        }
        let problems = WorkflowValidator.problems(in: workflow)
        #expect(problems.map(\.path) == ["positions.far"])
        #expect(problems.first?.message == String(lexeme.prefix(40)) + "… is not a finite number (it is beyond a double's range)")
    }

    /// A kafka configuration's numbers were kept as written from JSON and
    /// came back from the document as doubles: one workflow, published from
    /// JSON and from its document, stored two snapshots (as positions did,
    /// workflow-json crash-2c00e044).
    @Test func aKafkaConfigurationReadsTheSameFromJSONAndFromTheDocument() throws {
        let workflow = try Self.withKafka(#"{"port": 9092.0, "big": 22222222222222222222, "tries": [1.50, -0.0, 1e-400]}"#)
        #expect(WorkflowValidator.problems(in: workflow).isEmpty)
        let (materialized, repairs) = Self.throughItsDocument(workflow)
        #expect(repairs.isEmpty)
        #expect(Self.stored(materialized) == Self.stored(workflow))
        #expect(Self.stored(workflow).contains(#""kafka_configuration":{"big":2.222222222222222e+19,"port":9092,"tries":[1.5,0,0]}"#))
    }

    /// A Yjs editor may write an integer as a lib0 bigint: its digits came
    /// back from the document as written, and as a double through JSON.
    @Test func aBigintFromAYjsEditorReadsAsJSONWouldWriteIt() throws {
        let workflow = try Self.withKafka(#"{"n": 1}"#)
        let doc = Doc(clientID: 1)
        WorkflowDocument.populate(doc, with: workflow)
        let maps = doc.array("triggers").values.compactMap { value -> YMap? in
            guard case .map(let m) = value, case .any(.string("c1000000-0000-4000-8000-000000000003"))? = m.get("id") else { return nil }
            return m
        }
        let kafka = try #require(maps.first)
        doc.transact { txn in kafka.set("kafka_configuration", .value(.object([("n", .bigInt(1_000_000_000_000_001))])), txn) }
        doc.transact { txn in doc.map("positions").set("far", .value(.bigInt(9_007_199_254_740_993)), txn) }
        let (materialized, repairs) = WorkflowDocument.materialize(doc, projectId: workflow.projectId)
        #expect(repairs.isEmpty)
        let stored = Self.stored(materialized)
        #expect(stored.contains(#""kafka_configuration":{"n":1000000000000001.0}"#))
        #expect(stored.contains(#""far":9007199254740992.0"#))
        let republished = try WorkflowJSON.decode(WorkflowJSON.encode(materialized).serialized())
        #expect(Self.stored(republished) == stored)
    }

    /// And one no double holds was stored from JSON, but written as null,
    /// unnamed, from the document.
    @Test func aKafkaNumberNoDoubleHoldsIsAProblemNamedAsTheDocumentRepairsIt() throws {
        let workflow = try Self.withKafka(#"{"brokers": ["b:9092"], "limits": {"n": 1e400}}"#)
        let problems = WorkflowValidator.problems(in: workflow)
        #expect(problems.map(\.path) == ["triggers[2].kafka_configuration.limits.n"])
        let (_, repairs) = Self.throughItsDocument(workflow)
        #expect(repairs.map(\.path) == problems.map(\.path))
    }

    /// A workflow published before these checks may keep a value holding
    /// such numbers unchanged (else the page could not change its cron
    /// input); a changed value is checked whole.
    @Test func aWorkflowPublishedBeforeTheCheckKeepsItsNumbersUnchanged() throws {
        var old = try Self.withKafka(#"{"n": 1e400}"#)
        old.positions = .object([("far", .number("1e400"))])
        var changed = old
        changed.triggers[0].cronCursorJobId = nil
        #expect(!WorkflowValidator.problems(in: changed).isEmpty)
        #expect(WorkflowValidator.problems(in: changed, published: { old }).isEmpty)

        var moreInPositions = changed
        moreInPositions.positions = .object([("far", .number("1e400")), ("farther", .number("1e401"))])
        #expect(WorkflowValidator.problems(in: moreInPositions, published: { old }).map(\.path) == ["positions.far", "positions.farther"])

        var otherKafka = changed
        otherKafka.triggers[2].kafkaConfiguration = .object([("m", .number("1e400"))])
        #expect(WorkflowValidator.problems(in: otherKafka, published: { old }).map(\.path) == ["triggers[2].kafka_configuration.m"])
        // Compared as stored: another lexeme is another value; the order of keys is not.
        otherKafka.triggers[2].kafkaConfiguration = .object([("n", .number("1e401"))])
        #expect(WorkflowValidator.problems(in: otherKafka, published: { old }).map(\.path) == ["triggers[2].kafka_configuration.n"])
        var sorted = old
        sorted.triggers[2].kafkaConfiguration = .object([("a", .null), ("n", .number("1e400"))])
        var unsorted = changed
        unsorted.triggers[2].kafkaConfiguration = .object([("n", .number("1e400")), ("a", .null)])
        #expect(WorkflowValidator.problems(in: unsorted, published: { sorted }).isEmpty)

        // Not for a trigger the published version lacks, nor by its place.
        var newTrigger = changed
        newTrigger.triggers[2].id = "c1000000-0000-4000-8000-000000000004"
        #expect(WorkflowValidator.problems(in: newTrigger, published: { old }).map(\.path) == ["triggers[2].kafka_configuration.n"])
        // A deleted published version counts as what the workflow had.
        var deleted = old
        deleted.deletedAt = "2026-12-01T00:00:00Z"
        #expect(WorkflowValidator.problems(in: changed, published: { deleted }).isEmpty)

        // Asked once, however many values need it.
        var asked = 0
        _ = WorkflowValidator.problems(in: moreInPositions, published: { asked += 1; return old })
        #expect(asked == 1)
    }
}
