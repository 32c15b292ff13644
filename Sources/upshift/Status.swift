import ArgumentParser
import Foundation
import UpshiftCoordinator

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show where a run stands, from its journal.")

    @Argument(help: "The run directory `upshift run` printed (default: the newest run under ./runs).")
    var runDirectory: String?

    @OptionGroup var output: OutputOptions

    func run() throws {
        guard let path = runDirectory ?? RunDirectory.newest(in: FileManager.default.currentDirectoryPath + "/runs") else {
            printError("upshift status: no run directory given and none under ./runs")
            throw ExitCode(2)
        }
        let directory = RunDirectory(path: path)
        if output.json {
            print(try ReportWriter.json(try directory.report()))
            return
        }
        let summary = try directory.summary()
        print("run \(summary.run) of \(summary.plan) (\(directory.path)): \(summary.result)" + (summary.reason.map { " — \($0)" } ?? ""))
        for step in summary.steps {
            let duration = step.durationMS.map { String(format: " %.2fs", Double($0) / 1000) } ?? ""
            print("  \(step.status.padding(toLength: 9, withPad: " ", startingAt: 0)) \(step.id) on \(step.host)\(duration)"
                  + (step.error.map { ": \($0)" } ?? ""))
        }
    }
}
