import ArgumentParser
import Foundation
import UpshiftCoordinator

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a run's report: every step on every host, and the outcome.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case json, md }

    @Argument(help: "The run directory `upshift run` printed.")
    var runDirectory: String

    @Option(help: "Report format: json or md.")
    var format: Format = .md

    func run() throws {
        let summary = try RunDirectory(path: runDirectory).summary()
        switch format {
        case .json: print(try ReportWriter.json(summary))
        case .md: print(ReportWriter.markdown(summary), terminator: "")
        }
    }
}
