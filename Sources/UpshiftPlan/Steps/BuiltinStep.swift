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
    // Blue/green over logical replication (all run on the target primary's agent, which reaches the source
    // over libpq, except the rollbacks, where each side cleans its own cluster).
    /// A publication and a logical slot on the source, its exported snapshot held open for the copy.
    case snapshot
    /// The source's pre-data schema restored on the target at the snapshot, with the plan's transforms.
    case schemaPre = "schema-pre"
    /// Every replicated table's rows at the snapshot, by the native parallel copy.
    case data
    /// Indexes, constraints and the rest of the post-data schema, built once the rows are in.
    case schemaPost = "schema-post"
    /// The subscription on the target from the snapshot's slot, then lag watched until under the threshold.
    case subscribe
    /// The write window up to the switch: source fenced, DDL check, marker applied, sequences, large objects,
    /// checksums, the reverse path.
    case cutover
    /// Writes let in on the target: the logical plan's point of no return.
    case switchover = "switch"
    /// After the switch: foreign keys validated, statistics, the forward subscription and slot dropped.
    case post
    /// Not a step of the run: `upshift rollback RUN` after a switch, back to the source over the reverse path.
    case rollbackToSource = "rollback-to-source"
    /// Not a step of the run: `upshift finish RUN`, the reverse path dropped once the DBA is satisfied.
    case finish

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
        case .snapshot, .schemaPre, .schemaPost, .subscribe, .post, .finish: 6 * 3600
        case .data: 48 * 3600
        case .cutover, .switchover, .rollbackToSource: 3600
        }
    }
}
