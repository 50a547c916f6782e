// Cron expressions with time zones -> CronSchedule (a workflow's trigger
// carries both, from outside: `workflow publish`, the publish route, a
// collaborative document; `cairn cron next` takes them on the command line).
//
// The input is text, fields cut at newlines:
//   expression \n time zone \n day match (any|all) \n start (epoch seconds)
// (fixtures/cron's croniter cases become seeds in this form). A missing zone
// is UTC; the start is clamped to the timestamps Cairn accepts (1900-2200).
//
// Properties, when the schedule parses: the next fire is after the start, on
// a minute, and is a fire (`fires(atMinuteOf:)`); next and previous agree on
// the set of fire instants (the fire before next+1s is next, the fire after
// previous-1s is previous), across offset changes too.
import Cron
import Foundation
import FuzzSupport

let earliest: Int64 = -2_208_988_800, latest: Int64 = 7_258_118_400

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCron(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let fields = FuzzInput.fields([UInt8](UnsafeRawBufferPointer(start: start, count: count)), separator: 0x0A, limit: 4)
    let expression = String(decoding: fields[0], as: UTF8.self)
    let zone = fields.count > 1 && !fields[1].isEmpty ? String(decoding: fields[1], as: UTF8.self) : "UTC"
    let dayMatch: DayMatch = fields.count > 2 && fields[2].first == UInt8(ascii: "a") && fields[2].count > 1 && fields[2][1] == UInt8(ascii: "l") ? .all : .any
    var t = fields.count > 3 ? Int64(String(decoding: fields[3], as: UTF8.self).trimmingCharacters(in: .whitespaces)) ?? 0 : 1_780_000_000
    t = min(max(t, earliest), latest)

    _ = try? CronExpression(expression)
    guard let schedule = try? CronSchedule(expression, timeZone: zone, dayMatch: dayMatch) else { return 0 }
    // The expression's text reads back as the same expression.
    require((try? CronExpression(schedule.expression.description)) == schedule.expression, "'\(expression)' does not read back from its description")
    if let next = schedule.nextSecond(after: t) {
        require(schedule.canFire, "'\(expression)' says it cannot fire, yet fires at \(next)")
        require(next > t, "'\(expression)' in \(zone): next after \(t) is \(next)")
        require(next % 60 == 0, "'\(expression)' in \(zone): next after \(t) is \(next), not on a minute")
        require(schedule.fires(atMinuteOf: Date(timeIntervalSince1970: TimeInterval(next))),
                "'\(expression)' in \(zone): next after \(t) is \(next), which fires(atMinuteOf:) denies")
        let back = schedule.previousSecond(before: next + 1)
        require(back == next, "'\(expression)' in \(zone) (\(dayMatch)): next after \(t) is \(next), previous before \(next + 1) is \(String(describing: back))")
        _ = schedule.next(3, after: Date(timeIntervalSince1970: TimeInterval(next)))
    }
    if let previous = schedule.previousSecond(before: t) {
        require(previous < t, "'\(expression)' in \(zone): previous before \(t) is \(previous)")
        let forward = schedule.nextSecond(after: previous - 1)
        require(forward == previous, "'\(expression)' in \(zone) (\(dayMatch)): previous before \(t) is \(previous), next after \(previous - 1) is \(String(describing: forward))")
    }
    return 0
}

// SwiftPM's entry for this executable; see FuzzSupport/Driver.swift.
@_cdecl("fuzz_cron_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzCron)
}
