import Encoding
import JSON
import LMDB

/// Appends submissions inside one write transaction: for each, checks the
/// rules of docs/semantics.md and docs/events.md against what the log (including earlier
/// submissions of the batch) already holds, then writes the event and what
/// it introduces, and hands its index entries to the index behind the log
/// (`LogIndex`). A rejected submission writes nothing, because every check
/// runs before the first write.
struct BatchWriter {
    let store: EventStore
    let txn: WriteTransaction
    let recordedAt: Timestamp
    var nextSequence: UInt64
    /// What index lookups read: LMDB up to the checkpoint, the overlay up to
    /// the last event this batch wrote.
    var view: LogIndex.View
    /// This batch's view over the write cache; merged into it after commit.
    var overlay = WriteCache.Overlay()

    init(store: EventStore, txn: WriteTransaction, recordedAt: Timestamp) throws {
        self.store = store
        self.txn = txn
        self.recordedAt = recordedAt
        view = try store.index.beginWrite(txn)
        store.cache.validate(head: view.head)
        nextSequence = view.head + 1
    }

    /// Hands the overlay to the cache once the transaction commits; the
    /// log's head once it has.
    func finish() -> UInt64 {
        let overlay = self.overlay
        let cache = store.cache
        let head = nextSequence - 1
        txn.afterCommit { cache.merge(overlay, head: head) }
        return head
    }

    // MARK: Cached reads (overlay, then cache, then LMDB)

    mutating func run(_ id: String) throws -> RunAggregate? {
        if let run = overlay.runs[id] ?? store.cache.runs[id] { return run }
        guard let run = try store.loadRun(id, txn, view) else { return nil }
        overlay.runs[id] = run
        return run
    }

    mutating func snapshot(_ workflowId: String, lockVersion: UInt32?) throws -> StoredSnapshot? {
        let version: UInt32
        if let lockVersion {
            version = lockVersion
        } else if let latest = overlay.latestSnapshot[workflowId] ?? store.cache.latestSnapshot[workflowId] {
            version = latest
        } else {
            guard let latest = try store.loadSnapshot(workflowId, lockVersion: nil, txn) else { return nil }
            let key = WriteCache.SnapshotKey(workflowId: workflowId, lockVersion: latest.lockVersion)
            overlay.snapshots[key] = latest
            overlay.latestSnapshot[workflowId] = latest.lockVersion
            return latest
        }
        let key = WriteCache.SnapshotKey(workflowId: workflowId, lockVersion: version)
        if let cached = overlay.snapshots[key] ?? store.cache.snapshots[key] { return cached }
        guard let loaded = try store.loadSnapshot(workflowId, lockVersion: version, txn) else { return nil }
        overlay.snapshots[key] = loaded
        return loaded
    }

    mutating func project(_ id: String) throws -> ProjectConfigured? {
        if let cached = overlay.projects[id] ?? store.cache.projects[id] { return cached }
        let loaded = try store.loadProject(id, txn, view)
        overlay.projects[id] = .some(loaded)
        return loaded
    }

    /// Keeps the overlay in step with an event just written.
    mutating func remember(_ recorded: RecordedEvent, snapshot: StoredSnapshot?) {
        switch recorded.event {
        case .runCreated(let e):
            overlay.runs[e.runId] = RunAggregate(recorded)
        case .runClaimed(let e): advance(e.runId, recorded)
        case .runStarted(let e): advance(e.runId, recorded)
        case .stepStarted(let e): advance(e.runId, recorded)
        case .stepCompleted(let e): advance(e.runId, recorded)
        case .runCompleted(let e): advance(e.runId, recorded)
        case .runLost(let e): advance(e.runId, recorded)
        case .runCancelled(let e): advance(e.runId, recorded)
        case .projectConfigured(let e): overlay.projects[e.projectId] = .some(e)
        case .workflowPublished(let e):
            if let snapshot {
                overlay.snapshots[WriteCache.SnapshotKey(workflowId: e.workflowId, lockVersion: e.lockVersion)] = snapshot
            }
            overlay.latestSnapshot[e.workflowId] = e.lockVersion
        case .runLogged(let e): advance(e.runId, recorded)
        case .dataclipWiped, .scheduleTicked, .tokenCreated, .tokenRevoked: break
        }
    }

    private mutating func advance(_ runId: String, _ recorded: RecordedEvent) {
        guard var run = overlay.runs[runId] ?? store.cache.runs[runId] else { return }
        run.apply(recorded)
        overlay.runs[runId] = run
    }

    /// What an accepted command writes besides the event itself.
    struct Decision {
        var event: Event
        /// A dataclip the event creates (kept under its sequence).
        var created: Dataclip?
        /// A dataclip the event changes where it is kept (a wipe).
        var rewritten: Dataclip?
        /// Where `rewritten` is kept.
        var rewrittenPlace: EventStore.DataclipPlace = .legacy
        var snapshot: StoredSnapshot?
        var stepOwner: (stepId: String, runId: String)?
        /// A publish: ids no workflow owned yet, which become its own.
        var claims: [String] = []
        /// A token made or revoked: its record as the `tokens` table keeps it.
        var token: StoredToken?
    }

    mutating func append(_ submission: Submission) throws -> AppendOutcome {
        if let existing = try store.index.sequence(ofEvent: submission.id, txn, view) {
            // A duplicate only of an event of the same run: ids are global
            // keys, and one another run's event already holds (another
            // project's worker chose it, or derived it from a guess) must
            // not make this event answered as recorded when it is not.
            if let runId = submission.command.runId,
                try store.event(at: existing, txn).runId?.string != runId
            {
                return .rejected(.idOfAnotherRun(submission.id.description))
            }
            return .duplicate(sequence: existing)
        }
        let decision: Decision
        do {
            switch try decide(submission) {
            case .unchanged(let lockVersion): return .unchanged(lockVersion: lockVersion)
            case .accepted(let d): decision = d
            }
        } catch let error as EventLogError {
            return .rejected(error)
        }
        let stream = decision.event.stream
        let version: UInt32
        if let runId = decision.event.runId, let run = try run(runId) {
            version = run.version
        } else {
            version = try store.streamVersion(stream, txn, view)
        }
        if let expected = submission.expectedVersion, expected != version {
            return .rejected(.versionConflict(stream: stream, expected: expected, actual: version))
        }

        let sequence = nextSequence
        let recorded = RecordedEvent(
            id: submission.id, sequence: sequence, streamVersion: version + 1,
            recordedAt: recordedAt, event: decision.event)
        let key = sequence.bigEndianBytes
        try txn.put(store.events, key: key, value: EventCodec.encode(recorded), flags: .append)
        if let dataclip = decision.created {
            try txn.put(store.index.records, key: key, value: dataclip.record(), flags: .append)
        }
        if let dataclip = decision.rewritten {
            switch decision.rewrittenPlace {
            case .record(let at):
                try txn.put(store.index.records, key: at.bigEndianBytes, value: dataclip.record())
            case .legacy:
                try txn.put(store.index.legacyDataclips, key: Array(dataclip.id.utf8), value: dataclip.encoded())
            }
        }
        if let snapshot = decision.snapshot {
            try txn.put(
                store.snapshots,
                key: StoredSnapshot.key(workflowId: snapshot.summary.workflowId, lockVersion: snapshot.lockVersion),
                value: snapshot.encoded(), flags: .noOverwrite)
        }
        if case .workflowPublished(let published) = decision.event {
            try store.idOwners.recordPublish(of: published.workflowId, claims: decision.claims, txn)
        }
        if let token = decision.token {
            try txn.put(store.tokens, key: Array(token.id.utf8), value: token.encoded())
            try txn.put(store.tokenHashes, key: token.secretHash, value: Array(token.id.utf8))
        }
        store.index.add(
            sequence: sequence, eventId: submission.id, stream: stream, stepId: decision.stepOwner?.stepId,
            dataclipId: decision.created?.id)
        view.head = sequence
        nextSequence += 1
        remember(recorded, snapshot: decision.snapshot)
        return .appended(sequence: sequence)
    }

    enum Verdict {
        case accepted(Decision)
        case unchanged(UInt32)
    }

    // MARK: The rules

    mutating func decide(_ submission: Submission) throws -> Verdict {
        let eventName = submission.command.eventName
        func time(_ given: Timestamp?) -> Timestamp { given ?? recordedAt }

        switch submission.command {
        case let .configureProject(projectId, name, retention):
            try checkId(projectId, field: "id")
            let previous = try project(projectId)
            return .accepted(Decision(event: .projectConfigured(ProjectConfigured(
                projectId: projectId, name: name ?? previous?.name,
                retention: retention ?? previous?.retention ?? .retainAll))))

        case .publishWorkflow(let request):
            try checkId(request.workflowId, field: "id")
            try checkId(request.projectId, field: "project_id")
            for job in request.jobIds { try checkId(job, field: "jobs.id") }
            for trigger in request.triggers { try checkId(trigger.id, field: "triggers.id") }
            for edge in request.edgeIds { try checkId(edge, field: "edges.id") }
            // Before the unchanged check: a workflow that shares an id with
            // an earlier one (a folder written before ids were owned) hears
            // about it at every publish, not only at its next change.
            let claims = try unownedIds(of: request)
            let hash = StoredSnapshot.hash(request.content)
            let latest = try snapshot(request.workflowId, lockVersion: nil)
            if let check = request.accessCheck {
                let reason: String?
                do {
                    reason = try check(latest?.summary.projectId, txn)
                } catch let error as LMDBError {
                    throw error
                } catch {
                    // A record the check could not read refuses this publish, not the batch's others.
                    throw EventLogError.storage("\(error)")
                }
                if let reason { throw EventLogError.workflowOfAnotherProject(request.workflowId, reason: reason) }
            }
            if let basedOn = request.basedOn, basedOn != latest?.lockVersion ?? 0 {
                throw EventLogError.versionConflict(
                    stream: "workflow:\(request.workflowId)", expected: basedOn, actual: latest?.lockVersion ?? 0)
            }
            if let latest {
                if latest.contentHash == hash { return .unchanged(latest.lockVersion) }
                if latest.summary.projectId != request.projectId {
                    throw EventLogError.invalidValue(
                        field: "project_id",
                        reason: "workflow \(request.workflowId) belongs to project \(latest.summary.projectId)")
                }
            }
            let lockVersion = (latest?.lockVersion ?? 0) + 1
            let published = WorkflowPublished(
                workflowId: request.workflowId, projectId: request.projectId, lockVersion: lockVersion,
                deleted: request.deleted, jobIds: request.jobIds, triggers: request.triggers,
                document: request.document(lockVersion), timestamp: recordedAt, actor: request.actor)
            return .accepted(Decision(
                event: .workflowPublished(published), snapshot: StoredSnapshot(summary: published.withoutActor, contentHash: hash),
                claims: claims))

        case .createRun(let c):
            try checkId(c.runId, field: "run_id")
            try checkId(c.workflowId, field: "workflow_id")
            if try run(c.runId) != nil { throw EventLogError.runExists(c.runId) }
            guard let latest = try snapshot(c.workflowId, lockVersion: nil) else {
                throw EventLogError.unknownWorkflow(c.workflowId)
            }
            if latest.summary.deleted { throw EventLogError.workflowDeleted(c.workflowId) }
            var runsAgainst = latest
            if let wanted = c.lockVersion, wanted != latest.lockVersion {
                guard let older = try snapshot(c.workflowId, lockVersion: wanted) else {
                    throw EventLogError.unknownSnapshot(workflowId: c.workflowId, lockVersion: wanted)
                }
                runsAgainst = older
            }
            let projectId = runsAgainst.summary.projectId
            if let trigger = c.startingTriggerId, !runsAgainst.summary.triggers.contains(where: { $0.id == trigger }) {
                throw EventLogError.unknownTrigger(trigger, workflowId: c.workflowId, lockVersion: runsAgainst.lockVersion)
            }
            let timestamp = time(c.timestamp)
            let inputId: String
            var newInput: Dataclip?
            if let input = c.input {
                inputId = c.inputDataclipId ?? EventID.derived(submission.id.description, "input").description
                if let id = c.inputDataclipId { try checkId(id, field: "input_dataclip_id") }
                if let existing = try store.loadDataclip(inputId, txn, view) {
                    guard existing.projectId == projectId else {
                        throw EventLogError.dataclipOfAnotherProject(field: "input_dataclip_id", id: inputId)
                    }
                } else {
                    newInput = (
                        try newDataclip(inputId, projectId: projectId, type: input.type, body: input.body, at: timestamp))
                }
            } else if let id = c.inputDataclipId {
                try requireDataclip(id, field: "input_dataclip_id", projectId: projectId)
                inputId = id
            } else {
                throw EventLogError.missingField("input_dataclip_id")
            }
            return .accepted(Decision(
                event: .runCreated(RunCreated(
                    runId: c.runId, workflowId: c.workflowId, projectId: projectId,
                    lockVersion: runsAgainst.lockVersion, startingTriggerId: c.startingTriggerId,
                    inputDataclipId: inputId, createdInput: newInput != nil, scheduledFor: c.scheduledFor,
                    timestamp: timestamp)),
                created: newInput))

        case let .claimRun(runId, workerName, timestamp):
            let run = try requireRun(runId)
            try requireTransition(run, to: .claimed, eventName)
            return .accepted(Decision(event: .runClaimed(RunClaimed(
                runId: runId, workerName: workerName, timestamp: time(timestamp)))))

        case let .startRun(runId, timestamp):
            let run = try requireRun(runId)
            try requireTransition(run, to: .started, eventName)
            return .accepted(Decision(event: .runStarted(RunStarted(runId: runId, timestamp: time(timestamp)))))

        case .startStep(let c):
            let run = try requireRun(c.runId)
            guard run.state == .started else {
                throw EventLogError.illegalTransition(runId: run.runId, from: run.state, event: eventName)
            }
            try checkId(c.stepId, field: "step_id")
            try checkId(c.jobId, field: "job_id")
            if run.step(c.stepId) != nil { throw EventLogError.stepExists(c.stepId) }
            if run.steps.count >= RunLimits.maxSteps {
                throw EventLogError.invalidValue(
                    field: "step_id",
                    reason: "run \(run.runId) has \(run.steps.count) steps; a run may have at most \(RunLimits.maxSteps)")
            }
            if let owner = try store.index.runId(ofStep: c.stepId, txn, view) {
                throw EventLogError.stepOfAnotherRun(stepId: c.stepId, runId: owner)
            }
            try requireJob(c.jobId, in: run)
            if let input = c.inputDataclipId {
                try requireDataclip(input, field: "input_dataclip_id", projectId: run.projectId)
            }
            return .accepted(Decision(
                event: .stepStarted(StepStarted(
                    runId: c.runId, stepId: c.stepId, jobId: c.jobId, inputDataclipId: c.inputDataclipId,
                    timestamp: time(c.timestamp))),
                stepOwner: (c.stepId, c.runId)))

        case .completeStep(let c):
            let run = try requireRun(c.runId)
            guard run.state == .started else {
                throw EventLogError.illegalTransition(runId: run.runId, from: run.state, event: eventName)
            }
            guard let step = run.step(c.stepId) else {
                if let owner = try store.index.runId(ofStep: c.stepId, txn, view) {
                    throw EventLogError.stepOfAnotherRun(stepId: c.stepId, runId: owner)
                }
                throw EventLogError.stepNotStarted(c.stepId)
            }
            if step.isComplete { throw EventLogError.stepAlreadyCompleted(c.stepId) }
            if step.jobId != c.jobId {
                throw EventLogError.stepJobMismatch(stepId: c.stepId, started: step.jobId, given: c.jobId)
            }
            let timestamp = time(c.timestamp)
            var errorMessage = c.errorMessage
            if let message = errorMessage {
                let room = max(RunLimits.stepErrorTextBytes - run.stepErrorTextBytes, 0)
                if message.utf8.count > room { errorMessage = WorkerProtocol.truncated(message, toBytes: room) }
            }
            var decision = Decision(event: .stepCompleted(StepCompleted(
                runId: c.runId, stepId: c.stepId, jobId: c.jobId, reason: c.reason, errorType: c.errorType,
                errorMessage: errorMessage, outputDataclipId: c.outputDataclipId, outputWiped: false, mem: c.mem,
                duration: c.duration, timestamp: timestamp, webhookResponse: c.webhookResponse)))
            switch (c.outputDataclipId, c.outputDataclip) {
            case (nil, nil): break
            case (nil, _): throw EventLogError.outputPairIncomplete(missing: "output_dataclip_id")
            case (_, nil): throw EventLogError.outputPairIncomplete(missing: "output_dataclip")
            case let (id?, body?):
                try checkId(id, field: "output_dataclip_id")
                let output: Dataclip
                if let existing = try store.loadDataclip(id, txn, view) {
                    guard existing.projectId == run.projectId else {
                        throw EventLogError.dataclipOfAnotherProject(field: "output_dataclip_id", id: id)
                    }
                    output = existing
                } else {
                    output = try newDataclip(id, projectId: run.projectId, type: .stepResult, body: body, at: timestamp)
                    decision.created = output
                }
                if case .stepCompleted(var event) = decision.event {
                    event.outputWiped = output.wipedAt != nil
                    event.outputFromThisRun = try isFrom(output, run: c.runId)
                    decision.event = .stepCompleted(event)
                }
            }
            return .accepted(decision)

        case .completeRun(let c):
            let run = try requireRun(c.runId)
            guard c.state.isFinal else {
                throw EventLogError.invalidValue(field: "reason", reason: "'\(c.state.rawValue)' is not a final state")
            }
            // A worker reports completion of a run it started; the other ways a
            // run ends (lost, cancelled before a claim) are events of their own.
            guard run.state == .started else {
                throw EventLogError.illegalTransition(runId: run.runId, from: run.state, event: eventName)
            }
            let timestamp = time(c.timestamp)
            var finalId: String?
            var created = false
            var wiped = false
            var fromThisRun = false
            var finalClip: Dataclip?
            if let id = c.finalDataclipId {
                // Single-leaf workflows: reuse the leaf's output, no copy. It wins over final_state.
                let final = try requireDataclip(id, field: "final_dataclip_id", projectId: run.projectId)
                wiped = final.wipedAt != nil
                fromThisRun = try isFrom(final, run: c.runId)
                finalId = id
            } else if let state = c.finalState {
                let id = EventID.derived(submission.id.description, "final_state").description
                // The id follows from the event's, which a worker may choose:
                // a dataclip already under it (named so by a worker, of any
                // project) must not be shadowed by a second record.
                if try store.loadDataclip(id, txn, view) != nil {
                    throw EventLogError.dataclipExists(field: "final_state", id: id)
                }
                let dataclip = try newDataclip(
                    id, projectId: run.projectId, type: .stepResult, body: state.serialized(), at: timestamp)
                finalClip = dataclip
                wiped = dataclip.wipedAt != nil
                finalId = id
                created = true
                fromThisRun = true
            }
            return .accepted(Decision(
                event: .runCompleted(RunCompleted(
                    runId: c.runId, state: c.state, errorType: c.errorType, errorMessage: c.errorMessage,
                    finalDataclipId: finalId, createdFinalDataclip: created, finalWiped: wiped,
                    finalFromThisRun: fromThisRun, timestamp: timestamp)),
                created: finalClip))

        case .log(var entry, let timestampGiven):
            if !timestampGiven { entry.timestamp = recordedAt }
            let run = try requireRun(entry.runId)
            if let step = entry.stepId, run.step(step) == nil {
                throw EventLogError.stepNotStarted(step)
            }
            return .accepted(Decision(event: .runLogged(entry)))

        case let .wipeDataclip(id, timestamp):
            guard let place = try store.dataclipPlace(id, txn, view) else {
                throw EventLogError.dataclipNotFound(field: "dataclip_id", id: id)
            }
            var dataclip = try store.loadDataclip(id, at: place, txn)
            if dataclip.wipedAt != nil { throw EventLogError.dataclipAlreadyWiped(id) }
            let at = time(timestamp)
            dataclip.wipedAt = at
            dataclip.body = nil
            return .accepted(Decision(
                event: .dataclipWiped(DataclipWiped(dataclipId: id, timestamp: at)), rewritten: dataclip, rewrittenPlace: place))

        case let .markLost(runId, timestamp):
            let run = try requireRun(runId)
            try requireTransition(run, to: .lost, eventName)
            return .accepted(Decision(event: .runLost(RunLost(runId: runId, timestamp: time(timestamp)))))

        case .tick(let minute):
            return .accepted(Decision(event: .scheduleTicked(ScheduleTicked(minute: minute))))

        case .createToken(let c):
            try checkId(c.tokenId, field: "id")
            try checkId(c.projectId, field: "project")
            guard c.secretHash.count == 32 else {
                throw EventLogError.invalidValue(field: "secret", reason: "the hash must be 32 bytes (SHA-256)")
            }
            if try store.loadToken(c.tokenId, txn) != nil {
                throw EventLogError.invalidValue(field: "id", reason: "token \(c.tokenId) already exists")
            }
            if try txn.get(store.tokenHashes, key: c.secretHash) != nil {
                throw EventLogError.invalidValue(field: "secret", reason: "another token has this secret")
            }
            let created = TokenCreated(
                tokenId: c.tokenId, projectId: c.projectId, role: c.role, name: c.name, secretHash: c.secretHash,
                expiresAt: c.expiresAt, actor: c.actor, timestamp: recordedAt)
            return .accepted(Decision(event: .tokenCreated(created), token: StoredToken(created)))

        case let .revokeToken(tokenId, actor):
            guard var token = try store.loadToken(tokenId, txn) else {
                throw EventLogError.invalidValue(field: "id", reason: "no token \(tokenId)")
            }
            if let at = token.revokedAt {
                throw EventLogError.invalidValue(field: "id", reason: "token \(tokenId) was already revoked at \(at.iso8601)")
            }
            token.revokedAt = recordedAt
            return .accepted(Decision(
                event: .tokenRevoked(TokenRevoked(tokenId: tokenId, projectId: token.projectId, actor: actor, timestamp: recordedAt)),
                token: token))

        case let .cancelRun(runId, timestamp):
            let run = try requireRun(runId)
            // Cancelling before a worker claims it; a started run is cancelled by its worker (run:complete).
            guard run.state == .available else {
                throw EventLogError.illegalTransition(runId: run.runId, from: run.state, event: eventName)
            }
            return .accepted(Decision(event: .runCancelled(RunCancelled(runId: runId, timestamp: time(timestamp)))))
        }
    }

    // MARK: Checks

    func checkId(_ id: String, field: String) throws {
        if let problem = Identifier.problem(with: id) { throw EventLogError.invalidValue(field: field, reason: problem) }
    }

    /// The ids of `request` no workflow owns yet; throws at the first one
    /// another workflow owns (docs/architecture.md, "Ids belong to one
    /// workflow"). The owner is named only within its own project: the
    /// publisher of another project learns no more than that the id is taken.
    mutating func unownedIds(of request: PublishRequest) throws -> [String] {
        var unowned: [String] = []
        let ids = IdOwners.ids(
            jobIds: request.jobIds, triggerIds: request.triggers.map(\.id), edgeIds: request.edgeIds)
        for owned in ids {
            guard let owner = try store.idOwners.owner(of: owned.id, txn) else {
                unowned.append(owned.id)
                continue
            }
            if owner == request.workflowId { continue }
            let sameProject = try snapshot(owner, lockVersion: nil)?.summary.projectId == request.projectId
            throw EventLogError.idOfAnotherWorkflow(field: owned.field, id: owned.id, owner: sameProject ? owner : nil)
        }
        return unowned
    }

    mutating func requireRun(_ id: String) throws -> RunAggregate {
        try checkId(id, field: "run_id")
        guard let run = try run(id) else { throw EventLogError.unknownRun(id) }
        return run
    }

    func requireTransition(_ run: RunAggregate, to next: RunState, _ eventName: String) throws {
        guard run.state.canMove(to: next) else {
            throw EventLogError.illegalTransition(runId: run.runId, from: run.state, event: eventName)
        }
    }

    mutating func requireJob(_ jobId: String, in run: RunAggregate) throws {
        guard let snapshot = try snapshot(run.workflowId, lockVersion: run.lockVersion) else {
            throw EventLogError.unknownSnapshot(workflowId: run.workflowId, lockVersion: run.lockVersion)
        }
        guard snapshot.summary.jobIds.contains(jobId) else {
            throw EventLogError.unknownJob(jobId, workflowId: run.workflowId, lockVersion: run.lockVersion)
        }
    }

    /// An existing dataclip an event names. Another project's is refused as
    /// one that does not exist: the contract's words for `final_dataclip_id`
    /// ("final_dataclip_id does not exist"), and a worker naming another
    /// project's id learns no more than from an absent one.
    @discardableResult
    func requireDataclip(_ id: String, field: String, projectId: String) throws -> Dataclip {
        try checkId(id, field: field)
        guard let dataclip = try store.loadDataclip(id, txn, view), dataclip.projectId == projectId else {
            throw EventLogError.dataclipNotFound(field: field, id: id)
        }
        return dataclip
    }

    /// A dataclip created by the event being decided (the one `append` then
    /// records at `nextSequence`); under `erase_all` it has no body and is
    /// wiped at creation.
    mutating func newDataclip(_ id: String, projectId: String, type: DataclipType, body: [UInt8], at time: Timestamp) throws
        -> Dataclip
    {
        let retention = try project(projectId)?.retention ?? .retainAll
        let erase = retention == .eraseAll
        return Dataclip(
            id: id, projectId: projectId, type: type, size: body.count, createdAt: time,
            wipedAt: erase ? time : nil, body: erase ? nil : body, origin: nextSequence)
    }

    /// Whether `dataclip` was created by an event of run `runId`: the event
    /// being decided, or one already in the log (read back to learn its run).
    func isFrom(_ dataclip: Dataclip, run runId: String) throws -> Bool {
        guard let origin = dataclip.origin else { return false }
        if origin == nextSequence { return true }
        return try store.event(at: origin, txn).runId?.string == runId
    }
}
