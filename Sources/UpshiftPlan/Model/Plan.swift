/// A validated upgrade plan, as read from a plan file.
public struct Plan: Sendable, Equatable {
    /// The plan format version (always 1).
    public var version: Int
    /// The plan's name (used for run directories and reports).
    public var name: String
    /// How the upgrade is carried out.
    public var strategy: Strategy
    /// Old and new PostgreSQL installs; nil only for a `custom` runbook that upgrades nothing.
    public var postgres: PostgresVersions?
    /// Where the coordinator finds its mutual-TLS material.
    public var tls: TLSSettings
    /// Every host in plan order (for `logical`: the source hosts, then the target hosts).
    public var hosts: [PlanHost]
    /// Strategy knobs, defaults filled in.
    public var options: PlanOptions
    /// The availability probe run during the upgrade.
    public var probe: ProbeSettings
    /// The rehearsal fleet, when the plan names one.
    public var rehearsal: RehearsalSettings?
    /// Hooks attached before or after strategy steps, in plan order.
    public var hooks: [HookSpec]
    /// The runbook of a `custom` plan (empty for the other strategies).
    public var steps: [CustomStepSpec]
    /// Databases replicated by a `logical` plan.
    public var databases: [String]
    /// Column type changes applied on the target of a `logical` plan.
    public var transforms: [Transform]
    /// Tables a `logical` plan leaves out of replication (`schema.table`).
    public var skip: [String]
    /// Tables without a primary key that a `logical` plan replicates with `REPLICA IDENTITY FULL` (`schema.table`).
    public var replicaIdentityFull: [String]
    /// Free-form values handed to every hook as `ctx.vars`.
    public var vars: [String: String]
    /// Absolute directory of the plan file; relative paths in the plan were resolved against it.
    public var planDirectory: String
}

extension Plan {
    /// The same plan aimed at its rehearsal fleet: the rehearsal hosts replace `hosts:`, and the probe
    /// uses the rehearsal endpoints (or the rehearsal hosts' own addresses), never the production ones.
    public func forRehearsal() -> Plan? {
        guard let rehearsal else { return nil }
        var plan = self
        plan.hosts = rehearsal.hosts
        plan.probe.write = rehearsal.probeWrite
        plan.probe.read = rehearsal.probeRead
        return plan
    }
}

/// How a plan upgrades its cluster.
public enum Strategy: String, Sendable, Equatable, CaseIterable, Codable {
    /// pg_upgrade of the primary, standbys re-synced or rebuilt.
    case inplace
    /// Blue/green: a new cluster fed by logical replication, then a switch.
    case logical
    /// The plan's own `steps:` runbook (site-specific procedures, machinery tests).
    case custom
}

/// The old and the new PostgreSQL install.
public struct PostgresVersions: Sendable, Equatable {
    /// The install the cluster runs today.
    public var from: PostgresInstall
    /// The install the cluster is upgraded to.
    public var to: PostgresInstall
}

/// One PostgreSQL install on the database hosts.
public struct PostgresInstall: Sendable, Equatable {
    /// Major version, e.g. 15.
    public var version: Int
    /// Absolute path of its `bin` directory on the database hosts.
    public var bindir: String
}

/// The coordinator's TLS material (from `upshift certs init`).
public struct TLSSettings: Sendable, Equatable {
    /// Absolute directory, resolved against the plan directory.
    public var dir: String
}

/// A column type change applied on a `logical` plan's target (referencing FK columns follow).
public struct Transform: Sendable, Equatable {
    /// `schema.table` of the column.
    public var table: String
    /// The column whose type changes.
    public var column: String
    /// The new SQL type, e.g. `bigint`.
    public var type: String
    /// Where the plan names it (`FILE:LINE:COL`), for errors found on the real source.
    public var location: String
}
