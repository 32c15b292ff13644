/// pg_dump / pg_restore runs for the schema-only restore rehearsal (it catches what `pg_upgrade --check` misses).
public enum PgDump {
    /// `pg_dump --schema-only --format=custom` of one database into `file`; use the NEW build's pg_dump.
    public static func schemaOnly(_ binaries: PostgresBinaries, source: ConnectionTarget, database: String,
                                  file: String) -> ProgramInvocation {
        ProgramInvocation(binaries.path("pg_dump"),
                          source.clientArguments + ["--schema-only", "--format=custom", "--file", file, database],
                          environment: parseableEnvironment)
    }

    /// `pg_restore` of `file` into `database`, stopping at the first error (`--exit-on-error`).
    public static func restore(_ binaries: PostgresBinaries, target: ConnectionTarget, database: String,
                               file: String, schemaOnly: Bool = true, jobs: Int? = nil,
                               createDatabase: Bool = false) -> ProgramInvocation {
        var args = target.clientArguments + ["--exit-on-error", "--dbname", database]
        if schemaOnly { args.append("--schema-only") }
        if createDatabase { args.append("--create") }
        if let jobs { args += ["--jobs", String(jobs)] }
        return ProgramInvocation(binaries.path("pg_restore"), args + [file], environment: parseableEnvironment)
    }
}

/// pg_dump / pg_restore runs of the logical strategy, addressed by conninfo (`--dbname` takes one).
extension PgDump {
    /// `pg_dump --schema-only --format=custom` at an exported snapshot, without publications, subscriptions or
    /// large objects, leaving out `excludedSchemas`; use the NEW build's pg_dump.
    public static func schemaAtSnapshot(_ binaries: PostgresBinaries, conninfo: String, snapshot: String,
                                        excludedSchemas: [String], file: String) -> ProgramInvocation {
        ProgramInvocation(binaries.path("pg_dump"),
                          ["--dbname", conninfo, "--schema-only", "--format=custom", "--snapshot", snapshot, "--no-publications",
                           "--no-subscriptions", "--no-blobs", "--file", file] + excludedSchemas.flatMap { ["--exclude-schema", $0] },
                          environment: parseableEnvironment)
    }

    /// `pg_restore --list` of a custom-format dump: its table of contents on stdout.
    public static func list(_ binaries: PostgresBinaries, file: String) -> ProgramInvocation {
        ProgramInvocation(binaries.path("pg_restore"), ["--list", file], environment: parseableEnvironment)
    }

    /// `pg_restore` of `section` (`pre-data`, `post-data`) or of the entries a `--use-list` file keeps, into the
    /// database `conninfo` names, stopping at the first error.
    public static func restore(_ binaries: PostgresBinaries, conninfo: String, file: String, section: String? = nil,
                               useList: String? = nil, jobs: Int? = nil) -> ProgramInvocation {
        var args = ["--dbname", conninfo, "--exit-on-error"]
        if let section { args += ["--section", section] }
        if let useList { args += ["--use-list", useList] }
        if let jobs, jobs > 1 { args += ["--jobs", String(jobs)] }
        return ProgramInvocation(binaries.path("pg_restore"), args + [file], environment: parseableEnvironment)
    }
}
