import Foundation
import UpshiftPlan
import UpshiftPostgres
import UpshiftWire

extension LogicalContext {
    /// `switch`: the reverse path made (unless `reverse_replication: false`), then the point of no return, journaled,
    /// then the target's fence lifted: writes are let in on the target. The step ends once a new session there is
    /// writable. Traffic hooks attach `after:switch`.
    func switchover() throws {
        if plan.options.reverseReplication { try makeReversePath() }
        try pointOfNoReturn.cross(emit: emit)
        let admin = try connect(.target, database: "postgres")
        defer { admin.close() }
        try WriteFence.lift(admin)
        try wait(upTo: 30, every: 0.005, for: "new sessions on the target to be writable") {
            let session = try PostgresConnection(conninfo: try conninfo(.target, database: databases.first ?? "postgres"))
            defer { session.close() }
            return try session.query("select current_setting('default_transaction_read_only')").rows.first?.first == "off"
        }
        log("writes accepted on the target \(host.name)")
    }

    /// `post`: the forward subscriptions and their slots dropped (the source is fenced; nothing more comes that
    /// way), the forward publication with them, the foreign keys `schema-post` left NOT VALID validated, and on 18
    /// the statistics still missing on the target built (re-run safe).
    func post() throws {
        for database in databases {
            try dropSubscription(names.forward, side: .target, database: database)
            let source = try connect(.source, database: database)
            _ = try source.simpleQuery("drop publication if exists \(PostgresConnection.quoteIdentifier(names.forward))")
            source.close()
        }
        try dropSlots(prefix: "\(names.forward)_", side: .source, except: "\(names.reverse)_")
        if plan.options.foreignKeys == .notValid {
            for database in databases {
                log("\(database): \(try validateDeferredForeignKeys(database)) foreign keys validated")
            }
        }
        // `schema-post` analyzed every table before the switch; 18 can fill in only what is missing (the run's own
        // tables, anything made since), which earlier versions' autovacuum does on its own.
        guard try versions.to.version >= 18 else {
            log("forward path dropped; statistics were built before the switch")
            return
        }
        let cluster = try LocalCluster.running(pgdata: host.pgdata)
        let target = ConnectionTarget(host: cluster.socketDirectory ?? cluster.listenAddress ?? "127.0.0.1", port: cluster.port)
        try run(VacuumDB.analyzeMissing(try newBinaries, target: target, jobs: plan.options.jobs))
        log("forward path dropped; missing statistics built on the target")
    }

    /// Drops subscription `name` in `database` on `side` if it is there, without reaching its publisher (its slot,
    /// on the other side, is dropped by `dropSlots`).
    func dropSubscription(_ name: String, side: ClusterSide, database: String) throws {
        guard try databaseExists(database, on: side) else { return }
        let connection = try connect(side, database: database)
        defer { connection.close() }
        let quoted = PostgresConnection.quoteIdentifier(name)
        guard try Self.hasSubscription(name, on: connection) else { return }
        _ = try connection.simpleQuery("alter subscription \(quoted) disable")
        _ = try connection.simpleQuery("alter subscription \(quoted) set (slot_name = none)")
        _ = try connection.simpleQuery("drop subscription \(quoted)")
    }

    /// Drops the slots on `side` whose names start with `prefix` (but not `except`), ending the WAL senders that
    /// hold them first: a forgotten slot pins WAL until the disk fills.
    func dropSlots(prefix: String, side: ClusterSide, except: String? = nil) throws {
        let admin = try connect(side, database: "postgres")
        defer { admin.close() }
        let pattern = prefix.replacingOccurrences(of: "_", with: "\\_") + "%"
        let excluded = except.map { $0.replacingOccurrences(of: "_", with: "\\_") + "%" } ?? ""
        try wait(upTo: 60, every: 0.05, for: "the run's slots on the \(side.rawValue) to be dropped") {
            let slots = try admin.query("""
                select slot_name, active_pid from pg_replication_slots where slot_name like $1 and ($2 = '' or slot_name not like $2)
                """, [pattern, excluded]).rows
            for slot in slots {
                guard let name = slot[0] else { continue }
                if let pid = slot[1] {
                    _ = try admin.query("select pg_terminate_backend($1::int)", [pid])
                    continue
                }
                _ = try? admin.query("select pg_drop_replication_slot($1)", [name])
            }
            return slots.isEmpty
        }
    }

    /// Whether `database` exists on `side`.
    func databaseExists(_ database: String, on side: ClusterSide) throws -> Bool {
        let admin = try connect(side, database: "postgres")
        defer { admin.close() }
        return try !admin.query("select 1 from pg_database where datname = $1", [database]).rows.isEmpty
    }
}
