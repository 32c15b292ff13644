import ArgumentParser
import Foundation
import UpshiftCoordinator
import UpshiftPlan
import UpshiftProbe

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Execute the plan across the fleet, live; journal and report go into the run directory."
    )

    @Argument(help: "The plan file.")
    var plan: String

    @Flag(help: "Do not ask for confirmation.")
    var yes = false

    @Flag(help: "Mark this run as a rehearsal (on the rehearsal fleet) whose timings predict the real one.")
    var rehearsal = false

    @Option(help: "Folder for the journal and report (default: runs/NAME-TIMESTAMP beside the plan).")
    var runDir: String?

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let checked = try loadCheckedPlan(plan)
        let loaded: LoadedPlan
        do {
            loaded = rehearsal ? try checked.forRehearsal() : checked
        } catch {
            printError("upshift run: \(error)")
            throw ExitCode(1)
        }
        let directory = try RunDirectory.create(at: runDir ?? RunDirectory.defaultPath(planPath: loaded.path, planName: loaded.plan.name))
        print(output.json ? #"{"run_dir":"\#(directory.path)"}"# : "run directory: \(directory.path)")
        if !yes {
            guard isatty(STDIN_FILENO) == 1 else {
                printError("upshift run: standard input is not a terminal; pass --yes to run \(loaded.plan.name) unattended")
                throw ExitCode(2)
            }
            print("Run \(loaded.plan.name)\(rehearsal ? " (rehearsal)" : "") on \(loaded.plan.hosts.map(\.name).joined(separator: ", "))? [y/N] ", terminator: "")
            fflush(nil)
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                print("not run")
                throw ExitCode(1)
            }
        }
        let launcher = try RunLauncher(loaded: checked, runDirectory: directory, rehearsal: rehearsal,
                                       probeFactory: { AvailabilityProbe(endpoints: $0) })
        let progress = ProgressOutput(mode: ProgressOutput.standardMode(json: output.json), hosts: loaded.plan.hosts.map(\.name))
        let (outcome, reason) = try await launcher.run(output: progress)
        progress.finish()
        if output.json {
            var object: [String: Any] = ["kind": "result", "result": outcome.rawValue, "run_dir": directory.path]
            object["reason"] = reason
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("result: \(outcome.rawValue)" + (reason.map { " — \($0)" } ?? ""))
            let records = (try? RunJournal.read(path: directory.journalPath)) ?? []
            if loaded.plan.strategy == .inplace { print("proof: " + RunSummary(planName: loaded.plan.name, records: records).proof) }
            let writes = records.last { $0.kind == .runFinished }?.writes
            print("journal: \(directory.journalPath)" + (writes.map {
                " (\($0.lines) lines, \($0.fsyncs) fsync'd; \($0.progressReceived) progress reports kept as \($0.progressWritten) lines)"
            } ?? ""))
            print("report: upshift report \(directory.path) --format html -o report.html")
        }
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }
}
