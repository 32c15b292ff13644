import Foundation

/// Strategy knobs, defaults filled in.
public struct PlanOptions: Sendable, Equatable {
    /// pg_upgrade transfer mode.
    public var transfer: TransferMode = .link
    /// Parallel jobs for pg_upgrade, pg_dump/restore and vacuumdb.
    public var jobs: Int = 2
    /// How upgraded standbys get the new version.
    public var standbys: StandbyMethod = .rsync
    /// Physical slots no upgraded standby of the plan uses (pg_upgrade carries none): re-created on the new
    /// primary or left behind. Slots the upgraded standbys use are always re-created.
    public var physicalSlots: SlotDecision = .recreate
    /// Logical slots of a source older than 17 (pg_upgrade cannot carry them): nil until the plan decides;
    /// preflight refuses a run that has some and no decision.
    public var logicalSlots: SlotDecision?
    /// How planner statistics are rebuilt after the upgrade (one of `PlanOptions.statisticsModes`).
    public var statistics: String = "analyze-in-stages"
    /// `logical`: replication lag under which writes may be fenced, as written (e.g. `1MB`).
    public var lagThreshold: String?
    /// `logical`: added to every sequence's value on the target at the switch (nil: `defaultSequenceMargin`).
    public var sequenceMargin: Int?
    /// `logical`: after the switch, replicate the new cluster back to the old one (the rollback route); on by
    /// default for logical plans.
    public var reverseReplication: Bool = false
    /// `logical`: what happens to the source's large objects, which logical replication does not carry.
    public var largeObjects: LargeObjectDecision = .copy
    /// `logical`: whether `schema-post` creates foreign keys checked, or NOT VALID and checked by `post` after the switch.
    public var foreignKeys: ForeignKeyCreation = .validate

    /// The sequence margin when the plan sets none.
    public static let defaultSequenceMargin = 1000
    /// `logical`: how long catch-up may take before the step fails, in seconds.
    public var catchUpTimeoutS: Int = 3600
    /// Preflight restores a schema-only dump into a scratch new cluster (it catches what `pg_upgrade --check`
    /// misses); off only to rehearse what happens without it.
    public var schemaRestoreCheck: Bool = true
    /// What an in-place run proves about the data, and where (`verify:`).
    public var verify: VerifyMode = .fenced
    /// Seconds without a word from an agent (it answers a heartbeat every second) before its link counts as lost.
    public var heartbeatTimeoutS: Int = 10
    /// Seconds the coordinator keeps trying to re-attach to a host's running step over a lost link before the
    /// step counts as failed on that host.
    public var reattachTimeoutS: Int = 120
    /// Deadlines by step id (`step_timeouts:`), in seconds, over `BuiltinStep.defaultTimeoutS`.
    public var stepTimeoutsS: [String: Int] = [:]

    /// The deadline of step `stepID` in seconds: the plan's, else the built-in step's default, else six hours
    /// (a hook or SQL step is also bounded by the hook limits).
    public func stepTimeoutS(for stepID: String) -> Int {
        stepTimeoutsS[stepID] ?? BuiltinStep(rawValue: stepID)?.defaultTimeoutS ?? 6 * 3600
    }

    /// The accepted values of `statistics`.
    public static let statisticsModes = ["analyze-in-stages", "analyze", "none"]

    /// `lagThreshold` in bytes (PostgreSQL size units: B, kB, MB, GB, TB; 1024-based).
    public var lagThresholdBytes: Int64? { lagThreshold.flatMap(PlanOptions.parseSize) }

    /// Parses `123`, `64kB`, `1MB`, `2 GB` into bytes; nil when malformed.
    static func parseSize(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let value = Int64(digits) else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        let factors: [String: Int64] = ["": 1, "B": 1, "kB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40]
        guard let factor = factors[unit] else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: factor)
        return overflow ? nil : product
    }
}

/// pg_upgrade's file transfer mode.
public enum TransferMode: String, Sendable, Equatable, CaseIterable, Codable {
    /// Hard links (`--link`): fastest, the old cluster is unusable once the new one starts.
    case link
    /// Reflinks (`--clone`).
    case clone
    /// Full copy (`--copy`).
    case copy
    /// Move directories (`--swap`, PostgreSQL 18+).
    case swap
}

/// What happens to replication slots pg_upgrade does not carry.
public enum SlotDecision: String, Sendable, Equatable, CaseIterable, Codable {
    /// Created again on the new primary once it starts (a logical slot starts at the new primary's position).
    case recreate
    /// Not created again; listed in the report.
    case drop
}

/// What a logical plan does with large objects (logical replication does not carry them).
public enum LargeObjectDecision: String, Sendable, Equatable, CaseIterable, Codable {
    /// Copied inside the cutover's write fence.
    case copy
    /// Preflight refuses a source that has any.
    case refuse
}

/// `logical`: how `schema-post` creates the target's foreign keys (`foreign_keys:`).
public enum ForeignKeyCreation: String, Sendable, Equatable, CaseIterable, Codable {
    /// Created checked, each scanning its table before the cutover.
    case validate
    /// Created NOT VALID (no scan; new rows are checked from then on), validated by `post` after the switch
    /// without blocking writes. On PostgreSQL 17 and earlier a partitioned table's keys are created checked.
    case notValid = "not_valid"
}

/// How upgraded standbys get the new version.
public enum StandbyMethod: String, Sendable, Equatable, CaseIterable, Codable {
    /// The documented rsync hard-link sync while everything is stopped.
    case rsync
    /// Rebuilt from the new primary with pg_basebackup after it starts.
    case basebackup
}

/// The availability probe run during the upgrade.
public struct ProbeSettings: Sendable, Equatable {
    /// Whether the probe runs at all.
    public var enabled: Bool = true
    /// Conninfo the probe writes through; nil means the primary's address.
    public var write: String?
    /// Conninfo the probe reads through; nil means the first upgraded standby.
    public var read: String?
    /// Milliseconds between probes.
    public var intervalMS: Int = 50
    /// The schema holding the probe's table on the write endpoint; created for the run, dropped after it,
    /// and never compared by verify.
    public var schema: String = "upshift_probe"
}

/// The rehearsal fleet `upshift run --rehearsal` runs the plan against instead of `hosts:`.
public struct RehearsalSettings: Sendable, Equatable {
    /// The rehearsal fleet, in the same form as the plan's hosts.
    public var hosts: [PlanHost]
    /// Probe endpoints on the rehearsal fleet; nil means the rehearsal primary's and standby's addresses
    /// (a rehearsal never probes the production endpoints named in `probe:`).
    public var probeWrite: String?
    public var probeRead: String?
}

/// What an in-place run proves about the data, and whether the proof sits inside the write window.
public enum VerifyMode: String, Sendable, Equatable, CaseIterable, Codable {
    /// Every table's row count and content hash, old vs new, taken while writes are stopped: the new primary
    /// starts read-only and takes writes only once they match. The window grows with the data.
    case fenced
    /// Only work the size of the catalog inside the window: before the new primary may start, every relation
    /// file of the old catalog must be in the new cluster (in link mode the same inode, otherwise the same
    /// size); after writes resume, every relation of the old catalog must be in the new one. Row contents are
    /// not compared.
    case structural
    /// The structural proof inside the window, then the content proof once writes flow again, against
    /// references that outlive the window: every table's row count and content hash on a `keep_old` standby
    /// (the old cluster at the shutdown checkpoint) and on each upgraded standby, its replay held at the new
    /// primary's start until compared. Needs a keep_old standby and a standby synced by rsync. In a logical
    /// plan: `cutover` holds a snapshot of each side once they hold the same rows, and `verify` compares them
    /// after the switch.
    case online

    /// One line for `upshift plan`: what a run of `strategy` will prove.
    public func proofSummary(_ strategy: Strategy) -> String {
        switch (self, strategy) {
        case (.fenced, .logical):
            "every table's row count and content hash, source vs target, before the switch (inside the write window)"
        case (.online, .logical):
            "online: every table's row count and content hash, source vs target, compared after the switch at snapshots "
                + "both sides took in the cutover once they held the same rows"
        case (.fenced, _):
            "every table's row count and content hash, old vs new, before writes resume (inside the write window)"
        case (.structural, _):
            "structural: every relation file of the old catalog carried into the new cluster before it starts; "
                + "row contents are not compared"
        case (.online, _):
            "online: the structural proof inside the write window, then every table's row count and content hash "
                + "compared after writes resume (the keep_old standby, still at the old primary's last state, against "
                + "each upgraded standby held at the new primary's start)"
        }
    }
}
