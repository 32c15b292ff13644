import Foundation
import UpshiftPlan
import UpshiftPostgres
import UpshiftWire

/// What a logical (blue/green) step needs: the plan, this host, the request's facts, how to report, and the
/// two clusters. The target primary's agent drives the run and reaches the source over libpq.
struct LogicalContext: StepContext {
    let plan: Plan
    let host: PlanHost
    let request: StepRequest
    let stateDirectory: String
    let emit: @Sendable (StepEventKind) -> Void
    let control: ProgramControl
    /// Where this run's point of no return (the switch) is journaled.
    let pointOfNoReturn: PointOfNoReturnLedger

    /// The names this run gives what it makes on both clusters.
    var names: LogicalNames { LogicalNames(run: request.runID) }

    var versions: PostgresVersions {
        get throws {
            guard let versions = plan.postgres else { throw AgentError("a logical plan needs postgres.from and postgres.to") }
            return versions
        }
    }

    /// The new version's client programs (pg_dump and pg_restore of the newer build read the older server).
    var newBinaries: PostgresBinaries { get throws { PostgresBinaries(bindir: try versions.to.bindir) } }

    /// The primary of one side.
    func primary(_ side: ClusterSide) throws -> PlanHost {
        guard let primary = plan.hosts.first(where: { $0.cluster == side && $0.role == .primary }) else {
            throw AgentError("the plan has no \(side.rawValue) primary")
        }
        return primary
    }

    /// Whether this host is the source primary (its agent cleans the source side in a rollback).
    var isSource: Bool { host.cluster == .source }

    /// A conninfo for `database` on one side's primary: by socket when it runs on this host, over TCP otherwise.
    func conninfo(_ side: ClusterSide, database: String) throws -> String {
        let primary = try primary(side)
        if primary.name == host.name {
            return try LocalCluster.running(pgdata: primary.pgdata).conninfo(database: database)
        }
        return remoteConninfo(side: primary, database: database)
    }

    /// How a server reaches one side's primary over TCP (what a subscription's CONNECTION says).
    func remoteConninfo(side primary: PlanHost, database: String) -> String {
        Conninfo.make(["host": primary.agentHost, "port": String(primary.port), "dbname": database, "application_name": "upshift-agent"])
    }

    /// Adds what lets the agent's own sessions write through a write fence (`default_transaction_read_only`).
    static func unfenced(_ conninfo: String) -> String {
        conninfo + " " + Conninfo.make(["options": "-c default_transaction_read_only=off"])
    }

    /// Whether the database `connection` is in has subscription `name`.
    static func hasSubscription(_ name: String, on connection: PostgresConnection) throws -> Bool {
        try !connection.query("""
            select 1 from pg_subscription where subname = $1 and subdbid = (select oid from pg_database where datname = current_database())
            """, [name]).rows.isEmpty
    }

    /// A session on one side's primary that writes through the fence and that a cancel of the step cancels.
    func connect(_ side: ClusterSide, database: String) throws -> PostgresConnection {
        try owned(PostgresConnection(conninfo: Self.unfenced(try conninfo(side, database: database))))
    }

    /// The source databases the plan replicates.
    var databases: [String] { plan.databases }

    /// The replication start of `database`, reported by `snapshot`.
    func start(of database: String) throws -> LogicalStart {
        let target = try primary(.target).name
        return try fact("replication start of \(database)", on: target) { $0.logicalStart?.database == database ? $0.logicalStart : nil }
    }

    /// A SQL string literal (for the few statements that take no parameters: SET TRANSACTION SNAPSHOT).
    static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// A `text[]` literal of `items` for a bound parameter (`= any($1::text[])`), every element quoted and escaped.
    static func textArray(_ items: [String]) -> String {
        "{" + items.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }

    /// `schema.table` quoted as an identifier pair.
    static func quoted(_ table: String) -> String {
        let parts = table.split(separator: ".", maxSplits: 1).map(String.init)
        return parts.map(PostgresConnection.quoteIdentifier).joined(separator: ".")
    }
}

/// The names a logical run gives the objects it makes, all from the run id, so a rollback or a resumed run
/// finds them without any other fact.
struct LogicalNames {
    let run: String

    /// The forward publication on each source database, and the forward subscription on each target database.
    var forward: String { "upshift_\(run)" }
    /// The forward slot of the database at `index` in `databases:` (slot names are cluster-wide).
    func forwardSlot(_ index: Int) -> String { "upshift_\(run)_\(index)" }
    /// The reverse publication on each target database, and the reverse subscription on each source database.
    var reverse: String { "upshift_\(run)_back" }
    /// The reverse slot (on the target) of the database at `index`.
    func reverseSlot(_ index: Int) -> String { "upshift_\(run)_back_\(index)" }
    /// The schema of the cutover marker table, on both sides.
    static let markerSchema = "upshift_cutover"
    /// The marker table, replicated with the rest: a row written through the source at the cutover, awaited on the target.
    static let markerTable = "upshift_cutover.marker"
    /// The schema holding the copy ledger on the target (`upshift.copy_table` keeps which ranges are done there).
    static let copyLedgerSchema = "upshift_copy"
}
