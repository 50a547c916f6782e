import EventLog
import Foundation
import Projections
import TestSupport
import Testing
import Workflows

@testable import CairnKit

/// Session 26: three records stored a time from the store's clock with a
/// writer wider than its reader, or a conversion that traps, so a clock
/// out of range (a machine booted without its real-time clock, a test
/// clock) left a record that could never be read again:
/// - a trigger published before 1970 or after 2255-06-05 (past 2^53 µs):
///   every projection stopped at its workflow's next publish, and a
///   rebuild wrote the same bytes;
/// - a token created before 1685 or after 2255: it could neither
///   authenticate nor be listed;
/// - the folder's birth before 1970: a trap on create (from the wall
///   clock, which a test cannot set; it now comes from the store's clock).
/// Each round-trips now, and the bytes written are unchanged.
@Suite struct ClockRangeTests {
    /// 1950-06-04: before 1970, so negative.
    static let beforeEpoch = Timestamp(microseconds: -617_846_400_000_000)
    /// 1600-01-01: past -2^53 microseconds (1684-07-28).
    static let before1685 = Timestamp(microseconds: -11_676_096_000_000_000)
    /// 2300-01-01: past 2^53 microseconds (2255-06-05).
    static let past2255 = Timestamp(microseconds: 10_413_792_000_000_000)

    static func store(_ folder: TemporaryFolder, at time: Timestamp) throws -> Store {
        try Store(path: folder.path, clock: { time })
    }

    @Test(arguments: [before1685, beforeEpoch, past2255])
    func aFolderIsBornAtItsClocksTime(time: Timestamp) throws {
        let folder = TemporaryFolder()
        do {
            let store = try Self.store(folder, at: time)
            #expect(try store.info().createdAt == time.date)
        }
        // Opened again (the first store closed: one environment per folder
        // in a process), with a clock elsewhere: the birth is the one stored.
        let reopened = try Store(path: folder.path, clock: { Timestamp(microseconds: 0) })
        #expect(try reopened.info().createdAt == time.date)
    }

    @Test(arguments: [before1685, beforeEpoch, past2255])
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

    @Test(arguments: [before1685, beforeEpoch, past2255])
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
