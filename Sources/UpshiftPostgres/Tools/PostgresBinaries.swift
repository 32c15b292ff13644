import Glibc

/// Names the PostgreSQL programs of one bindir and runs them.
public struct PostgresBinaries: Sendable, Equatable {
    /// The directory holding `postgres`, `pg_ctl`, `initdb`, ….
    public let bindir: String

    /// Names the programs under `bindir`.
    public init(bindir: String) {
        self.bindir = bindir.count > 1 && bindir.hasSuffix("/") ? String(bindir.dropLast()) : bindir
    }

    /// The path of one program of this build, e.g. `path("pg_ctl")`.
    public func path(_ program: String) -> String {
        "\(bindir)/\(program)"
    }

    /// Whether this build ships `program` (the 15.18 server package has no client programs, say).
    public func has(_ program: String) -> Bool {
        access(path(program), X_OK) == 0
    }

    /// Runs `postgres --version` and parses it.
    public func version(launcher: ProgramLauncher = .direct) throws -> PostgresVersion {
        let result = try launcher.run(ProgramInvocation(path("postgres"), ["--version"])).requireSuccess()
        guard let version = PostgresVersion.parse(result.stdout) else {
            throw OutputParseError(program: "postgres --version", message: "no version in \"\(result.stdout.prefix(80))\"")
        }
        return version
    }
}
