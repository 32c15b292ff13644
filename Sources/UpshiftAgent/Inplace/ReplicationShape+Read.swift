import Foundation
import UpshiftPostgres
import UpshiftWire

extension ReplicationShape {
    /// Reads a running cluster's replication slots, its publications (in every database that takes
    /// connections) and its subscriptions; `connect` opens a connection to a database by name.
    static func read(connect: (String) throws -> PostgresConnection) throws -> ReplicationShape {
        let first = try connect("postgres")
        defer { first.close() }
        let slots = try first.query("""
            select slot_name, slot_type, plugin, database, coalesce(confirmed_flush_lsn, restart_lsn)::text
            from pg_replication_slots where not temporary order by 1
            """).rows.compactMap { row -> ReplicationSlot? in
                guard let name = row[0], let kind = row[1].flatMap(ReplicationSlot.Kind.init(rawValue:)) else { return nil }
                return ReplicationSlot(name: name, kind: kind, plugin: row[2], database: row[3], lsn: row[4])
            }
        let subscriptions = try first.query("""
            select d.datname || '.' || s.subname, s.subenabled, s.subslotname
            from pg_subscription s join pg_database d on d.oid = s.subdbid order by 1
            """).rows.compactMap { row in row[0].map { SubscriptionState(name: $0, enabled: row[1] == "t", slot: row[2]) } }
        let databases = try first.query("""
            select datname from pg_database where datallowconn and datname not in ('template0', 'template1') order by 1
            """).rows.compactMap { $0[0] }
        var publications: [String] = []
        for database in databases {
            let connection = try connect(database)
            defer { connection.close() }
            publications += try connection.query("select pubname from pg_publication order by 1").rows.compactMap { $0[0] }
                .map { "\(database).\($0)" }
        }
        return ReplicationShape(slots: slots, publications: publications, subscriptions: subscriptions)
    }
}
