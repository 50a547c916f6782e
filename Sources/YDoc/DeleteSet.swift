import Encoding

/// Deleted ranges per client: `(clock, length)` pairs, sorted and merged on demand.
struct DeleteSet {
    typealias Ranges = [(clock: UInt64, length: UInt64)]
    /// One entry per client. A list, not a dictionary: a transaction or an
    /// update names one or two clients, and a dictionary's table and hashing
    /// cost more than scanning them.
    private(set) var clients: [(client: UInt64, ranges: Ranges)] = []

    var isEmpty: Bool { clients.isEmpty }

    mutating func add(_ client: UInt64, _ clock: UInt64, _ length: UInt64) {
        guard length > 0 else { return }
        if let index = clients.firstIndex(where: { $0.client == client }) {
            // Deleting item after item extends the last range instead of adding one.
            if let last = clients[index].ranges.last, last.clock + last.length == clock {
                clients[index].ranges[clients[index].ranges.count - 1].length += length
            } else {
                clients[index].ranges.append((clock, length))
            }
        } else {
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

    static func read(_ r: inout ByteReader) throws(YDocError) -> DeleteSet {
        var ds = DeleteSet()
        do {
            let count = try r.readLength()
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
