import CairnKit
import CairnServer
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Session 23's review of what one client can take from everyone: a run's
/// events in one request are one write, which holds the store's only
/// writer; and a connection that stalls a body kept it, and what it had
/// sent, for good (a keyless webhook needs no token).
@Suite struct ServiceLimitsTests {
    typealias P = TwoProjects

    static func logs(_ count: Int) -> String {
        "[" + (0..<count).map { #"{"event":"run:log","payload":{"message":"line \#($0)"}}"# }.joined(separator: ",") + "]"
    }

    @Test func aRequestCarriesAtMostItsEvents() async throws {
        let p = try P()
        let configuration = ServerConfiguration(runScheduler: false, limits: RequestLimits(eventsPerRequest: 3))
        let app = Application(router: makeRouter(store: p.store, configuration: configuration))
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/api/v1/runs", method: .post, headers: P.auth("w1"),
                body: ByteBuffer(string: P.create("ra", workflow: P.workflowA, input: "in-ra"))
            ) { #expect($0.status == .created) }
            let before = try p.store.log.lastSequence()
            try await client.execute(
                uri: "/api/v1/runs/ra/events", method: .post, headers: P.auth("w1"), body: ByteBuffer(string: Self.logs(4))
            ) { response in
                #expect(response.status == .contentTooLarge)
                let error = (try P.json(response.body) as? [String: Any])?["error"] as? [String: Any]
                #expect(error?["field"] as? String == "events")
                #expect((error?["message"] as? String)?.contains("limit of 3") == true, "\(String(describing: error))")
            }
            #expect(try p.store.log.lastSequence() == before, "nothing of a refused request is written")
            try await client.execute(
                uri: "/api/v1/runs/ra/events", method: .post, headers: P.auth("w1"), body: ByteBuffer(string: Self.logs(3))
            ) { #expect($0.status == .ok) }
            #expect(try p.store.log.lastSequence() == before + 3)
        }
    }

    @Test func aStalledBodyIsClosedAfterTheIdleTimeout() async throws {
        let p = try P()
        let configuration = ServerConfiguration(port: 0, runScheduler: false, limits: RequestLimits(idleTimeout: .seconds(1)))
        try await makeApplication(store: p.store, configuration: configuration).test(.live) { client in
            let port = try #require(client.port)
            // A keyless webhook's body, promised 1,000 bytes, stalled after 5.
            let request = "POST /i/c1000000-0000-4000-8000-000000000002 HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"k\":"
            let (closed, seconds) = try Self.sendAndAwaitClose(port: port, request, waitingAtMost: 15)
            #expect(closed, "the connection was still open after \(seconds) s")
            #expect(seconds < 10)
        }
    }

    /// Sends `text` on a new TCP connection to `port`, then reads until the
    /// server closes it (true) or `limit` seconds pass (false).
    static func sendAndAwaitClose(port: Int, _ text: String, waitingAtMost limit: Int) throws -> (Bool, Double) {
        let fd = try connectLoopback(port: port)
        defer { close(fd) }
        var timeout = timeval(tv_sec: limit, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(text.utf8)
        try #require(send(fd, bytes, bytes.count, 0) == bytes.count)
        let started = Date()
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { continue }  // an answer before the close is allowed
            let elapsed = Date().timeIntervalSince(started)
            // 0: closed; ECONNRESET: closed hard; EAGAIN: the wait ran out, still open.
            return (n == 0 || errno == ECONNRESET, elapsed)
        }
    }
}

/// A TCP socket connected to `port` on 127.0.0.1, for tests that speak to
/// the service byte by byte; `receiveBuffer`, when given, is set before
/// the connection (a small one makes a peer that reads slowly).
func connectLoopback(port: Int, receiveBuffer: Int32? = nil) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    try #require(fd >= 0)
    if var size = receiveBuffer { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else {
        close(fd)
        throw POSIXError(.init(rawValue: errno) ?? .EIO)
    }
    return fd
}
