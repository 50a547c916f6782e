import ArgumentParser
import CairnKit
import EventLog
import Foundation
import JSON

extension Cairn {
    struct RunsCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "runs", abstract: "Inspect runs.", subcommands: [Show.self, Cairn.RunsList.self])
    }

    struct DataclipsCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dataclips", abstract: "Inspect dataclips.", subcommands: [Show.self])
    }
}

extension Cairn.RunsCommand {
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A run, its steps and its final dataclip.")

        @Argument(help: "The run id.")
        var id: String

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let store = try data.openStore()
            guard let run = try store.currentRun(id) else { throw CommandFailure("run \(id) does not exist") }
            if output.json {
                printJSONValue(Views.run(run))
                return
            }
            print("run        \(run.runId)")
            print("state      \(run.state.rawValue)")
            print("workflow   \(run.workflowId) (lock_version \(run.lockVersion))")
            print("trigger    \(run.startingTriggerId ?? "-")")
            print("input      \(run.inputDataclipId)")
            print("final      \(run.finalDataclipId ?? "-")")
            print("times      claimed \(run.claimedAt?.iso8601 ?? "-"), started \(run.startedAt?.iso8601 ?? "-"), finished \(run.finishedAt?.iso8601 ?? "-")")
            if !run.steps.isEmpty {
                print("")
                print(table(
                    header: ["step", "job", "exit", "output", "finished"],
                    rows: run.steps.map {
                        [$0.id, $0.jobId, $0.exitReason?.rawValue ?? "-", $0.outputDataclipId ?? "-", $0.finishedAt?.iso8601 ?? "-"]
                    }))
            }
        }
    }
}

extension Cairn.DataclipsCommand {
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A dataclip: its header and body (null when wiped).")

        @Argument(help: "The dataclip id.")
        var id: String

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let store = try data.openStore()
            guard let dataclip = try store.dataclip(id) else { throw CommandFailure("dataclip \(id) does not exist") }
            let view = Views.dataclip(dataclip)
            if output.json {
                printJSONValue(view)
                return
            }
            print("dataclip   \(dataclip.id) (\(dataclip.type.rawValue), project \(dataclip.projectId))")
            print("wiped      \(dataclip.wipedAt?.iso8601 ?? "no")")
            print(view["body"].map { $0.serializedString() } ?? "null")
        }
    }
}
