public import JSON

/// Reads the worker protocol's JSON (docs/events.md, docs/cli.md) into submissions:
/// `{"event": "run:start", "id": "<uuid, optional>", "payload": {...}}`.
/// Every problem becomes an `EventLogError` naming the field.
///
/// This is where numbers from outside are bounded (docs/events.md):
/// timestamps to `Timestamp.accepted`, `mem` and `duration` to the ranges
/// below, so a unit mistake is refused here instead of being stored.
public enum WorkerProtocol {
    /// `mem`: bytes, at most 1 PiB (2^50); no step uses more.
    public static let memoryBytes: ClosedRange<Int64> = 0...(1 << 50)
    /// `duration`: milliseconds, at most 366 days.
    public static let durationMilliseconds: ClosedRange<Int64> = 0...(366 * 86_400 * 1_000)
    /// A name: `worker_name`, `error_type`, a log line's `level` and
    /// `source`. Longer is cut: a claim copies the worker's name into every
    /// run it claims, so a megabyte name and `demand` 100 wrote 100 MB. Cut,
    /// not refused: a line stored before the bound must still come back as
    /// a duplicate when sent again, and a worker whose `error_type` carries
    /// an exception's text must still be able to finish its run.
    public static let labelBytes = 1_024
    /// Prose: a log line's `message`, an `error_message`. Longer is cut
    /// (at a Unicode scalar's boundary), as a stack trace may be long.
    public static let textBytes = 1 << 20

    /// `text` cut to at most `bytes` bytes of UTF-8, at a Unicode scalar's
    /// boundary. Cutting by `Character`s does not bound the bytes: one
    /// character may carry any number of combining marks.
    public static func truncated(_ text: String, toBytes bytes: Int) -> String {
        let utf8 = text.utf8
        guard utf8.count > bytes else { return text }
        var end = utf8.index(utf8.startIndex, offsetBy: bytes)
        while end > utf8.startIndex, end.samePosition(in: text.unicodeScalars) == nil {
            end = utf8.index(before: end)
        }
        return String(text[..<end])
    }

    /// Decodes one line of an `ingest` file. Returns the event name read (for
    /// error reports) even when the rest fails, through `name`.
    /// - Parameter salt: mixed into ids derived from content (`submission`).
    public static func decodeLine(
        _ line: some Collection<UInt8>, name: inout String?, salt: String = ""
    ) throws(EventLogError) -> Submission {
        let value: JSONValue
        do {
            value = try JSONParser.parse(line)
        } catch {
            throw .badJSON(error.description)
        }
        guard case .object = value else { throw .badJSON("a line must be a JSON object") }
        guard let event = value["event"] else { throw .missingField("event") }
        guard let eventName = event.stringValue else {
            throw .wrongType(field: "event", expected: "a string", found: event.kindDescription)
        }
        name = eventName
        let payload = value["payload"] ?? .object([])
        guard case .object = payload else {
            throw .wrongType(field: "payload", expected: "an object", found: payload.kindDescription)
        }
        var id: EventID?
        if let raw = value["id"], !raw.isNull {
            guard let text = raw.stringValue else {
                throw .wrongType(field: "id", expected: "a UUID string", found: raw.kindDescription)
            }
            guard let parsed = EventID(text) else { throw .invalidValue(field: "id", reason: "'\(text)' is not a UUID") }
            id = parsed
        }
        var expected: UInt32?
        if let raw = value["expected_version"], !raw.isNull {
            guard let v = raw.int64Value, v >= 0, v <= Int64(UInt32.max) else {
                throw .wrongType(field: "expected_version", expected: "a non-negative integer", found: raw.kindDescription)
            }
            expected = UInt32(v)
        }
        return try submission(event: eventName, id: id, payload: payload, expectedVersion: expected, salt: salt)
    }

    /// A submission from an event name and its payload. Without an `id`, the
    /// id is derived from the event's content, so re-sending the same line is
    /// recognised as a duplicate. A folder's `salt` (`Store.eventIdSalt`)
    /// is mixed in, so nobody who cannot read the folder can compute the id
    /// of an event and take it first for an event of their own.
    public static func submission(
        event: String, id: EventID?, payload: JSONValue, expectedVersion: UInt32? = nil, salt: String = ""
    ) throws(EventLogError) -> Submission {
        let command = try command(event: event, payload: payload)
        let content = payload.serializedString(sortedKeys: true)
        let eventId = id ?? (salt.isEmpty ? EventID.derived("content", event, content) : EventID.derived("content", salt, event, content))
        return Submission(id: eventId, command: command, expectedVersion: expectedVersion)
    }

    public static func command(event: String, payload p: JSONValue) throws(EventLogError) -> Command {
        guard let kind = EventKind(rawValue: event) else { throw .unknownEventType(event) }
        switch kind {
        case .projectConfigured:
            let id: String
            if let given = try p.optionalString("project_id") { id = given } else { id = try p.requiredString("id") }
            var retention: Retention?
            if let raw = try p.optionalString("retention") {
                guard let parsed = Retention(rawValue: raw) else {
                    throw .invalidValue(field: "retention", reason: "must be retain_all or erase_all, found '\(raw)'")
                }
                retention = parsed
            }
            return .configureProject(projectId: id, name: try p.optionalString("name"), retention: retention)
        case .workflowPublished:
            throw .notAcceptedFromWorkers("workflow:published (use `cairn workflow publish`)")
        case .runCreated:
            var input: NewDataclip?
            if let raw = p["input"], !raw.isNull {
                guard case .object = raw else {
                    throw .wrongType(field: "input", expected: "an object", found: raw.kindDescription)
                }
                let typeName = try raw.requiredString("type", path: "input.type")
                guard let type = DataclipType(rawValue: typeName) else {
                    throw .invalidValue(
                        field: "input.type",
                        reason: "'\(typeName)' is not one of \(DataclipType.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                guard let body = raw["body"] else { throw .missingField("input.body") }
                input = NewDataclip(type: type, body: body.serialized())
            }
            var lockVersion: UInt32?
            if let v = try p.optionalInt("lock_version") {
                guard v >= 1 && v <= Int64(UInt32.max) else {
                    throw .invalidValue(field: "lock_version", reason: "must be a positive integer")
                }
                lockVersion = UInt32(v)
            }
            return .createRun(CreateRun(
                runId: try p.requiredString("run_id"), workflowId: try p.requiredString("workflow_id"),
                lockVersion: lockVersion, startingTriggerId: try p.optionalString("starting_trigger_id"),
                inputDataclipId: try p.optionalString("input_dataclip_id"), input: input,
                timestamp: try p.optionalTimestamp()))
        case .runClaimed:
            return .claimRun(
                runId: try p.requiredString("run_id"), workerName: try p.optionalLabel("worker_name"),
                timestamp: try p.optionalTimestamp())
        case .runStarted:
            return .startRun(runId: try p.requiredString("run_id"), timestamp: try p.optionalTimestamp())
        case .stepStarted:
            return .startStep(StartStep(
                runId: try p.requiredString("run_id"), stepId: try p.requiredString("step_id"),
                jobId: try p.requiredString("job_id"), inputDataclipId: try p.optionalString("input_dataclip_id"),
                timestamp: try p.optionalTimestamp()))
        case .stepCompleted:
            let reasonText = try p.requiredString("reason")
            guard let reason = StepExitReason(rawValue: reasonText) else {
                throw .invalidValue(
                    field: "reason",
                    reason: "'\(reasonText)' is not one of \(StepExitReason.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return .completeStep(CompleteStep(
                runId: try p.requiredString("run_id"), stepId: try p.requiredString("step_id"),
                jobId: try p.requiredString("job_id"), reason: reason, errorType: try p.optionalLabel("error_type"),
                errorMessage: try p.optionalText("error_message"),
                outputDataclipId: try p.optionalString("output_dataclip_id"),
                outputDataclip: try p.optionalJSONText("output_dataclip"), mem: try p.optionalMemory(),
                duration: try p.optionalInt("duration", within: WorkerProtocol.durationMilliseconds, unit: "milliseconds"),
                timestamp: try p.optionalTimestamp(), webhookResponse: try p.optionalJSONText("webhook_response")))
        case .runCompleted:
            let field = p["reason"].map { _ in "reason" } ?? "state"
            var reasonText = try p.optionalString("reason")
            if reasonText == nil { reasonText = try p.optionalString("state") }
            guard let text = reasonText else { throw .missingField("reason") }
            guard let state = RunState(reason: text) else {
                throw .invalidValue(
                    field: field, reason: "'\(text)' is not one of success, fail, crash, cancel, kill, exception, lost")
            }
            var finalState: JSONValue?
            if let raw = p["final_state"], !raw.isNull {
                if let text = raw.stringValue {
                    do { finalState = try JSONParser.parse(text) } catch {
                        throw .invalidValue(field: "final_state", reason: error.description)
                    }
                } else {
                    finalState = raw
                }
                guard case .object = finalState else {
                    throw .wrongType(field: "final_state", expected: "a JSON object", found: finalState!.kindDescription)
                }
            }
            return .completeRun(CompleteRun(
                runId: try p.requiredString("run_id"), state: state, errorType: try p.optionalLabel("error_type"),
                errorMessage: try p.optionalText("error_message"),
                finalDataclipId: try p.optionalString("final_dataclip_id"), finalState: finalState,
                timestamp: try p.optionalTimestamp()))
        case .runLogged:
            let timestamp = try p.optionalTimestamp()
            var message: String
            if let raw = p["message"], !raw.isNull {
                message = raw.stringValue ?? raw.serializedString()
            } else {
                throw .missingField("message")
            }
            message = WorkerProtocol.truncated(message, toBytes: WorkerProtocol.textBytes)
            return .log(
                RunLogged(
                    runId: try p.requiredString("run_id"), stepId: try p.optionalString("step_id"),
                    level: try p.optionalLabel("level") ?? "info", source: try p.optionalLabel("source"),
                    message: message, timestamp: timestamp ?? Timestamp(microseconds: 0)),
                timestampGiven: timestamp != nil)
        case .dataclipWiped:
            return .wipeDataclip(dataclipId: try p.requiredString("dataclip_id"), timestamp: try p.optionalTimestamp())
        case .runLost:
            return .markLost(runId: try p.requiredString("run_id"), timestamp: try p.optionalTimestamp())
        case .runCancelled:
            return .cancelRun(runId: try p.requiredString("run_id"), timestamp: try p.optionalTimestamp())
        case .scheduleTicked:
            throw .notAcceptedFromWorkers("schedule:ticked (use `cairn schedule tick`)")
        case .tokenCreated, .tokenRevoked:
            throw .notAcceptedFromWorkers("\(kind.rawValue) (use `cairn token`)")
        }
    }
}

extension JSONValue {
    func requiredString(_ key: String, path: String? = nil) throws(EventLogError) -> String {
        guard let value = self[key], !value.isNull else { throw .missingField(path ?? key) }
        guard let string = value.stringValue else {
            throw .wrongType(field: path ?? key, expected: "a string", found: value.kindDescription)
        }
        if let problem = Identifier.problem(with: string), key.hasSuffix("id") {
            throw .invalidValue(field: path ?? key, reason: problem)
        }
        return string
    }

    func optionalString(_ key: String) throws(EventLogError) -> String? {
        guard let value = self[key], !value.isNull else { return nil }
        guard let string = value.stringValue else {
            throw .wrongType(field: key, expected: "a string", found: value.kindDescription)
        }
        return string
    }

    /// A name, cut to `WorkerProtocol.labelBytes`.
    func optionalLabel(_ key: String) throws(EventLogError) -> String? {
        try optionalString(key).map { WorkerProtocol.truncated($0, toBytes: WorkerProtocol.labelBytes) }
    }

    /// Prose, cut to `WorkerProtocol.textBytes`.
    func optionalText(_ key: String) throws(EventLogError) -> String? {
        try optionalString(key).map { WorkerProtocol.truncated($0, toBytes: WorkerProtocol.textBytes) }
    }

    func optionalInt(_ key: String, path: String? = nil) throws(EventLogError) -> Int64? {
        guard let value = self[key], !value.isNull else { return nil }
        if let int = value.int64Value { return int }
        if let text = value.stringValue, let int = Int64(text) { return int }
        throw .wrongType(field: path ?? key, expected: "an integer", found: value.kindDescription)
    }

    /// `optionalInt`, refused outside `range` (named with `unit`).
    func optionalInt(
        _ key: String, path: String? = nil, within range: ClosedRange<Int64>, unit: String
    ) throws(EventLogError) -> Int64? {
        guard let int = try optionalInt(key, path: path) else { return nil }
        guard range.contains(int) else {
            throw .invalidValue(
                field: path ?? key,
                reason: "must be between \(range.lowerBound) and \(range.upperBound) \(unit), found \(int)")
        }
        return int
    }

    /// `mem`: bytes as an integer, or the worker's `{"job": n, "system": n}` (the job's figure is kept).
    func optionalMemory() throws(EventLogError) -> Int64? {
        if let object = self["mem"], case .object = object {
            return try object.optionalInt("job", path: "mem.job", within: WorkerProtocol.memoryBytes, unit: "bytes")
        }
        return try optionalInt("mem", within: WorkerProtocol.memoryBytes, unit: "bytes")
    }

    /// `timestamp`: integer microseconds since the epoch, or an ISO-8601
    /// string, within `Timestamp.accepted`.
    func optionalTimestamp(_ key: String = "timestamp") throws(EventLogError) -> Timestamp? {
        guard let value = self[key], !value.isNull else { return nil }
        let timestamp: Timestamp
        if let micros = value.int64Value {
            timestamp = Timestamp(microseconds: micros)
        } else if let text = value.stringValue {
            if let parsed = Timestamp(parsing: text) {
                timestamp = parsed
            } else if ISO8601.parse(text.trimmingCharacters(in: .whitespaces)) == .beyondRange {
                // A well-formed date too far out for 64-bit microseconds.
                throw .invalidValue(field: key, reason: "'\(text)' is outside 1900-01-01 to 2200-01-01")
            } else {
                throw .invalidValue(
                    field: key, reason: "'\(text)' is not ISO-8601 or integer microseconds since the epoch")
            }
        } else {
            throw .wrongType(field: key, expected: "microseconds or an ISO-8601 string", found: value.kindDescription)
        }
        guard Timestamp.accepted.contains(timestamp.microseconds) else {
            throw .invalidValue(
                field: key,
                reason: "\(timestamp.microseconds) µs is outside 1900-01-01 to 2200-01-01 "
                    + "(timestamps are microseconds since the epoch, not nanoseconds or milliseconds)")
        }
        return timestamp
    }

    /// A JSON body given as a string of JSON text (the worker protocol's form)
    /// or inline; returned as JSON text, validated.
    func optionalJSONText(_ key: String) throws(EventLogError) -> [UInt8]? {
        guard let value = self[key], !value.isNull else { return nil }
        if let text = value.stringValue {
            do { _ = try JSONParser.parse(text) } catch {
                throw .invalidValue(field: key, reason: error.description)
            }
            return Array(text.utf8)
        }
        return value.serialized()
    }
}
