/// The steps the strategies are made of, which agents carry out themselves; the raw value is the step id
/// `upshift plan` prints and hooks name in `at:`.
public enum BuiltinStep: String, Sendable, Equatable, CaseIterable, Codable {
    // In place (pg_upgrade).
    case preflight
    case initNew = "init-new"
    case stopPrimary = "stop-primary"
    case detachKeepOld = "detach-keep-old"
    case stopStandbys = "stop-standbys"
    case pgUpgrade = "pg-upgrade"
    case syncStandbys = "sync-standbys"
    case startPrimary = "start-primary"
    case startStandbys = "start-standbys"
    case basebackupStandbys = "basebackup-standbys"
    case verify
    case verifyStandbys = "verify-standbys"
    /// `verify: online`: the keep_old standby's table checksums, the old side's reference.
    case checksumKeepOld = "checksum-keep-old"
    case statistics
    /// Not a step of the run: asked of every host when an in-place run fails before its point of no return.
    case rollback
    // Blue/green over logical replication.
    case schema
    case data
    case catchUp = "catch-up"
    case fenceWrites = "fence-writes"
    case sequences
    case switchover = "switch"
    case reverseReplication = "reverse-replication"

    /// The step id.
    public var id: String { rawValue }

    /// The deadline when the plan sets none, in seconds: generous for the steps whose time grows with the
    /// data, short for the ones that only start or stop a server.
    public var defaultTimeoutS: Int {
        switch self {
        case .preflight, .startStandbys, .rollback: 1800
        case .initNew: 600
        case .detachKeepOld, .stopStandbys, .startPrimary: 900
        case .stopPrimary, .verify, .verifyStandbys, .checksumKeepOld: 4 * 3600
        case .pgUpgrade, .syncStandbys: 12 * 3600
        case .basebackupStandbys, .statistics: 48 * 3600
        case .schema, .data, .catchUp, .fenceWrites, .sequences, .switchover, .reverseReplication: 6 * 3600
        }
    }
}
