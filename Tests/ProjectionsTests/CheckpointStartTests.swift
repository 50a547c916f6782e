import LMDB
import TestSupport
import Testing

@testable import Projections

/// Two processes opening a new folder at the same moment both find a
/// projection without a checkpoint. The first may have caught it up before
/// the second writes the projection's start: that start, written over the
/// first's checkpoint, applied the log's events to the projection twice.
@Suite struct CheckpointStartTests {
    @Test func aCheckpointWrittenMeanwhileIsKept() throws {
        let folder = TemporaryFolder()
        let environment = try Environment(path: folder.path)
        let checkpoints = try environment.database("checkpoints")
        let key = Array("runs".utf8)
        let caughtUp = ProjectionEngine.Checkpoint(slot: 1, version: 3, sequence: 42).bytes
        try environment.write { txn in try txn.put(checkpoints, key: key, value: caughtUp) }
        let found = try environment.write { txn in
            try ProjectionEngine.startCheckpoint(txn, checkpoints, key: key, version: 3)
        }
        #expect(found == caughtUp)
        #expect(try environment.read { txn in try txn.get(checkpoints, key: key) } == caughtUp)
    }

    @Test func aNewProjectionStartsAtTheLogsBeginning() throws {
        let folder = TemporaryFolder()
        let environment = try Environment(path: folder.path)
        let checkpoints = try environment.database("checkpoints")
        let key = Array("runs".utf8)
        let found = try environment.write { txn in
            try ProjectionEngine.startCheckpoint(txn, checkpoints, key: key, version: 3)
        }
        #expect(found == nil)
        #expect(try environment.read { txn in try txn.get(checkpoints, key: key) }
            == ProjectionEngine.Checkpoint(slot: 0, version: 3, sequence: 0).bytes)
    }
}
