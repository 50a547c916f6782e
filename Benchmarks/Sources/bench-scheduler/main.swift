// A scheduler tick over TRIGGERS cron triggers across TRIGGERS/10 workflows
// with about 1% due (cursor resolution and run creation included), and the
// time to compute FIRES fire times of the same kind of expressions.
// tools/bench-scheduler prints croniter computing the same fire times beside it.
import Cron
import EventLog
import BenchSupport
import Foundation
import LMDB
import Projections
import Scheduler


let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    print("usage: bench-scheduler DIR EXPRESSIONS_FILE [TRIGGERS [FIRES]]")
    exit(2)
}
let triggers = arguments.count > 3 ? Int(arguments[3]) ?? 100_000 : 100_000
let fires = arguments.count > 4 ? Int(arguments[4]) ?? 1_000_000 : 1_000_000

/// Varied expressions; every 100th trigger fires every five minutes (due at the measured tick), the rest later in the hour.
func expression(_ i: Int) -> String {
    if i % 100 == 0 { return "*/5 * * * *" }
    let minute = 11 + i % 48
    switch i % 5 {
    case 0: return "\(minute) \(i % 24) * * *"
    case 1: return "\(minute) */\(i % 6 + 1) * * 1-5"
    case 2: return "\(minute),\((minute + 30) % 60) * \(i % 28 + 1) * *"
    case 3: return "\(minute) 9-17 * JAN-JUN MON,WED,FRI"
    default: return "\(minute) \(i % 24) 1,15 * *"
    }
}

let env = try Environment(path: arguments[1], options: .init(mapSize: 2 << 30, noSync: true))
let log = try EventStore(environment: env)
var batch: [Submission] = []
for w in 0..<(triggers / 10) {
    let summaries = (0..<10).map { k -> TriggerSummary in
        let i = w * 10 + k
        return TriggerSummary(id: "t\(i)", type: "cron", enabled: true, cronExpression: expression(i), cronCursorJobId: k % 2 == 0 ? "w\(w)j0" : nil)
    }
    batch.append(Submission(id: .random(), command: .publishWorkflow(PublishRequest(
        workflowId: "w\(w)", projectId: "p", deleted: false, jobIds: ["w\(w)j0"], triggers: summaries,
        content: Array("w\(w)".utf8), document: { _ in Array("{}".utf8) }))))
    if batch.count == 1_000 {
        _ = try log.append(batch)
        batch.removeAll()
    }
}
_ = try log.append(batch)
let projections = try Projections(log: log)
let scheduler = Scheduler(log: log, projections: projections)
let base = ISO8601DateFormatter().date(from: "2026-01-05T00:05:00Z")!
// Warm-up: the first tick ever looks at every trigger once and moves the index past it.
_ = try scheduler.tick(at: base)
var start = now()
let tick = try scheduler.tick(at: base.addingTimeInterval(300))
let tickSeconds = now() - start
let created = tick.created.count

// Fire times: the expressions of the first 1,000 triggers, FIRES/1000 each.
let distinct = 1_000
var schedules: [CronSchedule] = []
var lines: [String] = []
for i in 0..<distinct {
    schedules.append(try CronSchedule(expression(i)))
    lines.append(expression(i))
}
try lines.joined(separator: "\n").write(toFile: arguments[2], atomically: true, encoding: .utf8)
let perExpression = fires / distinct
start = now()
var checksum: Int64 = 0
let from = Int64(base.timeIntervalSince1970)
for schedule in schedules {
    var t = from
    for _ in 0..<perExpression {
        guard let next = schedule.nextSecond(after: t) else { break }
        t = next
        checksum &+= next
    }
}
let fireSeconds = now() - start
print("triggers=\(triggers) due=\(created) tick_seconds=\(tickSeconds) fires=\(perExpression * distinct) fire_seconds=\(fireSeconds) checksum=\(checksum)")
