/// rsync's settings; the defaults are pg_upgrade's documented standby procedure
/// (`--archive --delete --hard-links --size-only --no-inc-recursive old new standby:dir`).
public struct RsyncOptions: Sendable, Equatable {
    /// What to send (for the standby procedure: the old and the new data directory, no trailing slash).
    public var sources: [String]
    /// Where to (a local directory, or `host:dir` with `remoteShell`).
    public var destination: String
    /// -a.
    public var archive: Bool
    /// Delete files at the destination that the sources lack.
    public var delete: Bool
    /// Preserve hard links (-H): this is what makes the standby's new cluster link to its old files.
    public var hardLinks: Bool
    /// Compare by size only; pg_upgrade --link keeps relation files' sizes.
    public var sizeOnly: Bool
    /// Build the whole file list first, so that hard links are seen across the trees.
    public var noIncRecursive: Bool
    /// Patterns to leave out (e.g. the old cluster's `pg_wal/*`, which the standby does not need).
    public var excludes: [String]
    /// Report `--info=progress2` lines.
    public var progress: Bool
    /// Print `--stats` at the end.
    public var stats: Bool
    /// `--rsh`, e.g. `ssh -o BatchMode=yes`.
    public var remoteShell: String?

    /// The standby procedure's settings for `sources` → `destination`.
    public init(sources: [String], destination: String, archive: Bool = true, delete: Bool = true,
                hardLinks: Bool = true, sizeOnly: Bool = true, noIncRecursive: Bool = true, excludes: [String] = [],
                progress: Bool = true, stats: Bool = true, remoteShell: String? = nil) {
        self.sources = sources
        self.destination = destination
        self.archive = archive
        self.delete = delete
        self.hardLinks = hardLinks
        self.sizeOnly = sizeOnly
        self.noIncRecursive = noIncRecursive
        self.excludes = excludes
        self.progress = progress
        self.stats = stats
        self.remoteShell = remoteShell
    }

    /// rsync's arguments.
    public var arguments: [String] {
        var args: [String] = []
        if archive { args.append("--archive") }
        if delete { args.append("--delete") }
        if hardLinks { args.append("--hard-links") }
        if sizeOnly { args.append("--size-only") }
        if noIncRecursive { args.append("--no-inc-recursive") }
        args += excludes.map { "--exclude=\($0)" }
        if progress { args.append("--info=progress2") }
        if stats { args.append("--stats") }
        if let remoteShell { args += ["--rsh", remoteShell] }
        return args + sources + [destination]
    }

    /// rsync (found in PATH unless `executable` is given) with these settings.
    public func invocation(executable: String = "rsync") -> ProgramInvocation {
        ProgramInvocation(executable, arguments, environment: ["LC_ALL": "C"])
    }
}
