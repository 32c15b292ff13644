import ArgumentParser
import Foundation
import UpshiftCoordinator
import UpshiftPlan

struct Preflight: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read-only checks on the real hosts through their agents. Changes nothing."
    )

    @Argument(help: "The plan file.")
    var plan: String

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let loaded = try loadCheckedPlan(plan)
        // Live lines go to standard error so that standard output holds only the verdicts.
        let live = ProgressOutput(json: false) { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        let checks = try await FleetPreflight.run(loaded: loaded, output: live)
        if output.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(checks), as: UTF8.self))
        } else {
            // Columns as wide as their longest entry: a check's name is never cut.
            let hostWidth = max(4, checks.map(\.host.count).max() ?? 0)
            let nameWidth = checks.map(\.name.count).max() ?? 0
            for check in checks {
                let verdict = check.verdict.rawValue.uppercased().padding(toLength: 5, withPad: " ", startingAt: 0)
                let host = check.host.padding(toLength: hostWidth, withPad: " ", startingAt: 0)
                let name = check.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
                print("\(verdict) \(host) \(name) \(check.detail)" + (check.remedy.map { " — \($0)" } ?? ""))
            }
        }
        if checks.contains(where: { $0.verdict == .fail }) { throw ExitCode(1) }
    }
}
