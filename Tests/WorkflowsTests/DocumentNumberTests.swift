import Encoding
import JSON
import Testing
import Workflows
import YDoc

/// Issue #17: a document number that does not fit an `Int` (a Yjs peer set
/// `workflow.concurrency` to 1e19) trapped in `materialize`, so every later
/// `cairn doc materialize` and publish of that document died with SIGILL.
/// Such numbers are dropped with a repair naming the field.
@Suite struct DocumentNumberTests {
    /// A document of the sample workflow with `key` of the `workflow` map set to `value`.
    func document(_ key: String, _ value: Lib0Any) throws -> Doc {
        let doc = Doc(clientID: 7)
        WorkflowDocument.populate(doc, with: try sampleWorkflow())
        doc.transact { txn in doc.map("workflow").set(key, .value(value), txn) }
        return doc
    }

    /// Not a count in range for either field: too large for an `Int`,
    /// negative, fractional, not finite.
    static let unusable: [Lib0Any] = [
        .number(1e19), .number(-1e19), .number(9.3e18), .number(-1), .number(1.5), .number(.nan), .number(.infinity),
        .number(-.infinity), .number(Double(UInt32.max) + 1), .bigInt(.max), .bigInt(-5),
    ]

    /// Concurrency is bounded as `WorkflowJSON` bounds it (0...Int32.max).
    @Test(arguments: unusable + [.number(Double(Int32.max) + 1)])
    func anUnusableConcurrencyIsDroppedAndNamed(_ value: Lib0Any) throws {
        let (workflow, repairs) = WorkflowDocument.materialize(try document("concurrency", value), projectId: "p")
        #expect(workflow.concurrency == nil)
        #expect(repairs.contains { $0.path == "workflow.concurrency" && $0.message.contains("dropped") }, "\(repairs)")
    }

    @Test(arguments: unusable)
    func anUnusableLockVersionReadsAsZeroAndIsNamed(_ value: Lib0Any) throws {
        let (workflow, repairs) = WorkflowDocument.materialize(try document("lock_version", value), projectId: "p")
        #expect(workflow.lockVersion == 0)
        #expect(repairs.contains { $0.path == "workflow.lock_version" && $0.message.contains("dropped") }, "\(repairs)")
    }

    @Test func usableNumbersAreKeptWithoutRepairs() throws {
        for (value, expected) in [(Lib0Any.number(3), 3), (.number(0), 0), (.bigInt(12), 12), (.number(Double(Int32.max)), Int(Int32.max))] {
            let (workflow, repairs) = WorkflowDocument.materialize(try document("concurrency", value), projectId: "p")
            #expect(workflow.concurrency == expected)
            #expect(!repairs.contains { $0.path.hasPrefix("workflow.") }, "\(repairs)")
        }
    }

    /// Positions are free-form JSON for the editor; a number JSON cannot
    /// hold (NaN, infinity) is written as null and named.
    @Test func nonFinitePositionsAreNamed() throws {
        let doc = Doc(clientID: 7)
        WorkflowDocument.populate(doc, with: try sampleWorkflow())
        doc.transact { txn in
            doc.map("positions").set("job-a", .value(.object([("x", .number(.nan)), ("y", .number(.infinity))])), txn)
            doc.map("positions").set("job-b", .value(.object([("x", .number(1e300)), ("y", .number(-2.5))])), txn)
        }
        let (workflow, repairs) = WorkflowDocument.materialize(doc, projectId: "p")
        let positions = try #require(workflow.positions)
        #expect(positions["job-a"]?["x"] == JSONValue.null)
        #expect(positions["job-a"]?["y"] == JSONValue.null)
        #expect(positions["job-b"]?["y"]?.doubleValue == -2.5)
        #expect(positions["job-b"]?["x"]?.doubleValue == 1e300)
        #expect(repairs.contains { $0.path == "positions.job-a.x" }, "\(repairs)")
        #expect(repairs.contains { $0.path == "positions.job-a.y" }, "\(repairs)")
        #expect(!repairs.contains { $0.path.hasPrefix("positions.job-b") }, "\(repairs)")
        // The materialized workflow's JSON parses again.
        let text = WorkflowJSON.encode(workflow).serialized()
        #expect(throws: Never.self) { _ = try JSONParser.parse(text) }
    }
}
