import ArgumentParser
import Foundation
import UpshiftCoordinator

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a run's report: timeline of every step on every host, downtime measured, checks, verify.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case html, md, json }

    @Argument(help: "The run directory `upshift run` printed.")
    var runDirectory: String

    @Option(help: "Report format: html (one self-contained file), md or json.")
    var format: Format = .md

    @Option(name: [.short, .long], help: "Write the report to this file instead of standard output.")
    var output: String?

    func run() throws {
        let report = try RunDirectory(path: runDirectory).report()
        let text: String
        switch format {
        case .json: text = try ReportWriter.json(report) + "\n"
        case .md: text = ReportWriter.markdown(report)
        case .html: text = HTMLReport.render(report)
        }
        if let output {
            try text.write(toFile: output, atomically: true, encoding: .utf8)
        } else {
            print(text, terminator: "")
        }
    }
}
