import Encoding
import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import Synchronization
import YDoc

/// Where the editors connect and when they edit; shared by all of them.
struct EditorSetup: Sendable {
    let url: String
    let bearer: String?
    let editors: Int
    let group: any EventLoopGroup
    let start: ContinuousClock.Instant
    let deadline: ContinuousClock.Instant
    let ledger: EditLedger
    let progress: Progress
}

/// What one editor ends with: its counts, how long its edits took to reach
/// the others, and its final document (to compare with the others' and the
/// stored one).
struct EditorRecord: Sendable {
    var index: Int
    var edits = 0
    var updatesReceived = 0
    /// From an edit leaving another editor to this replica holding it.
    var arrivals = LatencyLog()
    var finalUpdate: [UInt8] = []
    var stateVector: [UInt64: UInt64] = [:]
    /// The document's roots as JSON-like values (what `doc show` prints).
    var content: [Lib0Any] = []
    var failure: String?
}

/// An editor in a browser: joins the workflow's sync room (y-protocols over
/// the WebSocket), waits for the document, then edits it every 100 ms by
/// typing into job bodies. Half its edits go to the first job's body, where
/// all editors type at once (concurrent inserts into one text are what the
/// CRDT has to merge), the rest to a job of its own; every fifth edit
/// deletes a few characters instead. After the deadline it stops editing
/// and waits until it holds every other editor's last edit.
enum Editor {
    static func run(index: Int, setup: EditorSetup) async -> EditorRecord {
        let replica = Replica(index: index, ledger: setup.ledger)
        var configuration = WebSocketClientConfiguration(maxFrameSize: 16 << 20)
        if let bearer = setup.bearer { configuration.additionalHeaders[.authorization] = "Bearer \(bearer)" }
        var logger = Logger(label: "load-serve.editor-\(index)")
        logger.logLevel = .warning
        var failure: String?
        do {
            try await WebSocketClient.connect(
                url: setup.url, configuration: configuration, eventLoopGroup: setup.group, logger: logger
            ) { inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // The server's frames, answered and applied as they come.
                    group.addTask {
                        for try await message in inbound.messages(maxSize: 16 << 20) {
                            guard case .binary(let buffer) = message else { continue }
                            if let reply = try await replica.receive(Array(buffer.readableBytesView)) {
                                try await outbound.write(.binary(ByteBuffer(bytes: reply)))
                            }
                        }
                    }
                    try await session(replica, outbound, setup)
                    try await outbound.close(.normalClosure, reason: "done")
                    try await group.waitForAll()
                }
            }
        } catch {
            failure = "editor \(index): \(error)"
        }
        var record = await replica.record()
        record.failure = record.failure ?? failure
        return record
    }

    /// Sync, edit until the deadline, settle.
    private static func session(_ replica: Replica, _ outbound: WebSocketOutboundWriter, _ setup: EditorSetup) async throws {
        // Ask for the document (sync step 1) and wait for it (step 2): an edit
        // made before it arrives would be an edit to an empty document.
        try await outbound.write(.binary(ByteBuffer(bytes: await replica.step1())))
        guard try await waitFor(.now + .seconds(10), { await replica.step2Count > 0 }) else {
            throw EditorFailure("no document from the server within 10 s")
        }
        try await Task.sleep(until: setup.start, clock: .continuous)
        var next = setup.start
        var n = 0
        while true {
            next += .milliseconds(100)
            guard next <= setup.deadline else { break }
            try await Task.sleep(until: next, clock: .continuous)
            let frame = try await replica.edit(n)
            try await outbound.write(.binary(ByteBuffer(bytes: frame)))
            setup.progress.edits.add(1, ordering: .relaxed)
            n += 1
        }
        setup.ledger.finish(editor: replica.index, clock: await replica.ownClock())
        // Every stored update is relayed to every other editor, so waiting is
        // all convergence takes; 15 s is far beyond any relay seen.
        let settled = try await waitFor(.now + .seconds(15)) {
            let finals = setup.ledger.finalClocks(editors: setup.editors)
            return finals.count == setup.editors ? await replica.holds(finals) : false
        }
        if !settled { await replica.fail("did not receive every editor's last edit within 15 s of the deadline") }
        // One more step 1: whatever the room has that this replica still lacks comes back in the step 2.
        let answered = await replica.step2Count
        try await outbound.write(.binary(ByteBuffer(bytes: await replica.step1())))
        if try await !waitFor(.now + .seconds(5), { await replica.step2Count > answered }) {
            await replica.fail("no answer to the final sync step 1 within 5 s")
        }
    }

    /// Polls `condition` every 10 ms until it holds (true) or `limit` passes (false).
    private static func waitFor(_ limit: ContinuousClock.Instant, _ condition: () async -> Bool) async throws -> Bool {
        while ContinuousClock.now < limit {
            if await condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return await condition()
    }
}

struct EditorFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One editor's copy of the document. An actor: the socket's reader and
/// the editing loop both reach it.
actor Replica {
    let index: Int
    private let doc: Doc
    private let ledger: EditLedger
    private(set) var step2Count = 0
    private var edits = 0
    private var updatesReceived = 0
    private var arrivals = LatencyLog()
    /// Per other editor, the clock up to which its edits have been timed here.
    private var timed: [Int: UInt64] = [:]
    private var failure: String?

    /// Fixed client ids, distinct from the seeded document's (1).
    static func clientID(_ editor: Int) -> UInt64 { 1_000 + UInt64(editor) }

    init(index: Int, ledger: EditLedger) {
        self.index = index
        self.ledger = ledger
        doc = Doc(clientID: Self.clientID(index))
    }

    func step1() -> [UInt8] { SyncMessage.step1(stateVector: doc.encodeStateVector()).encoded() }

    /// A frame from the server; the reply it wants, if any.
    func receive(_ frame: [UInt8]) throws -> [UInt8]? {
        switch try SyncMessage.decode(frame) {
        case .sync(.step1(let stateVector)):
            return SyncMessage.step2(update: try doc.encodeStateAsUpdate(stateVector: stateVector)).encoded()
        case .sync(.step2(let update)):
            try doc.applyUpdate(update)
            step2Count += 1
            timeArrivals()
        case .sync(.update(let update)):
            try doc.applyUpdate(update)
            updatesReceived += 1
            timeArrivals()
        case .other:
            break  // awareness: nobody here sends any
        }
        return nil
    }

    /// Edit number `n`; returns the update frame to send.
    func edit(_ n: Int) throws -> [UInt8] {
        let target = n % 2 == 0 ? 0 : 1 + (index + n) % (Plan.jobCount - 1)
        guard case .map(let job)? = doc.array("jobs").get(target), case .text(let body)? = job.get("body") else {
            throw EditorFailure("editor \(index): job \(target) has no body text")
        }
        let txn = doc.transact { txn in
            if n % 5 == 4 && body.count > 40 {
                body.delete(Int.random(in: 0..<(body.count - 3)), 3, txn)
            } else {
                body.insert(Int.random(in: 0...body.count), "[e\(index).\(n)]", txn)
            }
            return txn
        }
        edits += 1
        // Recorded before it is sent, so no other editor can receive it first.
        ledger.record(editor: index, clock: ownClock(), at: .now)
        return SyncMessage.update(txn.encodeUpdate()).encoded()
    }

    func ownClock() -> UInt64 { doc.stateVector[Self.clientID(index)] ?? 0 }

    /// Whether this replica holds each editor's edits up to `clocks[editor]`.
    func holds(_ clocks: [UInt64]) -> Bool {
        let state = doc.stateVector
        return clocks.enumerated().allSatisfy { editor, clock in (state[Self.clientID(editor)] ?? 0) >= clock }
    }

    func fail(_ reason: String) {
        failure = failure ?? "editor \(index): \(reason)"
    }

    func record() -> EditorRecord {
        var record = EditorRecord(index: index)
        record.edits = edits
        record.updatesReceived = updatesReceived
        record.arrivals = arrivals
        record.finalUpdate = (try? doc.encodeStateAsUpdate()) ?? []
        record.stateVector = doc.stateVector
        record.content = DocumentContent.of(doc)
        record.failure = failure
        return record
    }

    /// Times the other editors' edits this replica now holds and had not before.
    private func timeArrivals() {
        let state = doc.stateVector
        let now = ContinuousClock.now
        for editor in 0..<ledger.editors where editor != index {
            let clock = state[Self.clientID(editor)] ?? 0
            let from = timed[editor] ?? 0
            guard clock > from else { continue }
            for sent in ledger.sends(of: editor, after: from, through: clock) { arrivals.add(now - sent) }
            timed[editor] = clock
        }
    }
}

/// When each edit left its editor, so the others can time its arrival. An
/// editor's edits are numbered by its clock (its entry in the Yjs state
/// vector): a replica whose state vector reaches that clock holds the edit.
final class EditLedger: Sendable {
    let editors: Int
    private let sent: Mutex<[[(clock: UInt64, at: ContinuousClock.Instant)]]>
    private let finals: Mutex<[Int: UInt64]>

    init(editors: Int) {
        self.editors = editors
        sent = Mutex(Array(repeating: [], count: editors))
        finals = Mutex([:])
    }

    func record(editor: Int, clock: UInt64, at instant: ContinuousClock.Instant) {
        sent.withLock { $0[editor].append((clock, instant)) }
    }

    /// When `editor`'s edits ending at clocks in `after<..<=through` were sent.
    func sends(of editor: Int, after: UInt64, through: UInt64) -> [ContinuousClock.Instant] {
        sent.withLock { all in
            all[editor].lazy.filter { $0.clock > after && $0.clock <= through }.map(\.at)
        }
    }

    /// `editor` stopped editing; `clock` is its last edit's.
    func finish(editor: Int, clock: UInt64) {
        finals.withLock { $0[editor] = clock }
    }

    /// Every editor's last clock, once all of them have stopped (else fewer).
    func finalClocks(editors: Int) -> [UInt64] {
        finals.withLock { finals in finals.count == editors ? (0..<editors).map { finals[$0]! } : [] }
    }
}

/// A document's roots in the workflow layout as JSON-like values (what
/// `cairn doc show` prints), for comparing replicas: two documents with the
/// same state vector should hold the same content, and this checks it.
enum DocumentContent {
    static func of(_ doc: Doc) -> [Lib0Any] {
        ["workflow", "positions", "errors"].map { doc.map($0).toJSON() } + ["jobs", "triggers", "edges"].map { doc.array($0).toJSON() }
    }
}
