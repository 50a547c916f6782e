import CairnKit
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWebSocket
import TestSupport
import Testing
import YDoc

@testable import CairnServer

/// Issue #20, sanitizers: LeakSanitizer found every upgraded sync socket
/// leaking its request context and handler (hummingbird-websocket's upgrade
/// box holds the context that holds the box), and with them, in tests, the
/// whole store. `SyncRequestContext` lets go of the box when the socket
/// ends; here nothing holds the store once the service and its sockets are
/// gone.
@Suite struct SocketLifetimeTests {
    typealias P = TwoProjects

    final class Probe: @unchecked Sendable {
        weak var store: Store?
    }

    @Test func aClosedSocketLeavesNothingHoldingTheStore() async throws {
        let probe = Probe()
        try await {
            let p = try TwoProjects()
            probe.store = p.store
            try await makeApplication(store: p.store, configuration: ServerConfiguration(port: 0, runScheduler: false)).test(.live) { client in
                for _ in 0..<3 {
                    let close = try await client.ws(
                        "/api/v1/workflows/\(P.workflowA)/sync", configuration: .init(additionalHeaders: P.auth("t1"))
                    ) { inbound, outbound, _ in
                        var frames = inbound.makeAsyncIterator()
                        _ = try await frames.next()  // the hello: the hub has the socket
                        try await outbound.close(.normalClosure, reason: nil)
                    }
                    #expect(close?.closeCode == .normalClosure)
                }
            }
        }()
        // The sockets' tasks end a moment after the service does.
        let released = await eventually { probe.store == nil }
        #expect(released, "something still holds the store after its service and sockets ended")
    }
}
