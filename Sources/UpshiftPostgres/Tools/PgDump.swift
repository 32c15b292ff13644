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
