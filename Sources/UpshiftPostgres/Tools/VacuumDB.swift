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
    /// `vacuumdb --all --analyze-in-stages` (17 and earlier carry no statistics over; 18 does, and then
    /// `missingStatsOnly` limits the pass to what is missing), with `jobs` parallel connections.
    public static func analyzeInStages(_ binaries: PostgresBinaries, target: ConnectionTarget, jobs: Int? = nil,
                                       missingStatsOnly: Bool = false) -> ProgramInvocation {
        var args = target.clientArguments + ["--all", "--analyze-in-stages"]
        if let database = target.database { args += ["--maintenance-db", database] }
        if let jobs { args += ["--jobs", String(jobs)] }
        if missingStatsOnly { args.append("--missing-stats-only") }
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
