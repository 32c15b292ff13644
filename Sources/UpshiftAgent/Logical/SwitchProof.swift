import Foundation
import UpshiftPlan
import UpshiftPostgres
import UpshiftWire

/// `verify: online` for a logical run: the content proof leaves the write window. `cutover` takes a snapshot of
/// each side once they hold the same rows (the source fenced, the marker applied on the target) and keeps it open;
/// `verify`, right after the switch, compares every table's row count and content hash at those two snapshots while
/// writes go to the target (and back to the source over the reverse path).
extension LogicalContext {
    /// Exports and holds a snapshot of `database` on both sides (in this agent's memory, until `verify` or a rollback).
    func holdSwitchSnapshots(_ database: String) throws {
        for side in [ClusterSide.source, .target] {
            // Not owned by the step: the session outlives it, until `verify` lets it go.
            let session = try PostgresConnection(conninfo: Self.unfenced(try conninfo(side, database: database)))
            do {
                _ = try session.simpleQuery("begin isolation level repeatable read read only")
                guard let id = try session.query("select pg_export_snapshot()").rows.first?.first ?? nil else {
                    throw AgentError("\(database): pg_export_snapshot() returned nothing on the \(side.rawValue)")
                }
                SnapshotHolder.shared.hold(session, id: id, run: request.runID, .atSwitch(side: side, database: database))
            } catch {
                session.close()
                throw error
            }
        }
        log("\(database): snapshots of both sides held for the content proof after the switch")
    }

    /// `verify` (logical, `verify: online`): every table of each database compared at the snapshots `cutover` held,
    /// source against target; the snapshots are let go. A difference fails the run past its switch, naming the tables.
    func verifyAtSwitch() throws {
        defer { SnapshotHolder.shared.release(run: request.runID) { if case .atSwitch = $0 { true } else { false } } }
        for database in databases {
            let ids = try [ClusterSide.source, .target].map { side in
                guard let id = SnapshotHolder.shared.id(run: request.runID, .atSwitch(side: side, database: database)) else {
                    throw AgentError("\(database): the snapshots the cutover held are gone (the agent restarted since), so the content "
                                     + "cannot be compared at the switch; compare by hand, or go back with `upshift rollback RUN`")
                }
                return id
            }
            let scope = switchScope(database)
            let expected = try takeChecksums(connect: { try atSnapshot(.source, ids[0], database: $0) }, includeUnlogged: false, scope: scope)
            let found = try takeChecksums(connect: { try atSnapshot(.target, ids[1], database: $0) }, includeUnlogged: false,
                                          following: expected, scope: scope)
            do {
                try compare(found, with: expected, reference: "the source at the switch")
            } catch {
                throw AgentError("\(error); the target took writes since the switch: `upshift rollback RUN` brings them back to the source")
            }
        }
    }

    /// What the content proof covers in `database`: every replicated table (not the run's own, not `skip:`).
    func switchScope(_ database: String) -> TableChecksums.Scope {
        TableChecksums.Scope(databases: [database], skippedSchemas: [LogicalNames.markerSchema, LogicalNames.copyLedgerSchema],
                             skippedTables: Set(plan.skip.map { "\(database).\($0)" }))
    }

    /// A session on `side` reading at the held snapshot `id`.
    private func atSnapshot(_ side: ClusterSide, _ id: String, database: String) throws -> PostgresConnection {
        let session = try connect(side, database: database)
        _ = try session.simpleQuery("begin isolation level repeatable read read only")
        _ = try session.simpleQuery("set transaction snapshot \(Self.literal(id))")
        return session
    }
}
