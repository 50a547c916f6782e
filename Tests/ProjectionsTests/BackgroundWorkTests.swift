import Foundation
import TestSupport
import Testing

@testable import Projections

/// `BackgroundWork` lets go of its closure once it has run: the replay's
/// `DetachedReplay` keeps its work and is captured by it, and that cycle
/// leaked every parallel replay's contexts and buffers (found by
/// LeakSanitizer, `tools/sanitize address`).
@Suite struct BackgroundWorkTests {
    final class Owner {
        var work: BackgroundWork?
        var ran = false
    }

    @Test func anOwnerCapturedByItsWorkIsFreedOnceTheWorkHasRun() {
        weak var released: Owner?
        do {
            let owner = Owner()
            owner.work = BackgroundWork("test") { [owner] in owner.ran = true }
            owner.work?.join()
            #expect(owner.ran)
            released = owner
        }
        // The thread ends just after the closure: give it a moment to drop its reference.
        let freed = eventuallyBlocking { released == nil }
        #expect(freed, "the work still holds its owner")
    }
}
