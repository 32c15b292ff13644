import ArgumentParser
import Foundation
import UpshiftCoordinator
import UpshiftProbe

struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue a run whose coordinator stopped, or one that failed past its point of no return at a step that may be asked again (logical post), from its journal; never runs a step twice blindly."
    )

    @Argument(help: "The run directory `upshift run` printed.")
    var runDirectory: String

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let directory = RunDirectory(path: runDirectory)
        let progress = ProgressOutput(mode: ProgressOutput.standardMode(json: output.json))
        let (outcome, reason, alreadyFinished) = try await RunResumer(runDirectory: directory, probeFactory: { AvailabilityProbe(endpoints: $0) }).resume(output: progress)
        progress.finish()
        if !output.json {
            print((alreadyFinished ? "the run had already ended: " : "result: ") + outcome.rawValue + (reason.map { " — \($0)" } ?? ""))
        }
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }
}
