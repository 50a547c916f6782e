// Appends N records (8-byte big-endian keys, 200-byte values, 1,000 per durable
// transaction, MDB_APPEND) through the Swift LMDB wrapper, then scans them.
// Mirrors c/lmdb_floor.c exactly; tools/bench-lmdb runs both and prints ratios.
import BenchSupport
import Foundation
import LMDB

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: bench-lmdb DIR [RECORDS]\n".utf8))
    exit(2)
}
let folder = arguments[1]
let records = arguments.count > 2 ? Int(arguments[2]) ?? 1_000_000 : 1_000_000
let perTransaction = 1_000
let valueSize = 200


let env = try Environment(path: folder, options: .init(mapSize: 2 << 30))
let db = try env.database("bench")
var value = [UInt8](repeating: 0, count: valueSize)
for i in value.indices { value[i] = UInt8(truncatingIfNeeded: i &* 31) }

let appendStart = now()
var key: UInt64 = 0
try value.withUnsafeBytes { valueBytes in
    for _ in 0..<(records / perTransaction) {
        try env.write { txn in
            for _ in 0..<perTransaction {
                var bigEndian = key.bigEndian
                try withUnsafeBytes(of: &bigEndian) { keyBytes in
                    try txn.put(db, key: keyBytes, value: valueBytes, flags: .append)
                }
                key += 1
            }
        }
    }
}
let appendSeconds = now() - appendStart

let scanStart = now()
var count = 0
var checksum: UInt64 = 0
try env.read { txn in
    try txn.scan(db) { key, value in
        count += 1
        checksum &+= UInt64(key[7]) &+ UInt64(value[0]) &+ UInt64(value.count)
        return true
    }
}
let scanSeconds = now() - scanStart
precondition(count == records, "scanned \(count) of \(records)")
print("append_seconds=\(appendSeconds) scan_seconds=\(scanSeconds) records=\(count) checksum=\(checksum)")
