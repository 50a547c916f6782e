import EventLog
import Foundation
import Projections
import TestSupport
import Testing
import Workflows

@testable import CairnKit

/// Session 26: three records stored a time from the store's clock with a
/// writer wider than its reader (or, for the folder's birth, a conversion
/// that traps), so a clock before 1970 or past 2255 (a machine booted
/// without its real-time clock, a test clock) left a record that could
/// never be read again: a trigger (every projection stopped at the next
/// publish of its workflow, and a rebuild wrote the same bytes), a token
/// (authentication, `token list`) or the folder itself (a trap on create).
/// Each round-trips now, and the bytes written are unchanged.
@Suite struct ClockRangeTests {
    /// 1950-06-04: before 1970, so negative.
    static let beforeEpoch = Timestamp(microseconds: -617_846_400_000_000)
    /// 2300-01-01: past 2^53 microseconds (2255-06-05).
    static let past2255 = Timestamp(microseconds: 10_413_792_000_000_000)

    static func store(_ folder: TemporaryFolder, at time: Timestamp) throws -> Store {
        try Store(path: folder.path, clock: { time })
    }

    @Test(arguments: [beforeEpoch, past2255])
    func aFolderIsBornAtItsClocksTime(time: Timestamp) throws {
        let folder = TemporaryFolder()
        let store = try Self.store(folder, at: time)
        #expect(try store.info().createdAt == time.date)
        // Opened again: the format check reads the birth it wrote.
        #expect(try Self.store(folder, at: time).info().createdAt == time.date)
    }

    @Test(arguments: [beforeEpoch, past2255])
    func aTokenCreatedAtAnyClockTimeAuthenticates(time: Timestamp) throws {
        let folder = TemporaryFolder()
        let store = try Self.store(folder, at: time)
        let issued = try store.createToken(projectId: "p1", role: .editor, actor: AuditActor(tokenId: nil, name: "test"))
        #expect(issued.token.createdAt == time)
        guard case .success(let authenticated) = try store.authenticate(secret: issued.secret, at: time) else {
            Issue.record("the token was not accepted")
            return
        }
        #expect(authenticated.token.createdAt == time)
        #expect(try store.tokens().map(\.token.id) == [issued.token.id])
        #expect(try store.log.token(issued.token.id)?.createdAt == time)
    }

    @Test(arguments: [beforeEpoch, past2255])
    func aTriggerPublishedAtAnyClockTimeReadsBack(time: Timestamp) throws {
        let folder = TemporaryFolder()
        let store = try Self.store(folder, at: time)
        var workflow = try WorkflowOwnershipTests.sample(project: "pa")
        _ = try store.publish(workflow)
        let triggerId = try #require(workflow.triggers.first?.id)
        #expect(try store.trigger(triggerId)?.effectiveSince == time)
        // The next publish reads the trigger's record to compare schedules:
        // it was there that the projections stopped for good.
        workflow.name = "renamed"
        _ = try store.publish(workflow)
        try store.projections.catchUp()
        #expect(try store.trigger(triggerId)?.lockVersion == 2)
        #expect(try store.verifyProjections().isEmpty)
    }
}
