import Foundation
import UpshiftPostgres

/// The write fence of a running cluster: new sessions read-only, autovacuum held off (its ANALYZE takes
/// transaction ids), the other client sessions ended, so nothing writes while a step looks or copies.
///
/// The settings go into postgresql.auto.conf and are reloaded; every process re-reads the files when it
/// handles the reload. Logical replication's apply workers still write under it (the reverse path into a
/// fenced source, the forward path into a fenced target): the fence stops clients, not replication.
struct WriteFence {
    /// Opens a new session on the fenced cluster (to see the reload reach new sessions).
    let connect: () throws -> PostgresConnection
    /// The step's owner: the waits stop when it is cancelled.
    let control: ProgramControl

    /// Fences `connection`'s cluster; sessions whose application_name is `sparing` (the agent's own) are left.
    func raise(_ connection: PostgresConnection, sparing: String? = nil) throws {
        _ = try connection.simpleQuery("alter system set default_transaction_read_only = on")
        _ = try connection.simpleQuery("alter system set autovacuum = off")
        _ = try connection.simpleQuery("select pg_reload_conf()")
        try control.poll(upTo: 60, every: 0.01, for: "the write fence to reach new sessions") {
            let probe = try connect()
            defer { probe.close() }
            return try probe.query("select current_setting('default_transaction_read_only') || current_setting('autovacuum')").rows.first?.first == "onoff"
        }
        _ = try connection.query("""
            select pg_terminate_backend(pid) from pg_stat_activity
            where backend_type in ('client backend', 'autovacuum worker') and pid <> pg_backend_pid()
              and ($1::text is null or application_name is distinct from $1)
            """, [sparing])
        // A worker the launcher started just before it handled the reload is ended too (and one that slips
        // past this still shows in the fence audit's transaction count).
        var quiet = 0
        try control.poll(upTo: 30, every: 0.01, for: "autovacuum workers to stop") {
            let workers = try connection.query("""
                select count(pg_terminate_backend(pid)) from pg_stat_activity where backend_type = 'autovacuum worker'
                """).rows.first?.first ?? "0"
            quiet = workers == "0" ? quiet + 1 : 0
            return quiet >= 3
        }
    }

    /// Takes the fence's settings out of postgresql.auto.conf without a reload: the running server stays fenced
    /// until it stops (or `lift`), and the stopped cluster starts writable, as it was.
    static func clearFromConfig(_ connection: PostgresConnection) throws {
        _ = try connection.simpleQuery("alter system reset default_transaction_read_only")
        _ = try connection.simpleQuery("alter system reset autovacuum")
    }

    /// Lifts a fence set by `raise` or by a read-only auto.conf line: writes are accepted again.
    static func lift(_ connection: PostgresConnection) throws {
        try clearFromConfig(connection)
        _ = try connection.simpleQuery("select pg_reload_conf()")
    }

    /// Whether the cluster's configuration holds the fence (new sessions start read-only).
    static func isRaised(_ connection: PostgresConnection) throws -> Bool {
        try connection.query("""
            select coalesce((select setting from pg_file_settings where name = 'default_transaction_read_only' and applied
                             order by seqno desc limit 1), 'off') = 'on'
            """).rows.first?.first == "t"
    }
}
