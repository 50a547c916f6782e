public import YDoc
public import Encoding
import Cron
public import JSON

/// One thing materializing changed to make a merged document a valid workflow.
public struct Repair: Sendable, Equatable, CustomStringConvertible {
    /// Where (`triggers[0].cron_cursor_job_id`, `edges[2]`, ...), in document order.
    public var path: String
    /// What was done and why.
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// The mapping between a `Workflow` and a Y.Doc in the layout of the
/// reference editor (docs/documents.md): roots `workflow` (map), `jobs`,
/// `edges`, `triggers` (arrays of maps; a job's `body` is a text),
/// `positions` and `errors` (maps). Numbers are doubles on the Yjs side.
public enum WorkflowDocument {
    // MARK: Workflow → document

    /// Writes `workflow` into `doc` (expected empty), in one transaction.
    public static func populate(_ doc: Doc, with workflow: Workflow) {
        doc.transact { txn in
            let map = doc.map("workflow")
            map.set("id", .string(workflow.id), txn)
            map.set("name", .string(workflow.name), txn)
            map.set("lock_version", .number(Double(workflow.lockVersion)), txn)
            map.set("deleted_at", workflow.deletedAt.map(YInput.string) ?? .null, txn)
            map.set("concurrency", workflow.concurrency.map { .number(Double($0)) } ?? .null, txn)
            map.set("enable_job_logs", .bool(workflow.enableJobLogs), txn)
            map.set("project_id", .string(workflow.projectId), txn)
            doc.array("jobs").append(workflow.jobs.map(jobInput), txn)
            doc.array("triggers").append(workflow.triggers.map(triggerInput), txn)
            doc.array("edges").append(workflow.edges.map(edgeInput), txn)
            let positions = doc.map("positions")
            for (key, value) in workflow.positions?.objectValue ?? [] { positions.set(key, .value(Lib0Any(json: value)), txn) }
        }
    }

    static func optional(_ s: String?) -> YInput { s.map(YInput.string) ?? .null }

    static func jobInput(_ j: Job) -> YInput {
        .map([
            ("id", .string(j.id)), ("name", .string(j.name)), ("body", .text(j.body)), ("adaptor", optional(j.adaptor)),
            ("project_credential_id", optional(j.projectCredentialId)),
            ("keychain_credential_id", optional(j.keychainCredentialId)),
        ])
    }

    static func triggerInput(_ t: Trigger) -> YInput {
        var members: [(key: String, value: YInput)] = [
            ("id", .string(t.id)), ("type", .string(t.type.rawValue)), ("enabled", .bool(t.enabled)),
            ("cron_expression", optional(t.cronExpression)), ("cron_cursor_job_id", optional(t.cronCursorJobId)),
            ("webhook_reply", optional(t.webhookReply)),
            ("kafka_configuration", t.kafkaConfiguration.map { .value(Lib0Any(json: $0)) } ?? .null),
        ]
        // Cairn's own fields appear only when set, so documents stay in the reference layout.
        if let zone = t.timezone { members.append(("timezone", .string(zone))) }
        if let match = t.cronDayMatch { members.append(("cron_day_match", .string(match.rawValue))) }
        return .map(members)
    }

    static func edgeInput(_ e: Edge) -> YInput {
        .map([
            ("id", .string(e.id)), ("source_trigger_id", optional(e.sourceTriggerId)),
            ("source_job_id", optional(e.sourceJobId)), ("target_job_id", .string(e.targetJobId)),
            ("condition_type", .string(e.conditionType.rawValue)),
            ("condition_expression", optional(e.conditionExpression)), ("condition_label", optional(e.conditionLabel)),
            ("enabled", .bool(e.enabled)),
        ])
    }

    // MARK: Document → workflow

    /// The workflow a merged document describes, repaired deterministically
    /// (every replica with the same updates gets the same result and the same
    /// repairs): duplicate ids keep the first in document order, cursors
    /// point only at jobs of a cron trigger's workflow, edges need both ends,
    /// missing fields take their defaults.
    public static func materialize(_ doc: Doc, projectId: String? = nil) -> (workflow: Workflow, repairs: [Repair]) {
        var repairs: [Repair] = []
        let w = doc.map("workflow")
        func string(_ map: YMap, _ key: String) -> String? {
            switch map.get(key) {
            case .any(.string(let s))?: return s
            case .text(let t)?: return t.string
            default: return nil
            }
        }
        // A count from the document: a whole number in `range` (the bounds
        // `WorkflowJSON` puts on the same field). Anything else, a number
        // past Int's range (1e19 trapped in `Int(_:)`, issue #17), fractional,
        // NaN or infinite, is dropped and named, so no peer's edit can stop
        // the document from materializing.
        func count(_ map: YMap, _ key: String, path: String, in range: ClosedRange<Int>) -> Int? {
            let found: Int?
            let shown: String
            switch map.get(key) {
            case nil, .any(.null)?, .any(.undefined)?: return nil
            case .any(.number(let n))?:
                found = Int(exactly: n)
                shown = "\(n)"
            case .any(.bigInt(let n))?:
                found = Int(exactly: n)
                shown = "\(n)"
            default:
                found = nil
                shown = "a value that is not a number"
            }
            if let found, range.contains(found) { return found }
            repairs.append(Repair(path: path, message: "dropped: \(shown) is not a whole number in \(range.lowerBound)...\(range.upperBound)"))
            return nil
        }
        func bool(_ map: YMap, _ key: String, default value: Bool) -> Bool {
            if case .any(.bool(let b))? = map.get(key) { return b }
            return value
        }
        func maps(_ name: String) -> [(index: Int, map: YMap)] {
            doc.array(name).values.enumerated().compactMap { index, value in
                if case .map(let m) = value { return (index, m) }
                repairs.append(Repair(path: "\(name)[\(index)]", message: "dropped: not an object"))
                return nil
            }
        }

        var workflow = Workflow(
            id: string(w, "id") ?? "", projectId: projectId ?? string(w, "project_id") ?? "",
            name: string(w, "name") ?? "",
            lockVersion: count(w, "lock_version", path: "workflow.lock_version", in: 0...Int(UInt32.max)) ?? 0,
            deletedAt: string(w, "deleted_at"),
            concurrency: count(w, "concurrency", path: "workflow.concurrency", in: 0...Int(Int32.max)),
            enableJobLogs: bool(w, "enable_job_logs", default: true))

        var seen = Set<String>()
        for (index, m) in maps("jobs") {
            let id = string(m, "id") ?? ""
            if id.isEmpty || seen.contains(id) {
                repairs.append(Repair(path: "jobs[\(index)]", message: id.isEmpty ? "dropped: no id" : "dropped: duplicate id \(id) (the first one is kept)"))
                continue
            }
            seen.insert(id)
            workflow.jobs.append(Job(
                id: id, name: string(m, "name") ?? "", body: string(m, "body") ?? "", adaptor: string(m, "adaptor"),
                projectCredentialId: string(m, "project_credential_id"),
                keychainCredentialId: string(m, "keychain_credential_id")))
        }
        let jobIds = Set(workflow.jobs.map(\.id))

        for (index, m) in maps("triggers") {
            let id = string(m, "id") ?? ""
            if id.isEmpty || seen.contains(id) {
                repairs.append(Repair(path: "triggers[\(index)]", message: id.isEmpty ? "dropped: no id" : "dropped: duplicate id \(id) (the first one is kept)"))
                continue
            }
            seen.insert(id)
            let typeName = string(m, "type") ?? "webhook"
            var type = TriggerType(rawValue: typeName) ?? .webhook
            if TriggerType(rawValue: typeName) == nil {
                repairs.append(Repair(path: "triggers[\(index)].type", message: "'\(typeName)' is not a trigger type: read as webhook"))
                type = .webhook
            }
            let kafkaValue = m.get("kafka_configuration")?.toJSON()
            if let kafkaValue { repairs += nullRepairs(kafkaValue, at: "triggers[\(index)].kafka_configuration") }
            let kafka = kafkaValue.map(Self.json).flatMap { $0.isNull ? nil : $0 }
            var trigger = Trigger(
                id: id, type: type, enabled: bool(m, "enabled", default: true),
                cronExpression: string(m, "cron_expression"), cronCursorJobId: string(m, "cron_cursor_job_id"),
                webhookReply: string(m, "webhook_reply"),
                kafkaConfiguration: kafka,
                timezone: string(m, "timezone"), cronDayMatch: string(m, "cron_day_match").flatMap(DayMatch.init(rawValue:)))
            if type == .cron {
                if trigger.cronExpression == nil {
                    trigger.cronExpression = Trigger.defaultCronExpression
                    repairs.append(Repair(path: "triggers[\(index)].cron_expression", message: "missing: defaulted to \(Trigger.defaultCronExpression)"))
                }
                if let cursor = trigger.cronCursorJobId, !jobIds.contains(cursor) {
                    trigger.cronCursorJobId = nil
                    repairs.append(Repair(path: "triggers[\(index)].cron_cursor_job_id", message: "cleared: job \(cursor) is not in the workflow"))
                }
            } else {
                if trigger.cronCursorJobId != nil {
                    trigger.cronCursorJobId = nil
                    repairs.append(Repair(path: "triggers[\(index)].cron_cursor_job_id", message: "cleared: a \(type.rawValue) trigger has no cursor"))
                }
                trigger.cronExpression = nil
            }
            workflow.triggers.append(trigger)
        }
        let triggerIds = Set(workflow.triggers.map(\.id))

        for (index, m) in maps("edges") {
            let id = string(m, "id") ?? ""
            if id.isEmpty || seen.contains(id) {
                repairs.append(Repair(path: "edges[\(index)]", message: id.isEmpty ? "dropped: no id" : "dropped: duplicate id \(id) (the first one is kept)"))
                continue
            }
            let sourceTrigger = string(m, "source_trigger_id")
            let sourceJob = string(m, "source_job_id")
            let target = string(m, "target_job_id") ?? ""
            var problem: String?
            if let t = sourceTrigger, !triggerIds.contains(t) { problem = "its source trigger \(t) is gone" }
            if let j = sourceJob, !jobIds.contains(j) { problem = "its source job \(j) is gone" }
            if sourceTrigger == nil && sourceJob == nil { problem = "it has no source" }
            if !jobIds.contains(target) { problem = "its target job \(target) is gone" }
            if let problem {
                repairs.append(Repair(path: "edges[\(index)]", message: "dropped: \(problem)"))
                continue
            }
            seen.insert(id)
            workflow.edges.append(Edge(
                id: id, sourceTriggerId: sourceTrigger, sourceJobId: sourceTrigger == nil ? sourceJob : nil,
                targetJobId: target, conditionType: string(m, "condition_type").flatMap(EdgeCondition.init(rawValue:)),
                conditionExpression: string(m, "condition_expression"), conditionLabel: string(m, "condition_label"),
                enabled: bool(m, "enabled", default: true)))
        }
        let positions = doc.map("positions").toJSON()
        if case .object(let members) = positions, !members.isEmpty {
            repairs += nullRepairs(positions, at: "positions")
            workflow.positions = Self.json(positions)
        }
        return (workflow, repairs)
    }

    /// JSON has no NaN or infinity: such a number becomes null, and is named
    /// (the first few; then how many more).
    static func nullRepairs(_ value: Lib0Any, at root: String) -> [Repair] {
        let found = UnrepresentableNumbers<Double>(in: value, at: root)
        var repairs = found.first.map { Repair(path: $0.path, message: "written as null: not a finite number") }
        if found.unlisted > 0 {
            repairs.append(Repair(path: root, message: "\(found.unlisted) more numbers written as null: not finite numbers"))
        }
        return repairs
    }

    /// A free-form value (`positions`, `kafka_configuration`) as JSON, its
    /// numbers as JSON's route writes them (`WorkflowJSON.canonicalNumbers`):
    /// a Yjs editor may write an integer as a lib0 bigint, whose digits JSON
    /// would then write as a double, and one workflow would store two snapshots.
    static func json(_ value: Lib0Any) -> JSONValue {
        WorkflowJSON.canonicalNumbers(JSONValue(lib0: value))
    }

    // MARK: Upgrades and errors

    /// Documents from before cursors existed: a cron trigger whose map has no
    /// `cron_cursor_job_id` key at all gets the target of its edge (the old
    /// behaviour), once, as a change in the document. Returns what it set.
    @discardableResult
    public static func upgradeLegacyCursors(_ doc: Doc) -> [Repair] {
        var upgrades: [Repair] = []
        let edges = doc.array("edges").values.compactMap { value -> (String, String)? in
            guard case .map(let m) = value, case .any(.string(let source))? = m.get("source_trigger_id"),
                case .any(.string(let target))? = m.get("target_job_id")
            else { return nil }
            return (source, target)
        }
        doc.transact { txn in
            for (index, value) in doc.array("triggers").values.enumerated() {
                guard case .map(let m) = value, case .any(.string("cron"))? = m.get("type"), !m.contains("cron_cursor_job_id"),
                    case .any(.string(let id))? = m.get("id")
                else { continue }
                let target = edges.first { $0.0 == id }?.1
                m.set("cron_cursor_job_id", target.map(YInput.string) ?? .null, txn)
                upgrades.append(Repair(
                    path: "triggers[\(index)].cron_cursor_job_id",
                    message: "upgraded: set to \(target ?? "null") (the job after the trigger, as before cursors existed)"))
            }
        }
        return upgrades
    }

    /// Makes the document's `errors` map hold exactly `problems` (path → message).
    public static func writeErrors(_ doc: Doc, _ problems: [WorkflowProblem]) {
        let errors = doc.map("errors")
        var wanted: [String: String] = [:]
        for p in problems { wanted[p.path] = wanted[p.path].map { $0 + "; " + p.message } ?? p.message }
        doc.transact { txn in
            for key in errors.keys where wanted[key] == nil { errors.delete(key, txn) }
            for (key, message) in wanted.sorted(by: { $0.key < $1.key }) {
                if case .any(.string(message))? = errors.get(key) { continue }
                errors.set(key, .string(message), txn)
            }
        }
    }
}

extension JSONValue {
    /// A Yjs value as JSON.
    public init(lib0 value: Lib0Any) {
        switch value {
        case .undefined, .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let n): self = n.isFinite ? .number(n) : .null  // JSON has no NaN or infinity
        case .bigInt(let i): self = .number(i)
        case .string(let s): self = .string(s)
        case .bytes(let b): self = .array(b.map { .number(Int($0)) })
        case .array(let items): self = .array(items.map(JSONValue.init(lib0:)))
        case .object(let members): self = .object(members.map { ($0.key, JSONValue(lib0: $0.value)) })
        }
    }
}

extension Lib0Any {
    /// JSON as a Yjs value (numbers become doubles, as in JavaScript).
    public init(json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let text): self = .number(Double(text) ?? 0)
        case .string(let s): self = .string(s)
        case .array(let items): self = .array(items.map(Lib0Any.init(json:)))
        case .object(let members): self = .object(members.map { ($0.key, Lib0Any(json: $0.value)) })
        }
    }
}
