import Encoding

/// Deleted ranges per client: `(clock, length)` pairs, sorted and merged on demand.
struct DeleteSet {
    typealias Ranges = [(clock: UInt64, length: UInt64)]
    /// One entry per client, in the order they were first added. A list: a
    /// transaction or an update usually names one or two clients.
    private(set) var clients: [(client: UInt64, ranges: Ranges)] = []
    /// Where each client's entry is, once there are more than a few: an
    /// update may name many clients, and searching the list for each would
    /// make reading it quadratic.
    private var entryOf: [UInt64: Int] = [:]
    /// The entry `add` extended last (deletions come client by client).
    private var lastEntry = 0

    var isEmpty: Bool { clients.isEmpty }

    private mutating func entry(_ client: UInt64) -> Int? {
        if lastEntry < clients.count, clients[lastEntry].client == client { return lastEntry }
        if clients.count <= Transaction.fewClients {
            return clients.firstIndex { $0.client == client }
        }
        if entryOf.isEmpty {
            for (index, entry) in clients.enumerated() { entryOf[entry.client] = index }
        }
        return entryOf[client]
    }

    mutating func add(_ client: UInt64, _ clock: UInt64, _ length: UInt64) {
        guard length > 0 else { return }
        if let index = entry(client) {
            lastEntry = index
            // Deleting item after item extends the last range instead of adding one.
            if let last = clients[index].ranges.last, last.clock + last.length == clock {
                clients[index].ranges[clients[index].ranges.count - 1].length += length
            } else {
                clients[index].ranges.append((clock, length))
            }
        } else {
            lastEntry = clients.count
            if !entryOf.isEmpty { entryOf[client] = clients.count }
            clients.append((client, [(clock, length)]))
        }
    }

    /// Sorts each client's ranges and merges overlapping or touching ones.
    mutating func normalize() {
        for index in clients.indices {
            let ranges = clients[index].ranges
            // Usually already in order (a decoded set, a transaction's own deletes).
            let inOrder = ranges.indices.dropFirst().allSatisfy { ranges[$0 - 1].clock <= ranges[$0].clock }
            let sorted = inOrder ? ranges : ranges.sorted { $0.clock < $1.clock }
            var merged: [(clock: UInt64, length: UInt64)] = []
            for range in sorted {
                if let last = merged.last, last.clock + last.length >= range.clock {
                    let end = max(last.clock + last.length, range.clock + range.length)
                    merged[merged.count - 1].length = end - last.clock
                } else {
                    merged.append(range)
                }
            }
            clients[index].ranges = merged
        }
    }

    /// The deleted ranges of everything in the store (Yjs's `createDeleteSetFromStructStore`).
    init(store: StructStore) {
        for (client, list) in store.clients {
            var ranges: [(clock: UInt64, length: UInt64)] = []
            for s in list.structs where s.isDeleted {
                if let last = ranges.last, last.clock + last.length == s.id.clock {
                    ranges[ranges.count - 1].length += UInt64(s.length)
                } else {
                    ranges.append((s.id.clock, UInt64(s.length)))
                }
            }
            if !ranges.isEmpty { clients.append((client, ranges)) }
        }
    }

    init() {}

    func write(_ w: inout ByteWriter) {
        w.writeVarUInt(UInt64(clients.count))
        for (client, ranges) in clients.sorted(by: { $0.client > $1.client }) {
            w.writeVarUInt(client)
            w.writeVarUInt(UInt64(ranges.count))
            for range in ranges {
                w.writeVarUInt(range.clock)
                w.writeVarUInt(range.length)
            }
        }
    }

    /// - Parameter clientLimit: the most clients it may name (`nil`: any).
    static func read(_ r: inout ByteReader, clientLimit: Int? = Doc.maxClients) throws(YDocError) -> DeleteSet {
        var ds = DeleteSet()
        do {
            let count = try r.readLength()
            if let clientLimit, count > clientLimit { throw YDocError.tooManyClients(count: count, limit: clientLimit) }
            for _ in 0..<count {
                let client = try r.readVarUInt()
                let ranges = try r.readLength()
                for _ in 0..<ranges {
                    let clock = try r.readVarUInt()
                    let length = try r.readVarUInt()
                    guard clock <= ByteReader.maxSafeInteger - length else {
                        throw YDocError.impossibleClock(client: client, clock: clock)
                    }
                    ds.add(client, clock, length)
                }
            }
        } catch let error as ByteDecodingError {
            throw .truncated(error)
        } catch let error as YDocError {
            throw error
        } catch {
            throw .malformed("\(error)")
        }
        return ds
    }
}
