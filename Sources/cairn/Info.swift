import ArgumentParser
import CairnKit
import Foundation

extension Cairn {
    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open (or create) the data folder and print its format, map size and databases.")

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let store = try data.openStore()
            let info = try store.info()
            if output.json {
                try printJSON(info)
                return
            }
            print("data folder     \(info.path)")
            print("format version  \(info.formatVersion)")
            print("map size        \(formatBytes(info.mapSize)) (in use \(formatBytes(info.usedBytes)))")
            print("events          \(info.lastSequence)")
            let rows = info.databases.map { [$0.name, String($0.entries), formatBytes($0.bytes)] }
            print(table(header: ["database", "entries", "size"], rows: rows))
            print()
            let projections = info.projections.map { p in
                [p.name, String(p.version), String(p.sequence), p.sequence == info.lastSequence ? "up to date" : "\(info.lastSequence - p.sequence) behind"]
            }
            print(table(header: ["projection", "version", "applied", "state"], rows: projections))
        }
    }
}
