public import ArgumentParser
import CairnKit
import EventLog
import Foundation
import JSON

extension Cairn {
    struct ProjectCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "project", abstract: "Configure projects.", subcommands: [Configure.self])
    }
}

extension Retention: ExpressibleByArgument {}

extension Cairn.ProjectCommand {
    struct Configure: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or change a project (name, dataclip retention).")

        @Argument(help: "The project id.")
        var id: String

        @Option(help: "A display name.")
        var name: String?

        @Option(help: "retain_all (default) keeps dataclip bodies; erase_all records dataclips without bodies.")
        var retention: Retention?

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let store = try data.openStore()
            let submission = Submission(
                id: .random(), command: .configureProject(projectId: id, name: name, retention: retention))
            switch try store.append([submission])[0] {
            case .appended, .duplicate, .unchanged:
                let project = try store.project(id)
                if output.json {
                    printJSONValue(.object([
                        ("id", .string(id)), ("name", project?.name.map(JSONValue.string) ?? .null),
                        ("retention", .string(project?.retention.rawValue ?? Retention.retainAll.rawValue)),
                    ]))
                } else {
                    print("project \(id): retention \(project?.retention.rawValue ?? "retain_all")")
                }
            case .rejected(let error):
                throw CommandFailure("project:configured: \(error)")
            }
        }
    }
}
