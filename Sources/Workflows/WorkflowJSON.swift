public import JSON
import Cron

/// Reads a workflow from the JSON of `cairn workflow publish` (field names of
/// docs/semantics.md) and writes the canonical JSON snapshots are stored as.
public enum WorkflowJSON {
    /// Decodes a workflow; every problem is reported with its path.
    public static func decode(_ value: JSONValue) throws(WorkflowErrors) -> Workflow {
        var r = Reader()
        let workflow = r.workflow(value)
        if !r.problems.isEmpty { throw WorkflowErrors(problems: r.problems) }
        return workflow!
    }

    public static func decode(_ bytes: [UInt8]) throws(WorkflowErrors) -> Workflow {
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch {
            throw WorkflowErrors(problems: [WorkflowProblem(path: "$", message: error.description)])
        }
        return try decode(value)
    }

    /// The workflow as JSON, keys sorted, all fields present (null when unset).
    public static func encode(_ w: Workflow, includeLockVersion: Bool = true) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("id", .string(w.id)), ("project_id", .string(w.projectId)), ("name", .string(w.name)),
            ("deleted_at", w.deletedAt.map(JSONValue.string) ?? .null),
            ("concurrency", w.concurrency.map { .number($0) } ?? .null),
            ("enable_job_logs", .bool(w.enableJobLogs)),
            ("jobs", .array(w.jobs.map(encode))),
            ("triggers", .array(w.triggers.map(encode))),
            ("edges", .array(w.edges.map(encode))),
            ("positions", w.positions ?? .null),
        ]
        if includeLockVersion { members.append(("lock_version", .number(w.lockVersion))) }
        return .object(members)
    }

    static func encode(_ j: Job) -> JSONValue {
        .object([
            ("id", .string(j.id)), ("name", .string(j.name)), ("body", .string(j.body)),
            ("adaptor", j.adaptor.map(JSONValue.string) ?? .null),
            ("project_credential_id", j.projectCredentialId.map(JSONValue.string) ?? .null),
            ("keychain_credential_id", j.keychainCredentialId.map(JSONValue.string) ?? .null),
        ])
    }

    static func encode(_ t: Trigger) -> JSONValue {
        .object([
            ("id", .string(t.id)), ("type", .string(t.type.rawValue)), ("enabled", .bool(t.enabled)),
            ("cron_expression", t.cronExpression.map(JSONValue.string) ?? .null),
            ("cron_cursor_job_id", t.cronCursorJobId.map(JSONValue.string) ?? .null),
            ("webhook_reply", t.webhookReply.map(JSONValue.string) ?? .null),
            ("kafka_configuration", t.kafkaConfiguration ?? .null),
            ("timezone", t.timezone.map(JSONValue.string) ?? .null),
            ("cron_day_match", t.cronDayMatch.map { .string($0.rawValue) } ?? .null),
        ])
    }

    static func encode(_ e: Edge) -> JSONValue {
        .object([
            ("id", .string(e.id)),
            ("source_trigger_id", e.sourceTriggerId.map(JSONValue.string) ?? .null),
            ("source_job_id", e.sourceJobId.map(JSONValue.string) ?? .null),
            ("target_job_id", .string(e.targetJobId)),
            ("condition_type", .string(e.conditionType.rawValue)),
            ("condition_expression", e.conditionExpression.map(JSONValue.string) ?? .null),
            ("condition_label", e.conditionLabel.map(JSONValue.string) ?? .null),
            ("enabled", .bool(e.enabled)),
        ])
    }

    /// Collects every problem instead of stopping at the first.
    struct Reader {
        var problems: [WorkflowProblem] = []

        mutating func fail(_ path: String, _ message: String) { problems.append(WorkflowProblem(path: path, message: message)) }

        mutating func string(_ v: JSONValue, _ key: String, _ path: String, required: Bool = false) -> String? {
            guard let field = v[key], !field.isNull else {
                if required { fail("\(path)\(key)", "is required") }
                return nil
            }
            guard let s = field.stringValue else {
                fail("\(path)\(key)", "must be a string, found \(field.kindDescription)")
                return nil
            }
            return s
        }

        mutating func bool(_ v: JSONValue, _ key: String, _ path: String, default value: Bool) -> Bool {
            guard let field = v[key], !field.isNull else { return value }
            guard let b = field.boolValue else {
                fail("\(path)\(key)", "must be true or false, found \(field.kindDescription)")
                return value
            }
            return b
        }

        mutating func array(_ v: JSONValue, _ key: String) -> [JSONValue] {
            guard let field = v[key], !field.isNull else { return [] }
            guard let items = field.arrayValue else {
                fail(key, "must be an array, found \(field.kindDescription)")
                return []
            }
            return items
        }

        mutating func workflow(_ v: JSONValue) -> Workflow? {
            guard case .object = v else {
                fail("$", "a workflow must be a JSON object")
                return nil
            }
            let id = string(v, "id", "", required: true) ?? ""
            let project = string(v, "project_id", "", required: true) ?? ""
            let name = string(v, "name", "", required: true) ?? ""
            var concurrency: Int?
            if let c = v["concurrency"], !c.isNull {
                if let n = c.int64Value, n >= 0, n <= Int64(Int32.max) { concurrency = Int(n) } else {
                    fail("concurrency", "must be a non-negative integer")
                }
            }
            var lockVersion = 0
            if let l = v["lock_version"], !l.isNull {
                if let n = l.int64Value, n >= 0, n <= Int64(UInt32.max) { lockVersion = Int(n) } else {
                    fail("lock_version", "must be a non-negative integer")
                }
            }
            // `{}` reads as none, as a document gives it back (fuzz finding 28):
            // else one workflow, published from JSON and from its document,
            // stores two snapshots.
            let positions = v["positions"].flatMap { $0.isNull || $0.objectValue?.isEmpty == true ? nil : canonicalNumbers($0) }
            if let positions, positions.objectValue == nil { fail("positions", "must be an object") }
            return Workflow(
                id: id, projectId: project, name: name, lockVersion: lockVersion,
                deletedAt: string(v, "deleted_at", ""), concurrency: concurrency,
                enableJobLogs: bool(v, "enable_job_logs", "", default: true),
                jobs: array(v, "jobs").enumerated().compactMap { job($1, "jobs[\($0)].") },
                triggers: array(v, "triggers").enumerated().compactMap { trigger($1, "triggers[\($0)].") },
                edges: array(v, "edges").enumerated().compactMap { edge($1, "edges[\($0)].") },
                positions: positions)
        }

        mutating func job(_ v: JSONValue, _ path: String) -> Job? {
            guard case .object = v else {
                fail(String(path.dropLast()), "must be an object")
                return nil
            }
            return Job(
                id: string(v, "id", path, required: true) ?? "", name: string(v, "name", path, required: true) ?? "",
                body: string(v, "body", path) ?? "", adaptor: string(v, "adaptor", path),
                projectCredentialId: string(v, "project_credential_id", path),
                keychainCredentialId: string(v, "keychain_credential_id", path))
        }

        mutating func trigger(_ v: JSONValue, _ path: String) -> Trigger? {
            guard case .object = v else {
                fail(String(path.dropLast()), "must be an object")
                return nil
            }
            let typeName = string(v, "type", path, required: true) ?? "webhook"
            let type = TriggerType(rawValue: typeName)
            if type == nil { fail("\(path)type", "must be webhook, cron or kafka, found '\(typeName)'") }
            var dayMatch: DayMatch?
            if let raw = string(v, "cron_day_match", path) {
                dayMatch = DayMatch(rawValue: raw)
                if dayMatch == nil { fail("\(path)cron_day_match", "must be any or all, found '\(raw)'") }
            }
            // Its numbers as the document gives them back, as `positions`' are.
            let kafka = v["kafka_configuration"].flatMap { $0.isNull ? nil : canonicalNumbers($0) }
            // As the document reads a trigger (WorkflowDocument.materialize),
            // so a workflow published from JSON and from its document is the
            // same snapshot: a cron trigger without an expression has the
            // default; any other kind has none (docs/semantics.md, "Entities").
            var expression = string(v, "cron_expression", path)
            if type == .cron {
                if expression == nil { expression = Trigger.defaultCronExpression }
            } else {
                expression = nil
            }
            return Trigger(
                id: string(v, "id", path, required: true) ?? "", type: type ?? .webhook,
                enabled: bool(v, "enabled", path, default: true), cronExpression: expression,
                cronCursorJobId: string(v, "cron_cursor_job_id", path), webhookReply: string(v, "webhook_reply", path),
                kafkaConfiguration: kafka, timezone: string(v, "timezone", path), cronDayMatch: dayMatch)
        }

        mutating func edge(_ v: JSONValue, _ path: String) -> Edge? {
            guard case .object = v else {
                fail(String(path.dropLast()), "must be an object")
                return nil
            }
            var condition: EdgeCondition?
            if let raw = string(v, "condition_type", path) {
                condition = EdgeCondition(rawValue: raw)
                if condition == nil {
                    fail(
                        "\(path)condition_type",
                        "must be one of \(EdgeCondition.allCases.map(\.rawValue).joined(separator: ", ")), found '\(raw)'")
                }
            }
            return Edge(
                id: string(v, "id", path, required: true) ?? "", sourceTriggerId: string(v, "source_trigger_id", path),
                sourceJobId: string(v, "source_job_id", path),
                targetJobId: string(v, "target_job_id", path, required: true) ?? "", conditionType: condition,
                conditionExpression: string(v, "condition_expression", path),
                conditionLabel: string(v, "condition_label", path), enabled: bool(v, "enabled", path, default: true))
        }
    }
}

extension WorkflowJSON {
    /// `value` with each finite number written as the double it reads as,
    /// the way a workflow document gives it back (its numbers are lib0
    /// doubles): a coordinate written `22222222222222222222` in JSON comes
    /// back from the document as `2.2222222222222222e+19`, and a workflow
    /// published from JSON and from its document would store two different
    /// snapshots of one workflow (fuzz, workflow-json crash-2c00e044).
    static func canonicalNumbers(_ value: JSONValue) -> JSONValue {
        switch value {
        case .number(let lexeme):
            guard let double = Double(lexeme), double.isFinite else { return value }
            return .number(double)
        case .array(let items): return .array(items.map(canonicalNumbers))
        case .object(let members): return .object(members.map { ($0.key, canonicalNumbers($0.value)) })
        default: return value
        }
    }
}
