import CairnKit
import EventLog
import Foundation
import JSON
import Projections
import Workflows

/// What each page shows, as the templates' contexts (`[String: Any]`; a
/// key is left out rather than set to nil: a section on a missing key is
/// skipped). Every read is a public `Store` call, with the project check
/// of the JSON API (docs/page.md).
struct PageViews {
    let store: Store
    /// Runs a page of the workflow and runs pages shows.
    static let runsPerPage = 20
    /// How often live pages refresh their `[data-live]` parts.
    static let pollMilliseconds = 2_000

    // MARK: Common

    static func base(_ viewer: PageViewer?, title: String, live: Bool = false) -> [String: Any] {
        var context: [String: Any] = ["title": title]
        if let viewer {
            let who = viewer.open
                ? "open server: read-only, this machine only"
                : "\(viewer.actor.name) · \(viewer.role.rawValue) of project \(viewer.project ?? "")"
            context["viewer"] = ["who": who, "open": viewer.open, "csrf": viewer.csrf] as [String: Any]
            context["csrf"] = viewer.csrf
            context["mayEdit"] = viewer.mayEdit
        }
        if live {
            context["poll"] = String(pollMilliseconds)
            context["pollSeconds"] = String(pollMilliseconds / 1000)
        }
        return context
    }

    /// A workflow's latest snapshot, if `viewer` may see it: another
    /// project's is "does not exist" (404), as the page must not tell what
    /// other projects have.
    func visibleSnapshot(_ id: String, _ viewer: PageViewer) throws -> StoredSnapshot {
        guard let snapshot = try store.snapshot(id), !snapshot.summary.deleted,
            viewer.project == nil || viewer.project == snapshot.summary.projectId
        else { throw PageError.notFound("workflow \(id)") }
        return snapshot
    }

    func visibleWorkflow(_ id: String, _ viewer: PageViewer) throws -> Workflow {
        let snapshot = try visibleSnapshot(id, viewer)
        guard let workflow = try store.workflow(id, lockVersion: snapshot.lockVersion) else { throw PageError.notFound("workflow \(id)") }
        return workflow
    }

    // MARK: Workflows

    func workflows(_ viewer: PageViewer) throws -> [String: Any] {
        var context = Self.base(viewer, title: "Workflows", live: true)
        let now = Date()
        var rows: [[String: Any]] = []
        for listing in try store.workflows(ofProject: viewer.project) {
            var row: [String: Any] = [
                "id": listing.id, "name": listing.name, "lockVersion": String(listing.lockVersion),
                "projectId": listing.projectId, "showProject": viewer.project == nil,
            ]
            var nextFire: Date?
            row["triggers"] = try listing.triggers.map { summary -> [String: Any] in
                var line: [String: Any] = ["lineType": summary.type, "lineDisabled": !summary.enabled]
                if summary.type == "cron" {
                    line["lineExpression"] = summary.cronExpression ?? Trigger.defaultCronExpression
                    line["lineZone"] = summary.timezone ?? "UTC"
                    // Only a trigger this workflow owns (see `workflow(_:_:)`).
                    if let owned = try store.trigger(summary.id), owned.workflowId == listing.id,
                       let fire = owned.schedule?.next(after: now) {
                        nextFire = min(nextFire ?? fire, fire)
                    }
                }
                return line
            }
            if let fire = nextFire { row["nextFire"] = Self.time(Timestamp(fire)) }
            if let last = try store.runs(ofWorkflow: listing.id, limit: 1).first {
                row["lastRun"] = ["lastRunId": last.runId, "lastRunPath": Self.pathSegment(last.runId), "lastRunState": last.state.rawValue, "lastRunCreated": Self.time(last.createdAt)]
            }
            rows.append(row)
        }
        context["workflows"] = rows
        context["hasWorkflows"] = !rows.isEmpty
        if let project = viewer.project { context["project"] = project }
        return context
    }

    // MARK: A workflow

    func workflow(_ id: String, _ viewer: PageViewer) throws -> [String: Any] {
        let workflow = try visibleWorkflow(id, viewer)
        var context = Self.base(viewer, title: workflow.name, live: true)
        // What live updates fetch: this page's own URL, also when it answers a form's post (a refusal).
        context["liveURL"] = "/workflows/\(Self.pathSegment(id))"
        context["id"] = id
        context["workflowId"] = id
        context["name"] = workflow.name
        context["lockVersion"] = String(workflow.lockVersion)
        context["projectId"] = workflow.projectId

        // The editors' draft: what the select shows, and what it repaired or refused.
        let draft = try store.documentDraft(id)
        if let draft {
            context["repairs"] = draft.repairs.map { ["path": $0.path, "message": $0.message] }
            context["errors"] = draft.errors.map { ["path": $0.path, "message": $0.message] }
            let unpublished = Self.unpublishedParts(draft.workflow, published: workflow)
            if !unpublished.isEmpty { context["unpublished"] = unpublished.joined(separator: ", ") }
            context["hasDraftNotes"] = !draft.repairs.isEmpty || !draft.errors.isEmpty || !unpublished.isEmpty
        }
        context["svg"] = WorkflowGraph.svg(workflow)
        context["jobs"] = workflow.jobs.map { ["jobName": $0.name, "jobId": $0.id, "adaptor": $0.adaptor ?? ""] }

        let now = Date()
        let draftJobs = CronInputChoice.jobs(draft?.workflow, workflow)
        func jobName(_ jobId: String?, in jobs: [Job]) -> String {
            guard let jobId else { return "Final run state" }
            return jobs.first { $0.id == jobId }.map { $0.name.isEmpty ? $0.id : $0.name } ?? jobId
        }
        context["triggers"] = try workflow.triggers.map { trigger -> [String: Any] in
            var item: [String: Any] = ["type": trigger.type.rawValue, "triggerId": trigger.id, "enabled": trigger.enabled]
            guard trigger.type == .cron else {
                item["webhook"] = trigger.type == .webhook
                return item
            }
            let published = trigger.cronCursorJobId
            // The cron index holds a trigger id's owning workflow only; a
            // folder from before ids were owned may hold this id in another
            // workflow, even another project's: its fires and its cursor's
            // input are that workflow's, and not shown here.
            let indexed = try store.trigger(trigger.id).flatMap { $0.workflowId == id ? $0 : nil }
            // A trigger the document lacks shows its published choice (choosing publishes it alone).
            let drafted = draft?.workflow.triggers.first { $0.id == trigger.id }.map { $0.cronCursorJobId } ?? published
            var cron: [String: Any] = [
                "expression": trigger.cronExpression ?? Trigger.defaultCronExpression,
                "zone": trigger.timezone ?? "UTC",
                "fires": (indexed?.schedule?.next(5, after: now) ?? []).map { Self.time(Timestamp($0)) },
                "finalSelected": drafted == nil,
                // The document's jobs and the published ones it lacks (CronInputChoice.jobs).
                "options": CronInputChoice.jobs(draft?.workflow, workflow, trigger: trigger.id, keeping: drafted).map { job -> [String: Any] in
                    ["optionId": job.id, "optionName": job.name.isEmpty ? job.id : job.name, "selected": job.id == drafted]
                },
            ]
            if drafted != published {
                cron["draftDiffers"] = true
                cron["draftChoice"] = jobName(drafted, in: draftJobs)
                cron["publishedChoice"] = jobName(published, in: workflow.jobs)
            }
            if indexed != nil, let input = try store.nextCronInput(trigger.id) {
                var shown: [String: Any] = ["isEmpty": input.source == .empty]
                switch input.source {
                case .jobOutput: shown["sourceLabel"] = "output of job \(jobName(published, in: workflow.jobs))"
                case .finalState: shown["sourceLabel"] = "final state of this trigger's latest successful run"
                case .empty: shown["sourceLabel"] = "empty"
                }
                if let dataclipId = input.dataclipId {
                    shown["dataclipId"] = dataclipId
                    shown["body"] = try store.dataclip(dataclipId)?.body.map { Self.shown($0, id: dataclipId) } ?? "null"
                }
                cron["input"] = shown
                cron["expected"] = input.dataclipId ?? RunNow.emptyInput
            }
            item["cron"] = cron
            return item
        }
        try addRuns(of: id, before: nil, to: &context)
        return context
    }

    // MARK: Runs

    /// The runs table's part: a page of runs and the link to the next.
    func addRuns(of workflowId: String, before: RunAggregate?, to context: inout [String: Any]) throws {
        // One more than a page: whether older runs exist, so a last page
        // that is exactly full links to no empty one.
        var runs = try store.runs(ofWorkflow: workflowId, limit: Self.runsPerPage + 1, before: before)
        let hasOlder = runs.count > Self.runsPerPage
        if hasOlder { runs.removeLast() }
        context["runs"] = try runs.map { run -> [String: Any] in
            var row: [String: Any] = [
                "runId": run.runId, "runPath": Self.pathSegment(run.runId), "runState": run.state.rawValue, "runCreated": Self.time(run.createdAt),
                "runDuration": Self.duration(run) ?? (run.state.isFinal ? "—" : "running"),
            ]
            if let trigger = run.startingTriggerId { row["runTrigger"] = trigger }
            if let final = run.finalDataclipId {
                row["runFinal"] = final
                row["runFinalWiped"] = try store.dataclip(final)?.wipedAt != nil
            }
            return row
        }
        context["hasRuns"] = !runs.isEmpty
        context["paged"] = before != nil
        if hasOlder, let last = runs.last {
            context["older"] = "/workflows/\(Self.pathSegment(workflowId))/runs?before=\(Self.pathSegment(last.runId))"
        }
    }

    func runsPage(_ workflowId: String, before beforeId: String?, _ viewer: PageViewer) throws -> [String: Any] {
        let workflow = try visibleWorkflow(workflowId, viewer)
        var context = Self.base(viewer, title: "Runs of \(workflow.name)", live: true)
        context["workflowId"] = workflowId
        context["name"] = workflow.name
        var before: RunAggregate?
        if let beforeId {
            guard let run = try store.currentRun(beforeId), run.workflowId == workflowId else {
                throw PageError.badRequest("before: run \(beforeId) is not a run of this workflow")
            }
            before = run
        }
        try addRuns(of: workflowId, before: before, to: &context)
        return context
    }

    // MARK: A run

    func run(_ id: String, _ viewer: PageViewer) throws -> [String: Any] {
        guard let run = try store.currentRun(id), viewer.project == nil || viewer.project == run.projectId else {
            throw PageError.notFound("run \(id)")
        }
        let workflow = try store.workflow(run.workflowId, lockVersion: run.lockVersion)
        var context = Self.base(viewer, title: "Run \(id)", live: !run.state.isFinal)
        context["runId"] = id
        context["workflowId"] = run.workflowId
        context["workflowName"] = workflow?.name ?? run.workflowId
        context["lockVersion"] = String(run.lockVersion)
        context["state"] = run.state.rawValue
        if let trigger = run.startingTriggerId { context["trigger"] = trigger }
        if let error = [run.errorType, run.errorMessage].compactMap({ $0 }).joined(separator: ": ").nonEmpty { context["error"] = error }
        context["created"] = Self.time(run.createdAt)
        if let started = run.startedAt { context["started"] = Self.time(started) }
        if let finished = run.finishedAt { context["finished"] = Self.time(finished) }
        if let duration = Self.duration(run) { context["duration"] = duration }
        context["input"] = try clip(run.inputDataclipId, final: run.finalDataclipId)
        context["steps"] = try run.steps.map { step -> [String: Any] in
            var row: [String: Any] = [
                "stepId": step.id, "stepStarted": Self.time(step.startedAt),
                "jobName": workflow?.jobs.first { $0.id == step.jobId }?.name ?? step.jobId,
            ]
            if let finished = step.finishedAt { row["stepFinished"] = Self.time(finished) }
            if let exit = step.exitReason { row["exit"] = exit.rawValue }
            if let input = step.inputDataclipId { row["stepInput"] = try clip(input, final: run.finalDataclipId) }
            if let output = step.outputDataclipId { row["output"] = try clip(output, final: run.finalDataclipId) }
            return row
        }
        context["hasSteps"] = !run.steps.isEmpty
        if let final = run.finalDataclipId {
            context["final"] = try clip(final, final: final)
        } else {
            context["finalNote"] = run.state.isFinal ? "none: the run ended without a final dataclip" : "not yet: the run is \(run.state.rawValue)"
        }
        return context
    }

    /// A dataclip for the `dataclip` partial: marked as the final state when
    /// it is the run's, and as wiped when its body was removed.
    func clip(_ id: String, final: String?) throws -> [String: Any] {
        var shown: [String: Any] = ["clipId": id, "isFinal": id == final, "isWiped": false, "hasBody": false, "clipType": "dataclip"]
        guard let dataclip = try store.dataclip(id) else { return shown }
        shown["clipType"] = dataclip.type.rawValue
        if let wiped = dataclip.wipedAt {
            shown["isWiped"] = true
            shown["wipedAt"] = Self.time(wiped)
        } else if let body = dataclip.body {
            shown["hasBody"] = true
            shown["clipBody"] = Self.shown(body, id: id)
        }
        return shown
    }

    // MARK: Formatting

    /// Bodies up to this size are indented; larger ones are shown as
    /// stored. Parsing a 4 MB body to show 64 KiB of it cost about a second
    /// a body, and a running run's page is fetched again every 2 s.
    static let indentedBodyLimit = 256 << 10
    /// How much of a body the page shows.
    static let shownBodyLimit = 64 << 10

    /// A dataclip's stored JSON text as the page shows it: indented when
    /// small enough, else its first `shownBodyLimit` bytes as stored; a cut
    /// body says where the whole one is.
    static func shown(_ body: [UInt8], id: String) -> String {
        let whole = "the whole body is at /api/v1/dataclips/\(pathSegment(id))"
        if body.count <= indentedBodyLimit, let value = try? JSONParser.parse(body) {
            let (text, truncated) = PrettyJSON.text(value, limit: shownBodyLimit)
            return truncated ? text + "\n… (cut here: \(whole))" : text
        }
        guard body.count > shownBodyLimit else { return String(decoding: body, as: UTF8.self) }
        // Cut on a character's first byte, so the last character is not mangled.
        var end = shownBodyLimit
        while end > 0 && body[end] & 0xC0 == 0x80 { end -= 1 }
        return String(decoding: body[..<end], as: UTF8.self)
            + "\n… (\(body.count) bytes, shown as stored and cut here: \(whole))"
    }

    /// `2026-12-04 06:00:00Z` (fractions of a second dropped).
    static func time(_ t: Timestamp) -> String {
        var text = t.iso8601
        if let dot = text.firstIndex(of: ".") { text = String(text[..<dot]) + "Z" }
        return text.replacingOccurrences(of: "T", with: " ")
    }

    /// From start (or creation) to finish; `nil` while it runs.
    static func duration(_ run: RunAggregate) -> String? {
        guard let finished = run.finishedAt else { return nil }
        // Stored times read back as any 64-bit value (a damaged record): no trap.
        let (elapsed, overflow) = finished.microseconds.subtractingReportingOverflow((run.startedAt ?? run.createdAt).microseconds)
        guard !overflow else { return nil }
        let micros = max(0, elapsed)
        if micros < 1_000_000 { return "\(micros / 1_000) ms" }
        let seconds = Double(micros) / 1e6
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let whole = Int(seconds)
        if whole < 3_600 { return "\(whole / 60) min \(whole % 60) s" }
        return "\(whole / 3_600) h \(whole % 3_600 / 60) min"
    }

    /// An id as one path segment (ids may hold anything: the routes percent-decode them).
    static func pathSegment(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? id
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}

extension PageViews {
    /// What the document holds that the published version does not, by
    /// part: an editor half-way through a change, or a version published
    /// through the API since the document was last written. Cron cursors
    /// are left out: each trigger says its own (`draftDiffers`).
    static func unpublishedParts(_ draft: Workflow, published: Workflow) -> [String] {
        func withoutCursors(_ triggers: [Trigger]) -> [Trigger] {
            triggers.map { t in
                var t = t
                t.cronCursorJobId = nil
                return t
            }
        }
        var parts: [String] = []
        if draft.name != published.name || draft.concurrency != published.concurrency
            || draft.enableJobLogs != published.enableJobLogs || (draft.deletedAt == nil) != (published.deletedAt == nil)
        {
            parts.append("the workflow's settings")
        }
        if draft.jobs != published.jobs { parts.append("jobs") }
        if withoutCursors(draft.triggers) != withoutCursors(published.triggers) { parts.append("triggers") }
        if draft.edges != published.edges { parts.append("edges") }
        return parts
    }
}
