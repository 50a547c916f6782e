import YDoc

/// Turns fuzzer bytes into Yjs updates (v1) that are well formed where it
/// matters for getting deep: struct counts, client ids and clocks that follow
/// the receiving document's state vector, origins and parents naming items
/// the document (or the update itself) holds, contents of every kind Yjs
/// writes, and a delete set over held ranges. The fuzzer's mutations change
/// the choices, not the framing, so most generated updates get past the
/// decoder into integration, pending structs and deletion. A few choices
/// deliberately break the structure (clock gaps, unknown content refs,
/// dangling origins, invalid UTF-8) so the refusals stay exercised too.
public struct UpdateGenerator {
    public var input: FuzzInput
    /// Root names to put items under; the workflow layout's and a few others.
    public var roots: [String]
    public var keys: [String]
    static let fixedClients: [UInt64] = [1, 2, 3, 0xFFFF_FFFF, 1 << 40, 1 << 53 - 1]

    public init(_ input: FuzzInput, roots: [String] = ["workflow", "jobs", "triggers", "edges", "t", "m", ""],
                keys: [String] = ["id", "name", "body", "cron_cursor_job_id", "enabled", "type", "x", ""]) {
        self.input = input
        self.roots = roots
        self.keys = keys
    }

    /// Ids of items known to exist (in the document, or written earlier in this update), per client.
    private var written: [UInt64: UInt64] = [:]
    private var typeItems: [(UInt64, UInt64)] = []

    private mutating func clientFor(_ doc: Doc) -> UInt64 {
        let held = Array(doc.stateVector.keys.sorted())
        if !held.isEmpty && input.int(0...2) == 0 { return input.pick(held) }
        return input.pick(Self.fixedClients)
    }

    /// The next clock of `client` as far as the generator knows.
    private func nextClock(_ doc: Doc, _ client: UInt64) -> UInt64 {
        max(doc.stateVector[client] ?? 0, written[client] ?? 0)
    }

    /// An id that most likely exists: some clock below a client's known next one.
    private mutating func existingID(_ doc: Doc) -> (UInt64, UInt64) {
        var known: [(UInt64, UInt64)] = doc.stateVector.map { ($0.key, $0.value) }
        for (c, n) in written { known.append((c, n)) }
        known.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        let roll = input.int(0...15)
        if roll == 0 || known.isEmpty {  // anything, likely missing: a pending struct
            return (input.pick(Self.fixedClients), UInt64(input.int(0...40)))
        }
        if roll == 1, !typeItems.isEmpty { return input.pick(typeItems) }
        let (client, next) = input.pick(known)
        guard next > 0 else { return (client, 0) }
        // Near the end most often (where a typist's next item goes).
        if input.bool() { return (client, next - 1 - UInt64(input.int(0...Int(min(next - 1, 3))))) }
        return (client, UInt64(input.int(0...Int(min(next - 1, 1 << 20)))))
    }

    private mutating func text() -> [UInt8] {
        switch input.int(0...7) {
        case 0: return []
        case 1: return Array("😀é".utf8)
        case 2: return [0xED, 0xA0, 0x80]  // a lone surrogate, as CESU bytes (invalid UTF-8)
        case 3: return [0xFF, 0xC0]
        default: return input.bytes(max: 12).map { 0x20 + $0 % 0x5F }
        }
    }

    private mutating func any(_ w: inout Lib0Writer, depth: Int = 0) {
        let tag = depth > 3 ? 119 : input.pick([127, 126, 125, 124, 123, 122, 121, 120, 119, 118, 117, 116, 0])
        w.uint8(UInt8(tag))
        switch tag {
        case 125: w.varInt(Int64(bitPattern: input.uint64()) >> UInt64(input.int(0...63)))
        case 124: w.raw([input.byte(), input.byte(), input.byte(), input.byte()])
        case 123: w.float64(input.pick([0, -0.0, 1.5, .nan, .infinity, 1e300, 9007199254740992, -5e-324]))
        case 122: w.raw((0..<8).map { _ in input.byte() })
        case 119: w.varBytes(text())
        case 118:
            let n = input.int(0...3)
            w.varUInt(n)
            for _ in 0..<n { w.varBytes(text()); any(&w, depth: depth + 1) }
        case 117:
            let n = input.int(0...3)
            w.varUInt(n)
            for _ in 0..<n { any(&w, depth: depth + 1) }
        case 116: w.varBytes(input.bytes(max: 8))
        case 0: w.raw(input.bytes(max: 4))  // not a lib0 any tag
        default: break  // undefined, null, true, false: the tag alone
        }
    }

    /// Writes one content of kind `ref` and returns the length it occupies in clocks.
    private mutating func content(_ ref: UInt8, _ w: inout Lib0Writer) -> UInt64 {
        switch ref {
        case 1:
            let n = input.int(1...5)
            w.varUInt(n)
            return UInt64(n)
        case 2:
            let n = input.int(1...3)
            w.varUInt(n)
            for _ in 0..<n { w.varString(input.pick(["1", "\"a\"", "null", "undefined", "{\"k\":[1,2]}", "[", "1e999"])) }
            return UInt64(n)
        case 3:
            w.varBytes(input.bytes(max: 8))
            return 1
        case 4:
            let s = input.pick(["a", "ab", "héllo", "😀", "x😀y", "\n"])
            w.varString(s)
            return UInt64(s.utf16.count)
        case 5:
            w.varString(input.pick(["{\"image\":1}", "1", "nope"]))
            return 1
        case 6:
            w.varString(input.pick(["bold", "italic", ""]))
            w.varString(input.pick(["true", "null", "{}", "x"]))
            return 1
        case 7:
            let t = input.int(0...7)
            w.varUInt(t)
            if t == 3 || t == 5 { w.varBytes(text()) }
            return 1
        case 8:
            let n = input.int(1...3)
            w.varUInt(n)
            for _ in 0..<n { any(&w) }
            return UInt64(n)
        case 9:
            w.varBytes(text())
            any(&w)
            return 1
        default:
            return 1
        }
    }

    /// One update for `doc` as it is now.
    public mutating func update(for doc: Doc) -> [UInt8] {
        written = [:]
        var w = Lib0Writer()
        let clients = input.int(0...3)
        w.varUInt(clients)
        for _ in 0..<clients {
            let client = clientFor(doc)
            var clock = nextClock(doc, client)
            switch input.int(0...11) {
            case 0: clock = 0
            case 1: clock += UInt64(input.int(1...3))  // a gap: pending until filled
            case 2: clock = clock > 0 ? clock - 1 : 0  // overlapping what is held
            default: break
            }
            let count = input.int(0...6)
            w.varUInt(count)
            w.varUInt(client)
            w.varUInt(clock)
            for _ in 0..<count {
                let kind = input.int(0...19)
                if kind == 0 || kind == 1 {  // GC, or a skip
                    w.uint8(kind == 0 ? 0 : 10)
                    let n = input.int(1...4)
                    w.varUInt(n)
                    clock += UInt64(n)
                    continue
                }
                let ref: UInt8 = kind == 2 ? UInt8(11 + input.int(0...20)) : UInt8(input.pick([1, 2, 3, 4, 4, 4, 5, 6, 7, 7, 8, 8, 8, 9]))
                let origin = input.int(0...2) != 0
                let rightOrigin = input.int(0...3) == 0
                let parentSub = !origin && !rightOrigin && input.bool()
                var info = ref
                if origin { info |= 0x80 }
                if rightOrigin { info |= 0x40 }
                if parentSub { info |= 0x20 }
                w.uint8(info)
                if origin { let (c, k) = existingID(doc); w.varUInt(c); w.varUInt(k) }
                if rightOrigin { let (c, k) = existingID(doc); w.varUInt(c); w.varUInt(k) }
                if !origin && !rightOrigin {
                    if typeItems.isEmpty || input.int(0...3) != 0 {
                        w.varUInt(1)
                        w.varString(input.pick(roots))
                    } else {
                        w.varUInt(0)
                        let (c, k) = input.int(0...7) == 0 ? existingID(doc) : input.pick(typeItems)
                        w.varUInt(c)
                        w.varUInt(k)
                    }
                    if parentSub { w.varString(input.pick(keys)) }
                }
                if ref == 7 { typeItems.append((client, clock)) }
                clock += content(ref, &w)
            }
            written[client] = max(written[client] ?? 0, clock)
        }
        // The delete set: ranges over what is held, mostly.
        let deleted = input.int(0...2)
        w.varUInt(deleted)
        for _ in 0..<deleted {
            let (client, at) = existingID(doc)
            w.varUInt(client)
            let ranges = input.int(1...3)
            w.varUInt(ranges)
            var clock = at
            for _ in 0..<ranges {
                w.varUInt(clock)
                let n = UInt64(input.int(1...4))
                w.varUInt(n)
                clock += n + UInt64(input.int(0...2))
            }
        }
        return w.bytes
    }
}
