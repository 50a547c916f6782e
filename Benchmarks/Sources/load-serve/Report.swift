import Foundation

/// The printed results: Markdown table rows (`| measure | value | target |
/// met |`), so the verification steps that run after the server stops can
/// add their rows to the same table, and a second table of the memory
/// samples. Numbers say what they are; a missed target says "no".
enum Report {
    static let header = "| measure | value | target | met |\n|---|---|---|---|"

    static func row(_ measure: String, _ value: String, _ target: String = "", _ met: Bool? = nil) -> String {
        "| \(measure) | \(value) | \(target) | \(met.map { $0 ? "yes" : "**no**" } ?? "") |"
    }

    static func count(_ n: Int) -> String { n.formatted(.number.grouping(.automatic)) }

    static func millis(_ value: Double) -> String { value.isNaN ? "-" : String(format: value < 10 ? "%.2f" : "%.1f", value) }

    static func mib(_ kib: Int) -> String { String(format: "%.0f MiB", Double(kib) / 1024) }

    struct Run {
        var workers: Int
        var editors: Int
        var seconds: Double
        var elapsed: Double
        var record: WorkerRecord
        var editorRecords: [EditorRecord]
        var converged: Bool
        var samples: [MemorySample]
        var final: MemorySample?
        var cpu: CPU?
    }

    /// CPU seconds over the run (summed over cores).
    struct CPU {
        var server: Double
        var generator: Double
        var machineBusy: Double
        var machineTotal: Double
    }

    /// The rows of the load itself, and whether its own targets were met.
    static func rows(_ run: Run) -> [String] {
        var rows: [String] = []
        let acknowledged = run.record.acks.count
        let appended = run.record.acks.lazy.filter(\.appended).count
        let rate = Double(acknowledged) / run.elapsed
        rows.append(row(
            "events acknowledged (2xx `appended`/`duplicate`)",
            "\(count(acknowledged)) (appended \(count(appended)), duplicate \(count(acknowledged - appended))) in \(String(format: "%.1f", run.elapsed)) s"))
        rows.append(row("events/s sustained (acknowledged / seconds)", count(Int(rate)), ">= 20,000", rate >= 20_000))
        rows.append(row(
            "runs worked to `success`", "\(count(run.record.runsCompleted)) (abandoned part-way: \(run.record.runsAbandoned); claims answered with no run: \(count(run.record.emptyClaims)))"))

        for kind in RequestKind.allCases {
            let sorted = run.record.latencies[kind.rawValue].micros.sorted()
            let p = [0.5, 0.99, 0.999].map { LatencyLog.millis(sorted, $0) }
            if kind == .stepComplete {
                rows.append(row(
                    "`step:complete` latency p50 / p99 / p99.9", "\(millis(p[0])) / \(millis(p[1])) / \(millis(p[2])) ms (\(count(sorted.count)) requests)",
                    "p99 < 50 ms", p[1] < 50))
            } else {
                rows.append(row("\(kind.label) latency p50 / p99 / p99.9", "\(millis(p[0])) / \(millis(p[1])) / \(millis(p[2])) ms (\(count(sorted.count)))"))
            }
        }

        let errors = run.record.errors
        let statuses = errors.byStatus.sorted { $0.key < $1.key }.map { "HTTP \($0.key): \(count($0.value))" }
        rows.append(row("errors: non-2xx answers, by status", statuses.isEmpty ? "none" : statuses.joined(separator: ", "), "0", statuses.isEmpty))
        rows.append(row(
            "errors: transport (no answer), and 2xx without an outcome", "\(errors.transport), \(errors.unexpected) (requests sent again: \(run.record.retries))", "0",
            errors.transport + errors.unexpected == 0))

        if let cpu = run.cpu {
            let cores = cpu.machineTotal / run.elapsed
            let perEvent = { (seconds: Double) in acknowledged == 0 ? "-" : String(format: "%.0f", seconds / Double(acknowledged) * 1e6) }
            let share = { (seconds: Double) in String(format: "%.2f", seconds / run.elapsed) }
            rows.append(row(
                "CPU over the run, in cores (of \(String(format: "%.0f", cores)))",
                "server \(share(cpu.server)) (\(perEvent(cpu.server)) µs an event), generator \(share(cpu.generator)) (\(perEvent(cpu.generator)) µs an event), other processes \(share(max(0, cpu.machineBusy - cpu.server - cpu.generator))), idle \(share(cpu.machineTotal - cpu.machineBusy))"))
        }
        if let final = run.final {
            rows.append(row("server peak RSS (VmHWM)", mib(final.peakKiB)))
        }
        if let (warm, last, flat) = heapTrend(run.samples, final: run.final) {
            rows.append(row(
                "server heap (RssAnon) after warm-up -> at the end",
                "\(mib(warm.anonKiB)) at \(Int(warm.at)) s -> \(mib(last.anonKiB)) (\(String(format: "%+.1f%%", 100 * Double(last.anonKiB - warm.anonKiB) / Double(max(warm.anonKiB, 1))))); VmRSS \(mib(warm.rssKiB)) -> \(mib(last.rssKiB)), of it the mapped log (RssFile) \(mib(warm.fileKiB)) -> \(mib(last.fileKiB))",
                "flat after warm-up", flat))
        }

        let edits = run.editorRecords.map(\.edits)
        var arrivals = LatencyLog()
        for record in run.editorRecords { arrivals.merge(record.arrivals) }
        let sorted = arrivals.micros.sorted()
        rows.append(row(
            "editors: edits sent (one every 100 ms each)", "\(edits.map(count).joined(separator: " + ")) = \(count(edits.reduce(0, +)))"))
        rows.append(row(
            "editors: an edit reaching each other editor, p50 / p99 / max", "\(millis(LatencyLog.millis(sorted, 0.5))) / \(millis(LatencyLog.millis(sorted, 0.99))) / \(millis(LatencyLog.millis(sorted, 1))) ms (\(count(sorted.count)) arrivals)"))
        let failures = run.editorRecords.compactMap(\.failure)
        rows.append(row(
            "editors: replicas equal at the end (state vectors and content, in the generator)",
            run.converged ? "yes" : "no" + (failures.isEmpty ? "" : ": " + failures.joined(separator: "; ")), "equal", run.converged && failures.isEmpty))
        return rows
    }

    /// The heap after warm-up (the first sample at or after a quarter of the
    /// run, at least 10 s in) against the end, and whether it stayed within
    /// 10% (or 16 MiB, whichever is more: a small heap's noise).
    static func heapTrend(_ samples: [MemorySample], final: MemorySample?) -> (MemorySample, MemorySample, Bool)? {
        guard let end = samples.last?.at, let last = final ?? samples.last else { return nil }
        let warmUp = max(10, end / 4)
        // (Samples land a few milliseconds either side of their 5 s marks.)
        guard let warm = samples.first(where: { $0.at >= warmUp - 1 }) else { return nil }
        let growth = last.anonKiB - warm.anonKiB
        return (warm, last, growth <= max(warm.anonKiB / 10, 16 << 10))
    }

    static func memoryTable(_ samples: [MemorySample]) -> String {
        var lines = [
            "| t (s) | events/s in the interval | VmRSS | RssAnon (heap) | RssFile (mapped log) | VmHWM |",
            "|---|---|---|---|---|---|",
        ]
        for s in samples {
            lines.append("| \(Int(s.at.rounded())) | \(s.at == 0 ? "" : count(Int(s.eventsPerSecond))) | \(mib(s.rssKiB)) | \(mib(s.anonKiB)) | \(mib(s.fileKiB)) | \(mib(s.peakKiB)) |")
        }
        return lines.joined(separator: "\n")
    }
}
