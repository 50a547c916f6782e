import Foundation

/// The server's memory as `/proc/PID/status` reports it, and its CPU time. `VmRSS` counts the
/// pages of the LMDB map the server has touched (`RssFile`), which grow with
/// the log it writes and which the kernel may drop at will; `RssAnon` is
/// the heap, where a leak would show. Both are kept, and "flat" is judged
/// on the heap.
struct MemorySample: Sendable {
    /// Seconds since the load started.
    var at: Double
    var rssKiB = 0
    var peakKiB = 0
    var anonKiB = 0
    var fileKiB = 0
    /// Events acknowledged since the previous sample, per second.
    var eventsPerSecond = 0.0
    /// The server's user + system CPU time so far (`/proc/PID/stat`).
    var cpuSeconds = 0.0

    static func read(pid: Int32, at: Double) -> MemorySample? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        var sample = MemorySample(at: at)
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count >= 2, let kib = Int(parts[1]) else { continue }
            switch parts[0] {
            case "VmRSS:": sample.rssKiB = kib
            case "VmHWM:": sample.peakKiB = kib
            case "RssAnon:": sample.anonKiB = kib
            case "RssFile:": sample.fileKiB = kib
            default: break
            }
        }
        sample.cpuSeconds = processCPUSeconds(pid) ?? 0
        return sample
    }
}

/// User + system CPU seconds of process `pid` (fields 14 and 15 of
/// `/proc/PID/stat`, counted after the parenthesised command name, which
/// may hold spaces).
func processCPUSeconds(_ pid: Int32) -> Double? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = text.lastIndex(of: ")")
    else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// The whole machine's CPU, busy and total, in seconds summed over its
/// cores (`/proc/stat`): with the server's and the generator's own, it
/// says how much went to neither (other work on a shared machine).
struct MachineCPU {
    var busy = 0.0
    var total = 0.0

    static func read() -> MachineCPU? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = text.split(separator: "\n").first, line.hasPrefix("cpu ")
        else { return nil }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard ticks.count >= 5 else { return nil }
        let hz = Double(sysconf(Int32(_SC_CLK_TCK)))
        // user nice system idle iowait irq softirq steal ...: idle and iowait are not busy.
        let total = ticks.prefix(8).reduce(0, +)
        return MachineCPU(busy: (total - ticks[3] - ticks[4]) / hz, total: total / hz)
    }
}

/// This process's user + system CPU seconds.
func ownCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// Samples the server every `interval` while the load runs, with the rate
/// of acknowledged events over each interval beside it.
struct MemorySampler {
    let pid: Int32
    let interval: Duration
    let progress: Progress

    func run(from start: ContinuousClock.Instant, until end: ContinuousClock.Instant) async -> [MemorySample] {
        var samples: [MemorySample] = []
        try? await Task.sleep(until: start, clock: .continuous)
        var last = (at: start, acknowledged: progress.acknowledged.load(ordering: .relaxed))
        if let first = MemorySample.read(pid: pid, at: 0) { samples.append(first) }
        var next = start
        while next < end {
            next = min(next + interval, end)
            try? await Task.sleep(until: next, clock: .continuous)
            let now = ContinuousClock.now
            let acknowledged = progress.acknowledged.load(ordering: .relaxed)
            guard var sample = MemorySample.read(pid: pid, at: seconds(now - start)) else { break }
            sample.eventsPerSecond = Double(acknowledged - last.acknowledged) / seconds(now - last.at)
            samples.append(sample)
            last = (now, acknowledged)
        }
        return samples
    }
}

func seconds(_ duration: Duration) -> Double {
    let (s, atto) = duration.components
    return Double(s) + Double(atto) / 1e18
}
