import ArgumentParser
import Foundation
import UpshiftCoordinator
import UpshiftPlan

/// `upshift rollback RUN`: a logical run past its switch goes back to the source over the reverse path.
struct Rollback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Logical strategy after the switch: back to the source over the reverse path, nothing lost."
    )

    @Argument(help: "The run directory `upshift run` printed.")
    var runDirectory: String

    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runAfterSwitch(.rollbackToSource, runDirectory: runDirectory, json: output.json)
    }
}

/// `upshift finish RUN`: the reverse path of a logical run dropped once the DBA is satisfied.
struct Finish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Logical strategy: drop the reverse path (and the run's marker and ledger schemas) once satisfied."
    )

    @Argument(help: "The run directory `upshift run` printed.")
    var runDirectory: String

    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runAfterSwitch(.finish, runDirectory: runDirectory, json: output.json)
    }
}

private func runAfterSwitch(_ step: BuiltinStep, runDirectory: String, json: Bool) async throws {
    let progress = ProgressOutput(mode: ProgressOutput.standardMode(json: json))
    let outcome: RunOutcome, reason: String?
    do {
        (outcome, reason) = try await AfterSwitch(runDirectory: RunDirectory(path: runDirectory), step: step).run(output: progress)
    } catch {
        progress.finish()
        FileHandle.standardError.write(Data("upshift: \(error)\n".utf8))
        throw ExitCode(1)
    }
    progress.finish()
    if !json { print("\(step.id): " + outcome.rawValue + (reason.map { " — \($0)" } ?? "")) }
    if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
}
