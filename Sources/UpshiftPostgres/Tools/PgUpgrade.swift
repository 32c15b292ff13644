/// How pg_upgrade moves the relation files into the new cluster.
public enum TransferMode: String, Sendable, CaseIterable {
    /// Hard links: fastest, the old cluster is unusable once the new one starts.
    case link
    /// Reflinks (copy-on-write file systems only).
    case clone
    /// Plain copies: slow, leaves the old cluster intact.
    case copy
    /// Moves the data directories (PostgreSQL 18+).
    case swap
}

/// pg_upgrade's settings (run it from a directory the OS user can write: it leaves its logs there).
public struct PgUpgradeOptions: Sendable, Equatable {
    /// The old build's bindir (-b).
    public var oldBindir: String
    /// The new build's bindir (-B).
    public var newBindir: String
    /// The old data directory (-d).
    public var oldDatadir: String
    /// The new data directory (-D), made by initdb with matching settings.
    public var newDatadir: String
    /// The transfer mode; nil for pg_upgrade's default (copy).
    public var mode: TransferMode?
    /// Parallel jobs (--jobs).
    public var jobs: Int?
    /// Only check compatibility (--check); changes nothing.
    public var check: Bool
    /// The port pg_upgrade gives the old server (-p).
    public var oldPort: Int?
    /// The port pg_upgrade gives the new server (-P).
    public var newPort: Int?
    /// The install user (-U).
    public var username: String?
    /// Where the temporary servers put their sockets (--socketdir); keep it short.
    public var socketDir: String?
    /// Options for the old and new servers (-o / -O), passed as they are.
    public var oldServerOptions: String?
    /// Options for the new server (-O).
    public var newServerOptions: String?
    /// Keep pg_upgrade's logs even on success (--retain).
    public var retain: Bool
    /// How the new cluster is flushed to disk at the end (`--sync-method`, PostgreSQL 17+): `syncfs` flushes
    /// each file system once instead of every file, which in link mode means every data file.
    public var syncMethod: String?

    /// Settings for an upgrade from `oldDatadir` to `newDatadir`.
    public init(oldBindir: String, newBindir: String, oldDatadir: String, newDatadir: String,
                mode: TransferMode? = nil, jobs: Int? = nil, check: Bool = false, oldPort: Int? = nil,
                newPort: Int? = nil, username: String? = nil, socketDir: String? = nil,
                oldServerOptions: String? = nil, newServerOptions: String? = nil, retain: Bool = false) {
        self.oldBindir = oldBindir
        self.newBindir = newBindir
        self.oldDatadir = oldDatadir
        self.newDatadir = newDatadir
        self.mode = mode
        self.jobs = jobs
        self.check = check
        self.oldPort = oldPort
        self.newPort = newPort
        self.username = username
        self.socketDir = socketDir
        self.oldServerOptions = oldServerOptions
        self.newServerOptions = newServerOptions
        self.retain = retain
        self.syncMethod = nil
    }

    /// pg_upgrade's arguments.
    public var arguments: [String] {
        var args = ["-b", oldBindir, "-B", newBindir, "-d", oldDatadir, "-D", newDatadir]
        if let mode { args.append("--\(mode.rawValue)") }
        if let jobs { args += ["--jobs", String(jobs)] }
        if check { args.append("--check") }
        if let oldPort { args += ["-p", String(oldPort)] }
        if let newPort { args += ["-P", String(newPort)] }
        if let username { args += ["-U", username] }
        if let socketDir { args += ["--socketdir", socketDir] }
        if let oldServerOptions { args += ["-o", oldServerOptions] }
        if let newServerOptions { args += ["-O", newServerOptions] }
        if retain { args.append("--retain") }
        if let syncMethod { args.append("--sync-method=\(syncMethod)") }
        return args
    }

    /// The new build's pg_upgrade with these settings, run in `workingDirectory`.
    public func invocation(workingDirectory: String) -> ProgramInvocation {
        ProgramInvocation(PostgresBinaries(bindir: newBindir).path("pg_upgrade"), arguments,
                          environment: parseableEnvironment, currentDirectory: workingDirectory)
    }
}
