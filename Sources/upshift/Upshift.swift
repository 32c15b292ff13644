import ArgumentParser
import Foundation
import UpshiftCoordinator
import UpshiftPlan

/// The coordinator CLI.
struct Upshift: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upshift",
        abstract: "Declarative PostgreSQL major-version upgrades for a fleet.",
        subcommands: [Certs.self, Init.self, Check.self, PlanCommand.self, Preflight.self, Run.self, Resume.self, Status.self, Report.self,
                      Rollback.self, Finish.self]
    )
}

/// Options every command that prints a result shares.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print machine-readable JSON instead of text.")
    var json = false
}

/// Exit codes of DESIGN.md: 0 done, 1 failed with nothing changed, 2 usage, 3 failed after the point of no return.
@main
enum Main {
    static func main() async {
        do {
            var command = try Upshift.parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = Upshift.exitCode(for: error)
            let message = Upshift.fullMessage(for: error)
            if !message.isEmpty {
                if code == .success { print(message) } else { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            }
            exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Loads and checks a plan; on errors prints them (FILE:LINE:COL each) and exits 1, changing nothing.
func loadCheckedPlan(_ path: String) throws -> LoadedPlan {
    do {
        return try PlanChecker.check(path: path)
    } catch let errors as PlanErrors {
        printError(errors.description)
        throw ExitCode(1)
    }
}
