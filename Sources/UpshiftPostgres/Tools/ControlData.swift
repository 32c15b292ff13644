/// pg_controldata parsed.
public struct ControlData: Sendable {
    /// Every `key: value` line as printed.
    public var raw: [String: String]
    /// `shut down`, `in production`, `shut down in recovery`, `in archive recovery`, ….
    public var clusterState: String
    /// The latest checkpoint's LSN, e.g. `0/1A2B3C8`.
    public var latestCheckpointLocation: String
    /// 0 without data checksums, 1 with them.
    public var dataChecksumVersion: Int
    /// Bytes per WAL segment (16 MiB unless initdb --wal-segsize).
    public var walSegmentSize: Int
    /// The catalog version number; pg_upgrade needs it to differ between majors.
    public var catalogVersion: Int?
    /// The database system identifier, as text (it exceeds Int64 in some builds' printing).
    public var systemIdentifier: String

    /// Whether the cluster was shut down cleanly (a primary or a standby).
    public var isCleanlyShutDown: Bool {
        clusterState == "shut down" || clusterState == "shut down in recovery"
    }

    /// The latest checkpoint's timeline.
    public var timeline: Int? { raw["Latest checkpoint's TimeLineID"].flatMap { Int($0) } }

    /// Parses the output of `pg_controldata` run with LC_MESSAGES=C.
    public static func parse(_ output: String) throws -> ControlData {
        var raw: [String: String] = [:]
        for line in output.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon]).trimmingWhitespace()
            raw[key] = String(line[line.index(after: colon)...]).trimmingWhitespace()
        }
        func require(_ key: String) throws -> String {
            guard let value = raw[key], !value.isEmpty else {
                throw OutputParseError(program: "pg_controldata", message: "no \"\(key)\" line")
            }
            return value
        }
        func requireInt(_ key: String) throws -> Int {
            let text = try require(key)
            guard let value = Int(text) else {
                throw OutputParseError(program: "pg_controldata", message: "\"\(key)\" is not a number: \(text)")
            }
            return value
        }
        return ControlData(raw: raw,
                           clusterState: try require("Database cluster state"),
                           latestCheckpointLocation: try require("Latest checkpoint location"),
                           dataChecksumVersion: try requireInt("Data page checksum version"),
                           walSegmentSize: try requireInt("Bytes per WAL segment"),
                           catalogVersion: raw["Catalog version number"].flatMap { Int($0) },
                           systemIdentifier: try require("Database system identifier"))
    }

    /// The invocation that prints the control file of `pgdata`.
    public static func invocation(_ binaries: PostgresBinaries, pgdata: String) -> ProgramInvocation {
        ProgramInvocation(binaries.path("pg_controldata"), ["-D", pgdata], environment: parseableEnvironment)
    }

    /// Runs pg_controldata on `pgdata` and parses it.
    public static func read(_ binaries: PostgresBinaries, pgdata: String,
                            launcher: ProgramLauncher = .direct) throws -> ControlData {
        try parse(launcher.run(invocation(binaries, pgdata: pgdata)).requireSuccess().stdout)
    }
}

/// English messages, so that parsers read what they expect whatever the host's locale.
let parseableEnvironment = ["LC_MESSAGES": "C", "LANGUAGE": "C"]
