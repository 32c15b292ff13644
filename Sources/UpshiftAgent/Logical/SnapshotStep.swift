import Foundation
import UpshiftPlan
import UpshiftPostgres
import UpshiftWire

extension LogicalContext {
    /// `snapshot`: per database, on the source: the marker table, REPLICA IDENTITY FULL where the plan asks, a
    /// publication of every permanent table but `skip:`, then a logical slot whose exported snapshot the agent
    /// holds open for the schema dump and the copy. The publication comes first: decoding reads it as of each change.
    func snapshot() throws {
        for (index, database) in databases.enumerated() {
            let source = try connect(.source, database: database)
            defer { source.close() }
            let catalog = SourceCatalog(source, probeSchema: plan.probe.schema)
            _ = try source.simpleQuery("""
                create schema if not exists \(LogicalNames.markerSchema);
                create table if not exists \(LogicalNames.markerTable) (token text primary key, written_at timestamptz not null default now())
                """)
            let permanent = try catalog.permanentTables()
            for table in plan.replicaIdentityFull where permanent.contains(table) {
                _ = try source.simpleQuery("alter table \(Self.quoted(table)) replica identity full")
                log("\(database): \(table) replicates with REPLICA IDENTITY FULL")
            }
            let tables = permanent.filter { !plan.skip.contains($0) }
            let listed = (tables + [LogicalNames.markerTable]).map(Self.quoted).joined(separator: ", ")
            _ = try source.simpleQuery("create publication \(PostgresConnection.quoteIdentifier(names.forward)) for table \(listed)")

            let replication = try owned(PostgresConnection(conninfo: try conninfo(.source, database: database) + " replication=database"))
            let slot = try replication.simpleQuery(
                "CREATE_REPLICATION_SLOT \(PostgresConnection.quoteIdentifier(names.forwardSlot(index))) LOGICAL pgoutput EXPORT_SNAPSHOT")
            guard let lsn = slot.value(0, "consistent_point"), let snapshot = slot.value(0, "snapshot_name") else {
                replication.close()
                throw AgentError("\(database): CREATE_REPLICATION_SLOT returned no consistent point or snapshot")
            }
            SnapshotHolder.shared.hold(replication, run: request.runID, .copy(database: database))
            // The fingerprint as of the snapshot: what the cutover compares the source's schema with.
            _ = try source.simpleQuery("begin isolation level repeatable read read only")
            _ = try source.simpleQuery("set transaction snapshot \(Self.literal(snapshot))")
            let fingerprint = try catalog.fingerprint()
            _ = try source.simpleQuery("commit")
            output(.logicalStart(start: LogicalStart(database: database, lsn: lsn, snapshot: snapshot, schemaFingerprint: fingerprint, tables: tables)))
            log("\(database): \(tables.count) tables published; slot \(names.forwardSlot(index)) at \(lsn), snapshot \(snapshot) held")
        }
    }

    /// The exported snapshot of `database`, failing when this agent no longer holds it (it restarted).
    func heldSnapshot(_ database: String) throws -> String {
        let start = try start(of: database)
        guard SnapshotHolder.shared.isHeld(run: request.runID, .copy(database: database)) else {
            throw AgentError("\(database): the snapshot \(start.snapshot) is no longer held (the agent restarted since the snapshot step), "
                             + "so the copy cannot be consistent with the slot; the run rolls back and can be started again")
        }
        return start.snapshot
    }
}
