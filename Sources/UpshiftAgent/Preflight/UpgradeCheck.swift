import Foundation
import UpshiftPlan
import UpshiftPostgres
import UpshiftWire

/// `pg_upgrade-check`: the new build's `pg_upgrade --check` against the live old cluster and a scratch
/// cluster made with the old one's settings (live checks are what `--check` supports; nothing is written
/// to the old cluster).
struct UpgradeCheck {
    let versions: PostgresVersions
    let host: PlanHost
    let old: OldCluster
    let installUser: String
    let launcher: ProgramLauncher

    func run(scratch: ScratchCluster) -> CheckResult {
        let name = "pg_upgrade-check"
        let remedy = "fix what pg_upgrade reports in the old cluster (the objects listed), then run preflight again"
        return CheckResult.guarded(name, remedy: remedy) {
            // No transfer mode: --link/--clone would test links between the old cluster and the scratch
            // directory, which is not where the new cluster goes; new-pgdata checks the real place.
            let options = PgUpgradeOptions(oldBindir: versions.from.bindir, newBindir: versions.to.bindir,
                                           oldDatadir: host.pgdata, newDatadir: scratch.pgdata, check: true,
                                           oldPort: old.local.port, newPort: scratch.port, username: installUser,
                                           socketDir: scratch.socketDirectory)
            let result = try launcher.run(options.invocation(workingDirectory: scratch.workDirectory))
            let report = UpgradeCheckReport(stdout: result.stdout)
            if result.succeeded && report.compatible {
                let ok = "clusters are compatible (\(counted(report.passedSteps, "check")) ok)"
                let notes = report.noteworthy.filter { ["notice", "warning"].contains($0.outcome) }
                guard !notes.isEmpty else { return .pass(name, ok) }
                return .warn(name, ok + "; " + notes.map { "\($0.step): \($0.outcome)" }.joined(separator: "; "),
                             remedy: "read pg_upgrade's notes; they apply after the upgrade")
            }
            return .fail(name, report.failureSummary ?? ProgramError(result: result).description, remedy: remedy)
        }
    }
}

/// What `pg_upgrade --check` printed: its steps, the first one that did not pass, why, and the lines of the
/// files it points at (read now: they live in the scratch cluster, which is removed afterwards).
struct UpgradeCheckReport {
    struct Step {
        var step: String
        var outcome: String
    }

    var compatible = false
    var passedSteps = 0
    /// Steps that ended in something other than `ok`, in order.
    var noteworthy: [Step] = []
    /// The text between the failing step and `Failure, exiting`, without the file names.
    var explanation: [String] = []
    /// Files pg_upgrade names (`… is in the file:` and `Consult the last few lines of "…"`), with the lines that matter.
    var files: [(path: String, lines: [String])] = []

    init(stdout: String) {
        var inFailure = false
        var expectFile = false
        // A step whose name is printed but whose outcome is not: pg_fatal() ends the line and explains.
        var unfinished: String?
        for raw in stdout.split(whereSeparator: \.isNewline).map(String.init) {
            let text = raw.trimmingCharacters(in: .whitespaces)
            if text == "*Clusters are compatible*" { compatible = true }
            if expectFile, text.hasPrefix("/") {
                files.append((text, Self.lines(of: text, tail: false)))
                expectFile = false
                continue
            }
            if text.hasSuffix("in the file:") { expectFile = true }
            if let log = PgUpgradeOutput.failureLog(in: raw) { files.append((log, Self.lines(of: log, tail: true))) }
            if inFailure {
                if text == "Failure, exiting" { inFailure = false } else if !text.isEmpty { explanation.append(text) }
                continue
            }
            guard let step = Self.step(raw) else {
                if let name = unfinished, !text.isEmpty {
                    noteworthy.append(Step(step: name, outcome: "fatal"))
                    explanation.append(text)
                    inFailure = text != "Failure, exiting"
                    unfinished = nil
                }
                continue
            }
            unfinished = nil
            switch step.outcome {
            case "": unfinished = step.step
            case "ok": passedSteps += 1
            case "skipped": break
            case "notice", "warning": noteworthy.append(step)
            default:
                noteworthy.append(step)
                inFailure = true
            }
        }
    }

    /// One line naming the failing step, pg_upgrade's first sentence about it, and the files' lines.
    var failureSummary: String? {
        guard let failed = noteworthy.last(where: { $0.outcome != "notice" && $0.outcome != "warning" }) else { return nil }
        var summary = "\(failed.step): \(failed.outcome)"
        let prose = explanation.filter { !$0.hasSuffix("in the file:") && !$0.hasPrefix("Consult the last") }
            .joined(separator: " ")
        if let end = prose.firstIndex(of: ".") {
            summary += " — " + prose[...end]
        } else if !prose.isEmpty {
            summary += " — " + prose
        }
        for file in files {
            let name = file.path.split(separator: "/").last.map(String.init) ?? file.path
            summary += " [\(name): \(file.lines.joined(separator: " | "))]"
        }
        return summary
    }

    /// A step line: `Checking …` padded with at least two spaces to pg_upgrade's message width (62), then
    /// how it ended (`ok`, `fatal`, `failed check: …`), or nothing yet. Prose lines never have that shape.
    private static func step(_ line: String) -> Step? {
        let characters = Array(line)
        let width = 62
        guard line.hasPrefix("Checking "), characters.count >= width,
              characters[width - 2] == " ", characters[width - 1] == " " else { return nil }
        let name = String(characters[..<width]).trimmingCharacters(in: .whitespaces)
        let outcome = String(characters[width...]).trimmingCharacters(in: .whitespaces)
        guard characters.count == width || characters[width] != " " else { return nil }
        return Step(step: name, outcome: outcome)
    }

    private static func lines(of path: String, tail: Bool, count: Int = 6) -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return ["(unreadable)"] }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        return Array(tail ? lines.suffix(count) : lines.prefix(count))
    }
}
