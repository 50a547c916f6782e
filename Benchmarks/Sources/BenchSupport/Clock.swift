import Foundation

/// Seconds on the monotonic clock, for timing one phase of a benchmark.
public func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// The process's peak resident set so far, in MiB.
public func peakRSSMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// The process's anonymous resident memory now (heap, not mapped file pages), in MiB.
/// Read from `/proc/self/statm` (resident minus file-backed and shared
/// pages) with plain POSIX calls: a rebuild samples it every few thousand
/// events, on the thread being timed, and reading `/proc/self/status`
/// through Foundation cost more than a twentieth of the rebuild.
public func anonymousRSSMiB() -> Double {
    let fd = open("/proc/self/statm", O_RDONLY)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 128)
    let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    guard count > 0 else { return 0 }
    // "size resident shared text lib data dt", in pages.
    let fields = buffer[0..<count].split(separator: UInt8(ascii: " ")).prefix(3).map { Int(String(decoding: $0, as: UTF8.self)) ?? 0 }
    guard fields.count == 3 else { return 0 }
    return Double((fields[1] - fields[2]) * Int(sysconf(Int32(_SC_PAGESIZE)))) / (1024 * 1024)
}
