/// One stage line of `vacuumdb --analyze-in-stages`.
public struct VacuumdbStage: Sendable, Equatable {
    /// The database being analyzed.
    public var database: String
    /// 1 minimal (1 target), 2 medium (10 targets), 3 default (full) statistics.
    public var stage: Int
    /// The stage as vacuumdb words it, e.g. `Generating minimal optimizer statistics (1 target)`.
    public var description: String
}

/// vacuumdb runs: the statistics pass after pg_upgrade.
public enum VacuumDB {
    /// `vacuumdb --all --analyze-in-stages` (17 and earlier carry no statistics over), with `jobs` parallel connections.
    public static func analyzeInStages(_ binaries: PostgresBinaries, target: ConnectionTarget, jobs: Int? = nil) -> ProgramInvocation {
        invocation(binaries, target: target, jobs: jobs, ["--analyze-in-stages"])
    }

    /// `vacuumdb --all --analyze-only --missing-stats-only` (18 and newer, whose pg_upgrade carries statistics):
    /// statistics only where there are none.
    public static func analyzeMissing(_ binaries: PostgresBinaries, target: ConnectionTarget, jobs: Int? = nil) -> ProgramInvocation {
        invocation(binaries, target: target, jobs: jobs, ["--analyze-only", "--missing-stats-only"])
    }

    /// `vacuumdb --analyze` of the one database `conninfo` names: every table vacuumed (hint bits, visibility map)
    /// and analyzed, with `jobs` parallel connections.
    public static func vacuumAnalyze(_ binaries: PostgresBinaries, conninfo: String, jobs: Int? = nil) -> ProgramInvocation {
        var args = ["--dbname", conninfo, "--analyze"]
        if let jobs, jobs > 1 { args += ["--jobs", String(jobs)] }
        return ProgramInvocation(binaries.path("vacuumdb"), args, environment: parseableEnvironment)
    }

    private static func invocation(_ binaries: PostgresBinaries, target: ConnectionTarget, jobs: Int?, _ mode: [String]) -> ProgramInvocation {
        var args = target.clientArguments + ["--all"] + mode
        if let database = target.database { args += ["--maintenance-db", database] }
        if let jobs { args += ["--jobs", String(jobs)] }
        return ProgramInvocation(binaries.path("vacuumdb"), args, environment: parseableEnvironment)
    }

    /// Reads `vacuumdb: processing database "shop": Generating minimal optimizer statistics (1 target)`.
    public static func stage(of line: String) -> VacuumdbStage? {
        guard let open = line.range(of: "processing database \""),
              let close = line.range(of: "\": ", range: open.upperBound..<line.endIndex) else { return nil }
        let database = String(line[open.upperBound..<close.lowerBound])
        let description = String(line[close.upperBound...]).trimmingWhitespace()
        let stage: Int
        if description.contains("minimal") {
            stage = 1
        } else if description.contains("medium") {
            stage = 2
        } else if description.contains("default") {
            stage = 3
        } else {
            return nil
        }
        return VacuumdbStage(database: database, stage: stage, description: description)
    }
}
