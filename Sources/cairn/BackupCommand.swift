import ArgumentParser
import CairnKit
import Foundation

extension Cairn {
    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a consistent, compacted copy of the data folder (safe while `cairn serve` runs).",
            discussion: "The copy is a data folder of its own: `cairn info --data DEST` opens it.")

        @Argument(help: "The folder to write the copy into (must not hold a data folder yet).")
        var destination: String

        @OptionGroup var data: DataOptions

        func run() async throws {
            if FileManager.default.fileExists(atPath: destination + "/data.mdb") {
                throw CommandFailure("\(destination) already holds a data folder; choose an empty one")
            }
            let store = try data.openStore()
            do {
                try store.backup(to: destination)
            } catch {
                throw CommandFailure("cannot back up to \(destination): \(error)")
            }
            print("backed up \(data.path) to \(destination)")
        }
    }

    struct RunsList: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "The runs of a workflow, newest first.")

        @Option(help: "The workflow id.")
        var workflow: String

        @Option(help: "How many runs to list.")
        var limit: Int = 20

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let store = try data.openStore()
            let runs = try store.runs(ofWorkflow: workflow, limit: max(1, limit))
            if output.json {
                printJSONValue(.array(runs.map(Views.run)))
                return
            }
            print(table(
                header: ["run", "state", "trigger", "created", "finished"],
                rows: runs.map { [$0.runId, $0.state.rawValue, $0.startingTriggerId ?? "-", $0.createdAt.iso8601, $0.finishedAt?.iso8601 ?? "-"] }))
        }
    }
}
