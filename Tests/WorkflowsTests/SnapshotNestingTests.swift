import JSON
import Testing
import Workflows
import YDoc

/// Session 23's reviews: an editor's document may nest Y.Maps under
/// `positions` (or a kafka trigger's configuration) deeper than JSON's
/// parser reads back. Such a publish was accepted and stored a snapshot no
/// read could open: the workflow's page, its runs' pages and every webhook
/// reply of the workflow failed, for good. And a document made from a
/// snapshot holds those values as lib0 values, read to 256 levels. The
/// validator now refuses what either reader would refuse; each limit is
/// checked against both readers, not restated.
@Suite struct SnapshotNestingTests {
    typealias Numbers = UnrepresentableNumbersTests

    /// `levels` of objects, one inside the next, around a number.
    static func nested(_ levels: Int) -> JSONValue {
        (0..<levels).reduce(JSONValue.number("1")) { inner, _ in .object([("a", inner)]) }
    }

    /// `levels` Y.Maps, one inside the next, around a number.
    static func nestedMaps(_ levels: Int) -> YInput {
        (0..<levels).reduce(YInput.number(1)) { inner, _ in .map([("a", inner)]) }
    }

    /// Whether the snapshot `w` would be stored as reads back, and a
    /// document made from it reaches another replica.
    static func readsBack(_ w: Workflow) -> Bool {
        guard let read = try? WorkflowJSON.decode(WorkflowJSON.encode(w).serialized(sortedKeys: true)) else {
            return false
        }
        let doc = Doc(clientID: 1)
        WorkflowDocument.populate(doc, with: read)
        guard let update = try? doc.encodeStateAsUpdate() else { return false }
        return (try? Doc(clientID: 2).applyUpdate(update)) != nil
    }

    @Test func positionsNestedPastWhatASnapshotReadsAreRefused() throws {
        let base = try Numbers.fixture { _ in }
        // The document: `positions` is a root Y.Map, so n maps under it make n + 1 levels.
        for (maps, accepted) in [(256, true), (257, false), (511, false)] {
            let doc = Doc(clientID: 1)
            WorkflowDocument.populate(doc, with: base)
            doc.transact { txn in doc.map("positions").set("deep", Self.nestedMaps(maps), txn) }
            let (workflow, _) = WorkflowDocument.materialize(doc, projectId: base.projectId)
            let problems = WorkflowValidator.problems(in: workflow)
            #expect(Self.readsBack(workflow) == accepted, "\(maps) maps")
            if accepted {
                #expect(problems.isEmpty, "\(problems)")
            } else {
                #expect(problems.map(\.path) == ["positions"])
                #expect(problems.first?.message.contains("257 levels") == true, "\(problems)")
            }
        }
    }

    @Test func aKafkaConfigurationNestedPastWhatASnapshotReadsIsRefused() throws {
        for (levels, accepted) in [(256, true), (257, false), (510, false)] {
            var workflow = try Numbers.withKafka("{}")
            let index = try #require(workflow.triggers.firstIndex { $0.type == .kafka })
            workflow.triggers[index].kafkaConfiguration = Self.nested(levels)
            let problems = WorkflowValidator.problems(in: workflow)
            #expect(Self.readsBack(workflow) == accepted, "\(levels) levels")
            #expect(problems.map(\.path) == (accepted ? [] : ["triggers[\(index)].kafka_configuration"]))
        }
    }

    /// A wide value is not mistaken for a deep one, and scalars add no level.
    @Test func widthIsNotDepth() throws {
        var workflow = try Numbers.fixture { _ in }
        let wide = JSONValue.object((0..<10_000).map { ("k\($0)", Self.nested(3)) })
        workflow.positions = .object([("a", wide), ("b", .array([.string("x"), .null, .bool(true)]))])
        #expect(WorkflowValidator.problems(in: workflow).isEmpty)
        #expect(Self.readsBack(workflow))
    }

    /// The review of the fix: a workflow published as JSON before it, with
    /// a kafka configuration of 300 levels (its snapshot reads back; no
    /// document can be made from it), must still be deletable and may keep
    /// that value while other things change; it may not deepen it.
    @Test func aValuePublishedBeforeTheCheckMayStayUnchanged() throws {
        var published = try Numbers.withKafka("{}")
        let index = try #require(published.triggers.firstIndex { $0.type == .kafka })
        published.triggers[index].kafkaConfiguration = Self.nested(300)
        published.positions = .object([("deep", Self.nested(300))])
        let path = "triggers[\(index)].kafka_configuration"
        #expect(WorkflowValidator.problems(in: published).map(\.path) == [path, "positions"])

        var deleted = published
        deleted.deletedAt = "2026-12-05T00:00:00Z"
        deleted.name = "Renamed"
        #expect(WorkflowValidator.problems(in: deleted, published: { published }).isEmpty)

        var deeper = published
        deeper.triggers[index].kafkaConfiguration = Self.nested(301)
        #expect(WorkflowValidator.problems(in: deeper, published: { published }).map(\.path) == [path])
    }
}
