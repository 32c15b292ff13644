import Foundation
import UpshiftPlan
import UpshiftPostgres
import UpshiftWire

extension LogicalContext {
    /// `subscribe`: the snapshots are let go (the copy is done), and each target database subscribes to its source
    /// database from the slot the snapshot came with: no initial copy, so it applies exactly what followed the
    /// snapshot. The step then watches the lag until it is under `lag_threshold` (re-run safe: a subscription
    /// that exists is kept).
    func subscribe() throws {
        SnapshotHolder.shared.release(run: request.runID) { if case .copy = $0 { true } else { false } }
        for (index, database) in databases.enumerated() {
            let target = try connect(.target, database: database)
            defer { target.close() }
            if try !Self.hasSubscription(names.forward, on: target) {
                let source = remoteConninfo(side: try primary(.source), database: database)
                _ = try target.simpleQuery("""
                    create subscription \(PostgresConnection.quoteIdentifier(names.forward)) connection \(Self.literal(source))
                    publication \(PostgresConnection.quoteIdentifier(names.forward))
                    with (create_slot = false, slot_name = \(Self.literal(names.forwardSlot(index))), copy_data = false, enabled = true)
                    """)
                log("\(database): subscribed from slot \(names.forwardSlot(index))")
            }
        }
        let threshold = plan.options.lagThresholdBytes ?? Self.defaultLagThreshold
        try waitForLag(under: threshold, upTo: Double(plan.options.catchUpTimeoutS))
    }

    /// The lag threshold when the plan sets none (1 MB).
    static let defaultLagThreshold: Int64 = 1 << 20

    /// How far each forward slot's confirmed position is behind the source's WAL, in bytes, by database.
    func forwardLag() throws -> [String: Int64] {
        let source = try connect(.source, database: "postgres")
        defer { source.close() }
        var lag: [String: Int64] = [:]
        for (index, database) in databases.enumerated() {
            let row = try source.query("""
                select pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint from pg_replication_slots where slot_name = $1
                """, [names.forwardSlot(index)]).rows.first
            guard let row else { throw AgentError("\(database): the forward slot \(names.forwardSlot(index)) is gone from the source") }
            lag[database] = Int64(row[0] ?? "") ?? Int64.max
        }
        return lag
    }

    /// Waits until every database's lag is under `threshold`, showing the largest lag as it shrinks.
    func waitForLag(under threshold: Int64, upTo seconds: Double, every interval: Double = 0.1) throws {
        var first: Int64?
        try wait(upTo: seconds, every: interval, for: "replication lag under \(threshold) bytes") {
            let worst = try forwardLag().values.max() ?? 0
            if first == nil { first = max(worst, 1) }
            emit(.progress(done: Double(max(0, first! - worst)) / 1024, total: Double(first!) / 1024, unit: "kB of lag applied"))
            return worst < threshold
        }
    }
}
