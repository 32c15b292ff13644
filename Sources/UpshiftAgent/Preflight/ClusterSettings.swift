import UpshiftPostgres

/// The old cluster's settings that a new cluster must share for pg_upgrade (what init-new passes to initdb).
struct ClusterSettings: Equatable {
    /// template0's encoding, e.g. `UTF8`.
    var encoding: String
    /// template0's LC_COLLATE and LC_CTYPE.
    var collate: String
    var ctype: String
    /// `libc`, `icu` or `builtin`.
    var localeProvider: String
    /// The ICU or builtin locale when the provider is not libc.
    var providerLocale: String?
    /// ICU tailoring rules (16+).
    var icuRules: String?
    var dataChecksums: Bool
    var walSegmentBytes: Int
    /// The bootstrap superuser (OID 10); pg_upgrade needs the same name in both clusters.
    var installUser: String

    /// Reads them from a running cluster (template0 carries what initdb was given).
    static func read(_ old: OldCluster) throws -> ClusterSettings {
        try old.with { connection in
            // to_jsonb keeps one query across versions: daticulocale became datlocale in 17.
            let row = try connection.query("""
                select pg_encoding_to_char(d.encoding), d.datcollate, d.datctype,
                       coalesce(to_jsonb(d)->>'datlocprovider', 'c'),
                       coalesce(to_jsonb(d)->>'datlocale', to_jsonb(d)->>'daticulocale'),
                       to_jsonb(d)->>'daticurules',
                       current_setting('data_checksums'),
                       (select setting from pg_settings where name = 'wal_segment_size' and unit = 'B'),
                       (select rolname from pg_roles where oid = 10)
                from pg_database d where d.datname = 'template0'
                """).rows.first
            guard let row, let encoding = row[0], let collate = row[1], let ctype = row[2], let provider = row[3],
                  let checksums = row[6], let segment = row[7].flatMap({ Int($0) }), let user = row[8] else {
                throw AgentError("template0 or wal_segment_size is missing from \(connection.context)")
            }
            let providers = ["c": "libc", "i": "icu", "b": "builtin"]
            guard let providerName = providers[provider] else {
                throw AgentError("template0 has an unknown locale provider \"\(provider)\"")
            }
            return ClusterSettings(encoding: encoding, collate: collate, ctype: ctype, localeProvider: providerName,
                                   providerLocale: row[4], icuRules: row[5], dataChecksums: checksums == "on",
                                   walSegmentBytes: segment, installUser: user)
        }
    }

    /// initdb's settings for a new cluster at `pgdata`, made by a build of major `newMajor`, that pg_upgrade
    /// will accept for this old one (`--locale-provider` exists from 15 on).
    func initDBOptions(pgdata: String, newMajor: Int) -> InitDBOptions {
        var extra: [String] = []
        if collate != ctype { extra += ["--lc-collate", collate, "--lc-ctype", ctype] }
        if let providerLocale, localeProvider == "icu" { extra += ["--icu-locale", providerLocale] }
        if let providerLocale, localeProvider == "builtin" { extra += ["--builtin-locale", providerLocale] }
        if let icuRules { extra += ["--icu-rules", icuRules] }
        return InitDBOptions(pgdata: pgdata, encoding: encoding, locale: collate == ctype ? collate : nil,
                             localeProvider: newMajor >= 15 ? localeProvider : nil, dataChecksums: dataChecksums,
                             walSegmentSizeMB: walSegmentBytes >> 20, username: installUser, extraArguments: extra)
    }

    /// A WAL segment size initdb cannot be given (it takes whole MiB only).
    var walSegmentInWholeMiB: Bool { walSegmentBytes % (1 << 20) == 0 && walSegmentBytes > 0 }

    /// What the old cluster has, for the check's detail.
    var summary: String {
        var locale = collate == ctype ? collate : "collate \(collate), ctype \(ctype)"
        if let providerLocale, localeProvider != "libc" { locale += ", \(localeProvider) locale \(providerLocale)" }
        return "\(encoding), \(locale), \(localeProvider) provider, checksums \(dataChecksums ? "on" : "off"), "
            + "WAL segments \(sizeText(Int64(walSegmentBytes))), install user \(installUser)"
    }
}
