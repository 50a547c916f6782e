import Foundation
import YDoc

/// The workflow under load: ten jobs in a chain behind a webhook trigger, in
/// one project. Fixed ids, so `setup` (which writes what the CLI publishes)
/// and `run` (which names the jobs in its step events) agree without passing
/// ten ids through the environment.
enum Plan {
    static let projectId = "10ad0000-0000-4000-8000-000000000001"
    static let workflowId = "10ad0000-0000-4000-8000-0000000000f1"
    static let triggerId = "10ad0000-0000-4000-8000-0000000000c1"
    static let jobCount = 10
    static let jobIds = (1...jobCount).map { String(format: "10ad0000-0000-4000-8000-0000000001%02d", $0) }
    static func jobBody(_ index: Int) -> String { "fn(state => ({ ...state, step: \(index + 1) }));" }

    static func edgeId(_ index: Int) -> String { String(format: "10ad0000-0000-4000-8000-0000000002%02d", index) }

    /// The workflow JSON `cairn workflow publish` reads (fixtures/workflows/ shape).
    static func workflowJSON() -> String {
        let jobs = jobIds.enumerated().map { index, id in
            #"{"id":"\#(id)","name":"Step \#(index + 1)","adaptor":"@openfn/language-common@latest","body":"\#(jobBody(index))"}"#
        }
        var edges = [#"{"id":"\#(edgeId(0))","source_trigger_id":"\#(triggerId)","target_job_id":"\#(jobIds[0])","condition_type":"always","enabled":true}"#]
        for index in 1..<jobCount {
            edges.append(
                #"{"id":"\#(edgeId(index))","source_job_id":"\#(jobIds[index - 1])","target_job_id":"\#(jobIds[index])","condition_type":"on_job_success","enabled":true}"#)
        }
        return """
            {"id":"\(workflowId)","project_id":"\(projectId)","name":"Load chain","enable_job_logs":true,
             "jobs":[\(jobs.joined(separator: ","))],
             "triggers":[{"id":"\(triggerId)","type":"webhook","enabled":true}],
             "edges":[\(edges.joined(separator: ","))]}
            """
    }

    /// The same workflow as a Yjs document in the reference editor's layout
    /// (what `WorkflowDocument.populate` writes: roots `workflow`, `jobs`,
    /// `triggers`, `edges`, `positions`; a job's body is a text). Seeded with
    /// `cairn doc apply` before the server starts, so every editor joins a
    /// document that already exists instead of four of them racing to create
    /// it (four concurrent creations would concatenate four job lists).
    static func seedDocument() -> [UInt8] {
        let doc = Doc(clientID: 1)
        doc.transact { txn in
            let map = doc.map("workflow")
            map.set("id", .string(workflowId), txn)
            map.set("name", .string("Load chain"), txn)
            map.set("lock_version", .number(1), txn)
            map.set("deleted_at", .null, txn)
            map.set("concurrency", .null, txn)
            map.set("enable_job_logs", .bool(true), txn)
            map.set("project_id", .string(projectId), txn)
            doc.array("jobs").append(jobIds.enumerated().map { index, id in
                .map([
                    ("id", .string(id)), ("name", .string("Step \(index + 1)")), ("body", .text(jobBody(index))),
                    ("adaptor", .string("@openfn/language-common@latest")), ("project_credential_id", .null),
                    ("keychain_credential_id", .null),
                ])
            }, txn)
            doc.array("triggers").append([
                .map([
                    ("id", .string(triggerId)), ("type", .string("webhook")), ("enabled", .bool(true)),
                    ("cron_expression", .null), ("cron_cursor_job_id", .null), ("webhook_reply", .null),
                    ("kafka_configuration", .null),
                ])
            ], txn)
            var edges: [YInput] = []
            for index in 0..<jobCount {
                edges.append(.map([
                    ("id", .string(edgeId(index))),
                    ("source_trigger_id", index == 0 ? .string(triggerId) : .null),
                    ("source_job_id", index == 0 ? .null : .string(jobIds[index - 1])),
                    ("target_job_id", .string(jobIds[index])),
                    ("condition_type", .string(index == 0 ? "always" : "on_job_success")),
                    ("condition_expression", .null), ("condition_label", .null), ("enabled", .bool(true)),
                ]))
            }
            doc.array("edges").append(edges, txn)
            _ = doc.map("positions")
        }
        // A fresh document's full state cannot fail to encode.
        return (try? doc.encodeStateAsUpdate()) ?? []
    }
}
