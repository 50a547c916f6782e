public import EventLog
public import LMDB
public import Projections

/// What an operator does to a data folder as a whole, and what it is
/// watched by: backups, rebuilds, verification, space and commit figures.
extension Store {
    /// A consistent copy of the folder (compacted) into the empty folder `destination`.
    public func backup(to destination: String) throws {
        try environment.copy(to: destination)
    }

    /// Replays the whole log into fresh projections and switches to them.
    /// - Parameter progress: told (events done, events in all) as it goes.
    public func rebuildProjections(progress: ((UInt64, UInt64) -> Void)? = nil) throws {
        try projections.engine.rebuild(progress: progress)
    }

    /// Replays the whole log aside and lists where the live projections differ (empty: none).
    public func verifyProjections(progress: ((UInt64, UInt64) -> Void)? = nil) throws -> [ProjectionEngine.Difference] {
        try projections.engine.verify(progress: progress)
    }

    /// Each projection's checkpoint and version.
    public func projectionStatus() throws -> [ProjectionEngine.Status] { try projections.engine.status() }

    /// The LMDB map: its size, what is used, its readers.
    public func space() -> Environment.Info { environment.info() }

    /// Called after every group commit of `submit` (its batch size and
    /// timings), on the committer's thread, before its callers resume;
    /// `nil` stops it.
    public func observeGroupCommits(_ observer: (@Sendable (GroupCommitReport) -> Void)?) {
        log.groupCommitObserver = observer
    }
}
