import ArgumentParser
import CairnKit
import EventLog
import JSON

extension Cairn {
    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Who published, created or revoked what, and when (from the log).")

        @Option(help: "Only this workflow's publishes.")
        var workflow: String?

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let store = try data.openStore()
            let entries = try store.audit(workflowId: workflow)
            if output.json {
                printJSONValue(.array(entries.map(\.json)))
                return
            }
            if entries.isEmpty {
                print(workflow.map { "nothing recorded for workflow \($0)" } ?? "nothing recorded")
                return
            }
            print(table(
                header: ["AT", "ACTION", "BY", "PROJECT", "SUBJECT", "DETAIL"],
                rows: entries.map { e in
                    let by = e.actor.map { actor in actor.tokenId.map { "\(actor.name) (\($0))" } ?? actor.name } ?? "unknown"
                    return [e.at.iso8601, e.action, by, e.projectId, e.subject, e.detail ?? ""]
                }))
        }
    }
}
