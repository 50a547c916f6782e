import Foundation
import JSON
import Synchronization
import TestSupport
import Testing

@testable import EventLog

@Suite struct GroupCommitObserverTests {
    /// The observer is called as it was given, however many transactions
    /// come: the service's metrics observer, set once, was found called
    /// through over a thousand nested closure thunks after a few seconds
    /// of load, one level more for every group commit, until the
    /// committer's thread would run out of stack.
    @Test func theObserverIsCalledAtTheSameDepthAtEveryCommit() async throws {
        let f = try LogFixture()
        try f.run("r", to: .started)
        let depths = Mutex<[Int]>([])
        f.log.groupCommitObserver = { _ in
            let depth = Thread.callStackReturnAddresses.count
            depths.withLock { $0.append(depth) }
        }
        for _ in 0..<200 {
            let line = try JSONParser.parse(#"{"run_id":"r","message":"x","timestamp":1}"#)
            _ = try await f.log.append(try WorkerProtocol.submission(event: "run:log", id: .random(), payload: line))
        }
        let seen = depths.withLock { $0 }
        #expect(seen.count == 200)
        #expect(Set(seen).count == 1, "stack depths at the observer: \(Set(seen).sorted())")
    }
}
