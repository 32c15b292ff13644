/// pg_basebackup's settings for building a standby from a running primary.
public struct BasebackupOptions: Sendable, Equatable {
    /// The primary to copy from (its replication connection).
    public var source: ConnectionTarget
    /// Where the standby's data directory is written (plain format).
    public var pgdata: String
    /// Write standby.signal and primary_conninfo (-R).
    public var writeRecoveryConfig: Bool
    /// Request an immediate checkpoint (`-c fast`) instead of waiting for the next one.
    public var fastCheckpoint: Bool
    /// Stream WAL during the backup (`-X stream`).
    public var streamWAL: Bool
    /// A replication slot to use (-S), created first when `createSlot` (-C).
    public var slot: String?
    /// Create `slot` on the primary.
    public var createSlot: Bool
    /// Throttle, e.g. `100M` (-r).
    public var maxRate: String?
    /// Report progress lines (-P).
    public var progress: Bool

    /// Settings for a standby at `pgdata` copied from `source`.
    public init(source: ConnectionTarget, pgdata: String, writeRecoveryConfig: Bool = true,
                fastCheckpoint: Bool = true, streamWAL: Bool = true, slot: String? = nil, createSlot: Bool = false,
                maxRate: String? = nil, progress: Bool = true) {
        self.source = source
        self.pgdata = pgdata
        self.writeRecoveryConfig = writeRecoveryConfig
        self.fastCheckpoint = fastCheckpoint
        self.streamWAL = streamWAL
        self.slot = slot
        self.createSlot = createSlot
        self.maxRate = maxRate
        self.progress = progress
    }

    /// pg_basebackup's arguments.
    public var arguments: [String] {
        var args = source.clientArguments + ["-D", pgdata, "-F", "p"]
        if writeRecoveryConfig { args.append("-R") }
        if fastCheckpoint { args += ["-c", "fast"] }
        args += ["-X", streamWAL ? "stream" : "fetch"]
        if let slot { args += ["-S", slot] }
        if createSlot { args.append("-C") }
        if let maxRate { args += ["-r", maxRate] }
        if progress { args.append("-P") }
        return args
    }

    /// `pg_verifybackup` of the finished copy: every file against the checksums of the backup manifest
    /// pg_basebackup wrote, and the WAL it needs parsed (quiet: only problems are printed).
    public func verification(_ binaries: PostgresBinaries) -> ProgramInvocation {
        ProgramInvocation(binaries.path("pg_verifybackup"), ["--quiet", pgdata])
    }

    /// The pg_basebackup run of `binaries` with these settings.
    public func invocation(_ binaries: PostgresBinaries) -> ProgramInvocation {
        ProgramInvocation(binaries.path("pg_basebackup"), arguments, environment: parseableEnvironment)
    }

    /// Reads a `-P` line such as `22816/22816 kB (100%), 1/1 tablespace` into (done kB, total kB).
    public static func progress(of line: String) -> (doneKB: Int, totalKB: Int)? {
        let text = line.trimmingWhitespace()
        guard let slash = text.firstIndex(of: "/"), let kb = text.range(of: " kB") else { return nil }
        guard slash < kb.lowerBound,
              let done = Int(text[..<slash]),
              let total = Int(text[text.index(after: slash)..<kb.lowerBound]) else { return nil }
        return (done, total)
    }
}
