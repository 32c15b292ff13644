import Foundation
import UpshiftPostgres

/// What `upshift init` reads from a running server: its version, files, settings that matter to an upgrade,
/// extensions, and (on a primary) the standbys streaming from it.
public struct ClusterFacts: Sendable {
    /// A standby as the primary's `pg_stat_replication` shows it.
    public struct Replica: Sendable, Equatable {
        public var address: String?
        public var applicationName: String
        public var state: String
        public var slot: String?
    }

    public var major: Int
    public var version: String
    public var dataDirectory: String
    public var port: Int
    /// The server's bin directory, when the role may read `pg_config`.
    public var bindir: String?
    public var isInRecovery: Bool
    /// `wal_level`, `max_wal_senders`, `max_replication_slots`, `shared_preload_libraries`, `data_checksums`, `archive_mode`.
    public var settings: [String: String]
    /// Extension name → the databases it is installed in (plpgsql left out).
    public var extensions: [String: [String]]
    public var replicas: [Replica]
    /// The server's replication slots by name and type.
    public var slots: [(name: String, type: String)]

    /// Reads a running server through `conninfo` (its other databases through the same conninfo with `dbname` set).
    public static func inspect(conninfo: String) throws -> ClusterFacts {
        let connection = try PostgresConnection(conninfo: conninfo)
        defer { connection.close() }
        let row = try connection.query("""
            select current_setting('server_version_num')::int / 10000, current_setting('server_version'),
                   current_setting('data_directory'), current_setting('port'), pg_is_in_recovery()
            """).rows[0]
        let names = ["wal_level", "max_wal_senders", "max_replication_slots", "shared_preload_libraries", "data_checksums", "archive_mode"]
        var settings: [String: String] = [:]
        for setting in try connection.query("select name, setting from pg_settings where name = any($1::text[])",
                                             ["{\(names.joined(separator: ","))}"]).rows {
            if let name = setting[0], let value = setting[1] { settings[name] = value }
        }
        let bindir = (try? connection.query("select setting from pg_config where name = 'BINDIR'"))?.rows.first?[0] ?? nil
        let replicas = try connection.query("""
            select host(r.client_addr), r.application_name, r.state, s.slot_name
            from pg_stat_replication r left join pg_replication_slots s on s.active_pid = r.pid
            order by r.client_addr, r.application_name
            """).rows.map { Replica(address: $0[0], applicationName: $0[1] ?? "", state: $0[2] ?? "", slot: $0[3]) }
        let slots = try connection.query("select slot_name, slot_type from pg_replication_slots order by 1").rows
            .compactMap { row in row[0].map { (name: $0, type: row[1] ?? "") } }
        var extensions: [String: [String]] = [:]
        let databases = try connection.query("""
            select datname from pg_database where datallowconn and datname <> 'template0' order by 1
            """).rows.compactMap { $0[0] }
        for database in databases {
            let other = try PostgresConnection(conninfo: conninfo + " " + Conninfo.make(["dbname": database]))
            defer { other.close() }
            for name in try other.query("select extname from pg_extension where extname <> 'plpgsql' order by 1").rows.compactMap({ $0[0] }) {
                extensions[name, default: []].append(database)
            }
        }
        return ClusterFacts(major: Int(row[0] ?? "") ?? 0, version: row[1] ?? "", dataDirectory: row[2] ?? "", port: Int(row[3] ?? "") ?? 5432,
                            bindir: bindir, isInRecovery: row[4] == "t", settings: settings, extensions: extensions,
                            replicas: replicas, slots: slots)
    }
}
