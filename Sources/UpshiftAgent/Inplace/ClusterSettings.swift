import Foundation
import UpshiftPostgres

/// The settings a new cluster must share with the old one for pg_upgrade, read from the running old cluster.
struct ClusterSettings: Codable, Equatable {
    var encoding: String
    var collate: String
    var ctype: String
    /// `libc`, `icu` or `builtin`.
    var localeProvider: String
    var dataChecksums: Bool
    var walSegmentSizeMB: Int
    var superuser: String

    /// Reads them from a connection to the old cluster's `postgres` database.
    static func read(_ connection: PostgresConnection) throws -> ClusterSettings {
        let provider = connection.serverVersionNumber >= 150000 ? "datlocprovider::text" : "'c'"
        let db = try connection.query("""
            select pg_encoding_to_char(encoding), datcollate, datctype, \(provider)
            from pg_database where datname = 'template1'
            """)
        guard let row = db.rows.first else { throw AgentError("the old cluster has no template1 database") }
        let checksums = try connection.query("show data_checksums").rows.first?.first ?? "off"
        let segment = try connection.query("select setting::int * coalesce(case unit when 'B' then 1 when '8kB' then 8192 when 'MB' then 1048576 end, 1) from pg_settings where name = 'wal_segment_size'")
        let bytes = Int(segment.rows.first?.first.flatMap { $0 } ?? "") ?? 16 << 20
        let superuser = try connection.query("select rolname from pg_roles where oid = 10").rows.first?.first ?? "postgres"
        let providers = ["c": "libc", "i": "icu", "b": "builtin"]
        return ClusterSettings(encoding: row[0] ?? "UTF8", collate: row[1] ?? "C", ctype: row[2] ?? "C",
                               localeProvider: providers[row[3] ?? "c"] ?? "libc", dataChecksums: checksums == "on",
                               walSegmentSizeMB: bytes >> 20, superuser: superuser ?? "postgres")
    }

    /// initdb settings for a new cluster of major version `major` that pg_upgrade will accept.
    func initdb(pgdata: String) -> InitDBOptions {
        var extra: [String] = []
        var locale: String?
        if collate == ctype {
            locale = collate
        } else {
            extra += ["--lc-collate", collate, "--lc-ctype", ctype]
        }
        return InitDBOptions(pgdata: pgdata, encoding: encoding, locale: locale,
                             localeProvider: localeProvider == "libc" ? nil : localeProvider,
                             dataChecksums: dataChecksums, walSegmentSizeMB: walSegmentSizeMB == 16 ? nil : walSegmentSizeMB,
                             username: superuser, extraArguments: extra)
    }
}
