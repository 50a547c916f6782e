import Cron
import JSON
import Foundation

/// One thing wrong with a workflow, at a field path (`jobs[1].name`).
public struct WorkflowProblem: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path): \(message)" }
}

/// Everything wrong with a workflow that may not be published.
public struct WorkflowErrors: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [WorkflowProblem]
    public init(problems: [WorkflowProblem]) { self.problems = problems }
    public var description: String { problems.map(\.description).joined(separator: "; ") }
}

/// The checks a workflow passes before it becomes a snapshot: ids are UUIDs
/// and unique, job names unique, every edge's endpoints exist, cron triggers
/// have an expression that parses and can fire, a valid zone, and a cursor
/// job of the same workflow; at most `maxJobs` jobs, `maxTriggers` triggers
/// and `maxEdges` edges.
public enum WorkflowValidator {
    /// Far beyond any real workflow (the reference platform's have tens of
    /// jobs). What reads a workflow whole grows with their products: the
    /// page's graph layout (jobs × edges), its cron input choices (triggers
    /// × jobs). With no bound, one 1 MB publish of 4,000 jobs and 1,000
    /// triggers made a page view take 27 s and 1.7 GB.
    public static let maxJobs = 1_000
    public static let maxTriggers = 100
    public static let maxEdges = 2_000

    /// - Parameter published: the workflow's latest published version, asked
    ///   at most once, and only when a check a workflow published before it
    ///   may have failed fails: such a workflow may keep what it had (be
    ///   changed, disabled, deleted), not grow. Over a cap, it may keep as
    ///   many as it had; a value holding numbers no double holds, it may
    ///   keep unchanged (as a snapshot stores it: keys in any order, numbers
    ///   as written). Deleting is no exception: a deleted version over
    ///   the caps, published again undeleted, would otherwise grow it.
    public static func problems(in w: Workflow, published: () -> Workflow? = { nil }) -> [WorkflowProblem] {
        var problems: [WorkflowProblem] = []
        func fail(_ path: String, _ message: String) { problems.append(WorkflowProblem(path: path, message: message)) }
        var asked: Workflow??
        func publishedVersion() -> Workflow? {
            if let asked { return asked }
            let version = published()
            asked = .some(version)
            return version
        }
        // A workflow's document holds numbers as doubles and would write
        // these as null (a repair): refused here, named, as the document's
        // repair names them.
        func refuseNumbersNoDoubleHolds(in value: JSONValue?, at root: String, had: () -> JSONValue?) {
            guard let value else { return }
            let found = UnrepresentableNumbers<String>(in: value, at: root)
            // As stored: a snapshot's keys are sorted and its numbers kept as written.
            guard found.count > 0, had().map({ $0.serialized(sortedKeys: true) }) != value.serialized(sortedKeys: true) else { return }
            for (path, lexeme) in found.first {
                let shown = lexeme.count > 40 ? lexeme.prefix(40) + "…" : Substring(lexeme)
                fail(path, "\(shown) is not a finite number (it is beyond a double's range)")
            }
            if found.unlisted > 0 { fail(root, "holds \(found.unlisted) more numbers beyond a double's range") }
        }
        // What a snapshot's readers would refuse (`SnapshotNesting`). A value
        // published before this check may stay, unchanged, as such numbers may.
        func refuseNesting(_ value: JSONValue?, at path: String, limit: Int, had: () -> JSONValue?) {
            guard let value, SnapshotNesting.levels(value, limit: limit) > limit,
                had().map({ $0.serialized(sortedKeys: true) }) != value.serialized(sortedKeys: true)
            else { return }
            fail(path, "nests objects and arrays more than \(limit) levels deep: its snapshot could not be read back")
        }
        func uuid(_ id: String, _ path: String) {
            if UUID(uuidString: id) == nil { fail(path, "'\(id)' is not a UUID") }
        }

        uuid(w.id, "id")
        let caps: [(path: String, count: KeyPath<Workflow, Int>, limit: Int)] = [
            ("jobs", \.jobs.count, maxJobs), ("triggers", \.triggers.count, maxTriggers), ("edges", \.edges.count, maxEdges),
        ]
        let over = caps.filter { w[keyPath: $0.count] > $0.limit }
        if !over.isEmpty {
            let before = publishedVersion()
            for (path, count, limit) in over where w[keyPath: count] > before?[keyPath: count] ?? 0 {
                fail(path, "has \(w[keyPath: count]); a workflow may have at most \(limit)")
            }
        }
        if w.projectId.isEmpty { fail("project_id", "is required (a document's first publish needs --project)") }
        if w.name.trimmingCharacters(in: .whitespaces).isEmpty { fail("name", "must not be empty") }

        var ids: [String: String] = [:]
        func unique(_ id: String, _ path: String) {
            if let first = ids[id] { fail(path, "id \(id) is already used by \(first)") } else { ids[id] = path }
        }
        var names: [String: Int] = [:]
        for (i, job) in w.jobs.enumerated() {
            uuid(job.id, "jobs[\(i)].id")
            unique(job.id, "jobs[\(i)]")
            let name = job.name.trimmingCharacters(in: .whitespaces)
            if name.isEmpty { fail("jobs[\(i)].name", "must not be empty") }
            if let first = names[name.lowercased()] {
                fail("jobs[\(i)].name", "'\(job.name)' is already the name of jobs[\(first)]")
            } else {
                names[name.lowercased()] = i
            }
        }
        let jobIds = Set(w.jobs.map(\.id))
        for (i, trigger) in w.triggers.enumerated() {
            uuid(trigger.id, "triggers[\(i)].id")
            unique(trigger.id, "triggers[\(i)]")
            refuseNumbersNoDoubleHolds(in: trigger.kafkaConfiguration, at: "triggers[\(i)].kafka_configuration") {
                publishedVersion()?.triggers.first { $0.id == trigger.id }?.kafkaConfiguration
            }
            refuseNesting(
                trigger.kafkaConfiguration, at: "triggers[\(i)].kafka_configuration",
                limit: SnapshotNesting.kafkaConfigurationLimit
            ) { publishedVersion()?.triggers.first { $0.id == trigger.id }?.kafkaConfiguration }
            guard trigger.type == .cron else {
                if trigger.cronCursorJobId != nil {
                    fail("triggers[\(i)].cron_cursor_job_id", "only cron triggers have a cursor")
                }
                continue
            }
            let expression = trigger.cronExpression ?? Trigger.defaultCronExpression
            let zone = trigger.timezone ?? "UTC"
            do {
                let schedule = try CronSchedule(expression, timeZone: zone, dayMatch: trigger.cronDayMatch ?? .any)
                if !schedule.canFire {
                    fail("triggers[\(i)].cron_expression", CronError.neverFires(expression: expression).description)
                }
            } catch CronError.unknownTimeZone(let name) {
                fail("triggers[\(i)].timezone", CronError.unknownTimeZone(name).description)
            } catch {
                fail("triggers[\(i)].cron_expression", "\(error)")
            }
            if let cursor = trigger.cronCursorJobId, !jobIds.contains(cursor) {
                fail("triggers[\(i)].cron_cursor_job_id", "job \(cursor) is not in this workflow")
            }
        }
        let triggerIds = Set(w.triggers.map(\.id))
        for (i, edge) in w.edges.enumerated() {
            uuid(edge.id, "edges[\(i)].id")
            unique(edge.id, "edges[\(i)]")
            switch (edge.sourceTriggerId, edge.sourceJobId) {
            case (nil, nil): fail("edges[\(i)]", "needs a source_trigger_id or a source_job_id")
            case (.some, .some): fail("edges[\(i)]", "has both a source_trigger_id and a source_job_id")
            case (let t?, nil) where !triggerIds.contains(t):
                fail("edges[\(i)].source_trigger_id", "trigger \(t) is not in this workflow")
            case (nil, let j?) where !jobIds.contains(j):
                fail("edges[\(i)].source_job_id", "job \(j) is not in this workflow")
            default: break
            }
            if !jobIds.contains(edge.targetJobId) {
                fail("edges[\(i)].target_job_id", "job \(edge.targetJobId) is not in this workflow")
            }
            if edge.sourceJobId != nil && edge.sourceJobId == edge.targetJobId {
                fail("edges[\(i)]", "a job cannot be its own target")
            }
        }
        refuseNumbersNoDoubleHolds(in: w.positions, at: "positions") { publishedVersion()?.positions }
        refuseNesting(w.positions, at: "positions", limit: SnapshotNesting.positionsLimit) { publishedVersion()?.positions }
        return problems
    }

    public static func validate(_ w: Workflow, published: () -> Workflow? = { nil }) throws(WorkflowErrors) {
        let found = problems(in: w, published: published)
        if !found.isEmpty { throw WorkflowErrors(problems: found) }
    }
}
