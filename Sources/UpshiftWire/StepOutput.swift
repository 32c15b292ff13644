import Foundation

/// A fact a step reports for later steps, one typed case per fact. Agents journal a step's outputs with its
/// end and replay them; the coordinator journals them and hands every later step the facts of the run.
public enum StepOutput: Codable, Sendable, Equatable {
    /// `init-new`: the role initdb made the new cluster's owner (pg_upgrade and later steps connect as it).
    case installUser(name: String)
    /// `stop-primary`: the old primary's shutdown checkpoint location, which every standby must have replayed.
    case shutdownCheckpoint(lsn: String)
    /// `stop-primary`: every user table's row count and content hash at the shutdown checkpoint.
    case tableChecksums(checksums: TableChecksums)
    /// `pg-upgrade` on the primary: where its rsync daemon listens and the tablespaces it serves.
    case syncEndpoint(port: Int, tablespaces: [SyncTablespace])
    /// `verify`: one table compared, old cluster against new.
    case tableVerified(verification: TableVerification)
    /// `start-primary`: the agent journaled that the new primary may start; nothing rolls back past it.
    case pointOfNoReturn(at: Date)
    /// `stop-standbys` and `detach-keep-old`: the replication slot this standby streams through on the primary.
    case standbySlot(name: String)
    /// `stop-primary` (before) and `start-primary` (after): the cluster's slots, publications and subscriptions.
    case replication(moment: ReplicationMoment, shape: ReplicationShape)
    /// `stop-primary` under `verify: structural`: every user relation with storage and where its files are.
    case relationFiles(relations: [RelationFile])
    /// `start-primary` (the files) and `verify` (the new catalog) under `verify: structural`: what the proof covered.
    case structuralProof(proof: StructuralProofResult)
    /// `snapshot` (logical): where one source database's replication starts.
    case logicalStart(start: LogicalStart)
    /// `schema-pre` (logical): the target databases this run created, which a rollback before the switch drops.
    case createdDatabases(names: [String])

    /// What the fact is about: a later fact with the same host and key replaces an earlier one.
    public var key: String {
        switch self {
        case .installUser: "install-user"
        case .shutdownCheckpoint: "shutdown-checkpoint"
        case .tableChecksums: "table-checksums"
        case .syncEndpoint: "sync-endpoint"
        case .tableVerified(let verification): "verify.\(verification.table)"
        case .pointOfNoReturn: "point-of-no-return"
        case .standbySlot: "standby-slot"
        case .replication(let moment, _): "replication.\(moment.rawValue)"
        case .relationFiles: "relation-files"
        case .structuralProof(let proof): "structural-proof.\(proof.stage.rawValue)"
        case .logicalStart(let start): "logical-start.\(start.database)"
        case .createdDatabases: "created-databases"
        }
    }

    /// The old catalog's relations, for `relationFiles`.
    public var relationFiles: [RelationFile]? { if case .relationFiles(let relations) = self { relations } else { nil } }

    /// What the structural proof covered, for `structuralProof`.
    public var structuralProof: StructuralProofResult? { if case .structuralProof(let proof) = self { proof } else { nil } }

    /// One database's replication start, for `logicalStart`.
    public var logicalStart: LogicalStart? { if case .logicalStart(let start) = self { start } else { nil } }
    /// The databases a logical run created on the target, for `createdDatabases`.
    public var createdDatabases: [String]? { if case .createdDatabases(let names) = self { names } else { nil } }

    /// The install user, for `installUser`.
    public var installUser: String? { if case .installUser(let user) = self { user } else { nil } }
    /// The checkpoint LSN, for `shutdownCheckpoint`.
    public var shutdownCheckpoint: String? { if case .shutdownCheckpoint(let lsn) = self { lsn } else { nil } }
    /// The checksums, for `tableChecksums`.
    public var tableChecksums: TableChecksums? { if case .tableChecksums(let sums) = self { sums } else { nil } }
    /// The rsync daemon's port and tablespaces, for `syncEndpoint`.
    public var syncEndpoint: (port: Int, tablespaces: [SyncTablespace])? {
        if case .syncEndpoint(let port, let tablespaces) = self { (port, tablespaces) } else { nil }
    }
    /// The comparison, for `tableVerified`.
    public var tableVerified: TableVerification? { if case .tableVerified(let verification) = self { verification } else { nil } }
    /// The slot name, for `standbySlot`.
    public var standbySlot: String? { if case .standbySlot(let name) = self { name } else { nil } }
    /// The old primary's replication shape, for `replication(.before, …)`.
    public var replicationBefore: ReplicationShape? { if case .replication(.before, let shape) = self { shape } else { nil } }
    /// The new primary's replication shape, for `replication(.after, …)`.
    public var replicationAfter: ReplicationShape? { if case .replication(.after, let shape) = self { shape } else { nil } }
    /// True for `pointOfNoReturn`.
    public var isPointOfNoReturn: Bool { if case .pointOfNoReturn = self { true } else { false } }
}

/// A fact as a run holds it: which host's step reported it.
public struct HostFact: Codable, Sendable, Equatable {
    /// The plan host whose step reported it.
    public var host: String
    public var output: StepOutput

    public init(host: String, output: StepOutput) {
        self.host = host
        self.output = output
    }
}

/// Values the coordinator makes for one run and keeps with it (mode 0600), never journaled.
public struct RunSecrets: Codable, Sendable, Equatable {
    /// The one-time password of the primary's rsync daemon for this run's standby sync.
    public var syncSecret: String

    public init(syncSecret: String) {
        self.syncSecret = syncSecret
    }
}

/// Row count and an order-independent content hash of every user table, per database: what `verify` compares.
public struct TableChecksums: Codable, Sendable, Equatable {
    /// One table's figures.
    public struct Entry: Codable, Sendable, Equatable {
        public var rows: Int64
        public var hash: String
        /// How rows were hashed; the old side chooses and verify follows it.
        public var method: HashMethod

        public init(rows: Int64, hash: String, method: HashMethod) {
            self.rows = rows
            self.hash = hash
            self.method = method
        }
    }

    /// How a table's rows are hashed: `record` (hash_record_extended, the types' own hash functions, which
    /// PostgreSQL keeps stable across versions for hash partitioning) or `text` (the row's text form, for
    /// tables with a column type that has no hash function).
    public enum HashMethod: String, Codable, Sendable {
        case record, text
    }

    /// Keyed `database.schema.table`.
    public var tables: [String: Entry]

    public init(tables: [String: Entry]) {
        self.tables = tables
    }
}

/// One table compared by `verify`: its rows in the old cluster (nil when it had none) and the new.
public struct TableVerification: Codable, Sendable, Equatable {
    /// `database.schema.table`.
    public var table: String
    public var oldRows: Int64?
    public var newRows: Int64
    /// Same rows and same content hash.
    public var matches: Bool

    public init(table: String, oldRows: Int64?, newRows: Int64, matches: Bool) {
        self.table = table
        self.oldRows = oldRows
        self.newRows = newRows
        self.matches = matches
    }
}

/// One tablespace the primary's rsync daemon serves besides the data directories. pg_upgrade leaves the new
/// version's files in a sibling of the old version's folder inside the tablespace's location (`PG_15_…` and
/// `PG_17_…`); the docs' per-tablespace rsync line sends both, so that the new one's files hard-link to the old one's.
public struct SyncTablespace: Codable, Sendable, Equatable {
    /// The tablespace's OID: the name of its symlink in `pg_tblspc`, the same on the primary and its standbys.
    public let oid: UInt32
    /// Its location on the primary.
    public let location: String
    /// The old version's folder inside the location, e.g. `PG_15_202209061`.
    public let oldSubdir: String
    /// The new version's folder, e.g. `PG_17_202406281`.
    public let newSubdir: String

    public init(oid: UInt32, location: String, oldSubdir: String, newSubdir: String) {
        self.oid = oid
        self.location = location
        self.oldSubdir = oldSubdir
        self.newSubdir = newSubdir
    }
}

/// Whether a replication shape was read on the old primary before the upgrade or on the new one after it.
public enum ReplicationMoment: String, Codable, Sendable {
    case before, after
}

/// What a cluster streams and publishes: its replication slots, publications and subscriptions.
public struct ReplicationShape: Codable, Sendable, Equatable {
    public var slots: [ReplicationSlot]
    /// `database.publication`.
    public var publications: [String]
    public var subscriptions: [SubscriptionState]

    public init(slots: [ReplicationSlot] = [], publications: [String] = [], subscriptions: [SubscriptionState] = []) {
        self.slots = slots
        self.publications = publications
        self.subscriptions = subscriptions
    }
}

/// One replication slot and, after the upgrade, what the run did with it.
public struct ReplicationSlot: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case physical, logical }
    public var name: String
    public var kind: Kind
    /// The output plugin of a logical slot.
    public var plugin: String?
    /// The database of a logical slot.
    public var database: String?
    /// Where the slot's consumer resumes: a logical slot's confirmed position, else its restart position.
    public var lsn: String?
    /// What the run did with it (after the upgrade): re-created, carried, dropped, and for whom.
    public var action: String?

    public init(name: String, kind: Kind, plugin: String? = nil, database: String? = nil, lsn: String? = nil, action: String? = nil) {
        self.name = name
        self.kind = kind
        self.plugin = plugin
        self.database = database
        self.lsn = lsn
        self.action = action
    }
}

/// One subscription as the catalog shows it.
public struct SubscriptionState: Codable, Sendable, Equatable {
    /// `database.subscription`.
    public var name: String
    public var enabled: Bool
    /// The publisher-side slot it uses, if any.
    public var slot: String?

    public init(name: String, enabled: Bool, slot: String?) {
        self.name = name
        self.enabled = enabled
        self.slot = slot
    }
}

/// A user relation with storage as the old catalog holds it: what the structural proof looks for in the new cluster.
public struct RelationFile: Codable, Sendable, Equatable {
    /// `database.schema.relation`.
    public var name: String
    /// `pg_class.relkind`: `r` table, `i` index, `S` sequence, `t` TOAST table, `m` materialized view.
    public var kind: String
    /// Its main fork's path under the data directory (`pg_relation_filepath`); pg_upgrade keeps the file
    /// number, so the new cluster's file has the same path but for a tablespace's version folder.
    public var path: String

    public init(name: String, kind: String, path: String) {
        self.name = name
        self.kind = kind
        self.path = path
    }

    /// Whether pg_upgrade carries its files: every relation with storage but sequences, whose data it
    /// restores through SQL (their files are made anew).
    public var filesCarried: Bool { kind != "S" }
}

/// What one stage of the structural proof covered.
public struct StructuralProofResult: Codable, Sendable, Equatable {
    /// `files`: before the new primary starts, each relation's files are in the new cluster; `catalog`: after it
    /// started, the new catalog names every relation of the old one.
    public enum Stage: String, Codable, Sendable { case files, catalog }
    /// How a file was matched with the old one.
    public enum Match: String, Codable, Sendable {
        /// The very same inode (link mode).
        case sameFile = "same-file"
        /// The same size (clone and copy mode).
        case sameSize = "same-size"
        /// Present under the same file number (swap mode, which moves them).
        case present

        /// How a message words it.
        public var described: String {
            switch self {
            case .sameFile: "each the old file itself"
            case .sameSize: "each of the old size"
            case .present: "each present under its file number"
            }
        }
    }

    public var stage: Stage
    public var relations: Int
    /// Files and bytes checked (the `files` stage).
    public var files: Int
    public var bytes: Int64
    public var match: Match?

    public init(stage: Stage, relations: Int, files: Int = 0, bytes: Int64 = 0, match: Match? = nil) {
        self.stage = stage
        self.relations = relations
        self.files = files
        self.bytes = bytes
        self.match = match
    }
}
