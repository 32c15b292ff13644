import ArgumentParser
import Foundation
import UpshiftCoordinator

struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue a run whose coordinator stopped, from its journal; never runs a step twice blindly."
    )

    @Argument(help: "The run directory `upshift run` printed.")
    var runDirectory: String

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let directory = RunDirectory(path: runDirectory)
        let (outcome, reason, alreadyFinished) = try await RunResumer(runDirectory: directory).resume(output: ProgressOutput(json: output.json))
        if !output.json {
            print((alreadyFinished ? "the run had already ended: " : "result: ") + outcome.rawValue + (reason.map { " — \($0)" } ?? ""))
        }
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }
}
