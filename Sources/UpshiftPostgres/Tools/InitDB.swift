/// initdb's settings; the ones a new cluster must share with the old for pg_upgrade.
public struct InitDBOptions: Sendable, Equatable {
    /// Where the cluster is made.
    public var pgdata: String
    /// Server encoding, e.g. `UTF8`.
    public var encoding: String?
    /// `--locale`, e.g. `C.UTF-8`.
    public var locale: String?
    /// `--locale-provider`: `libc`, `icu` or (17+) `builtin`.
    public var localeProvider: String?
    /// Data checksums: true on, false off, nil the build's default (off before 18, on from 18).
    public var dataChecksums: Bool?
    /// WAL segment size in MiB; nil for the default 16.
    public var walSegmentSizeMB: Int?
    /// The bootstrap superuser's name.
    public var username: String?
    /// `--auth` for local and host connections, e.g. `trust` or `scram-sha-256`.
    public var authMethod: String?
    /// Further arguments, passed as they are.
    public var extraArguments: [String]

    /// Settings for a cluster at `pgdata`.
    public init(pgdata: String, encoding: String? = nil, locale: String? = nil, localeProvider: String? = nil,
                dataChecksums: Bool? = nil, walSegmentSizeMB: Int? = nil, username: String? = nil,
                authMethod: String? = nil, extraArguments: [String] = []) {
        self.pgdata = pgdata
        self.encoding = encoding
        self.locale = locale
        self.localeProvider = localeProvider
        self.dataChecksums = dataChecksums
        self.walSegmentSizeMB = walSegmentSizeMB
        self.username = username
        self.authMethod = authMethod
        self.extraArguments = extraArguments
    }

    /// initdb's arguments for a server of major version `major` (`--no-data-checksums` exists from 18 on,
    /// where checksums became the default; before 18 off is the default and there is no flag).
    public func arguments(major: Int) -> [String] {
        var args = ["-D", pgdata]
        if let encoding { args += ["--encoding", encoding] }
        if let locale { args += ["--locale", locale] }
        if let localeProvider { args += ["--locale-provider", localeProvider] }
        switch dataChecksums {
        case true?: args.append("--data-checksums")
        case false? where major >= 18: args.append("--no-data-checksums")
        default: break
        }
        if let walSegmentSizeMB { args += ["--wal-segsize", String(walSegmentSizeMB)] }
        if let username { args += ["--username", username] }
        if let authMethod { args += ["--auth", authMethod] }
        return args + extraArguments
    }

    /// The initdb run of `binaries` (a build of major version `major`) with these settings.
    public func invocation(_ binaries: PostgresBinaries, major: Int) -> ProgramInvocation {
        ProgramInvocation(binaries.path("initdb"), arguments(major: major), environment: parseableEnvironment)
    }
}
