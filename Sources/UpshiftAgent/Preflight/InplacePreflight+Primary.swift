import UpshiftPlan
import UpshiftPostgres
import UpshiftWire

extension InplacePreflight {
    /// The primary's checks: settings and rehearsals on a scratch cluster, what the old cluster holds.
    func primaryChecks(old: OldCluster, versions: PostgresVersions, buildsOK: Bool, emit: (CheckResult) -> Void) throws {
        let newBinaries = PostgresBinaries(bindir: versions.to.bindir)
        let newMajor = versions.to.version
        var prepared: (settings: ClusterSettings, scratch: ScratchCluster)?
        if buildsOK {
            let (result, made) = initdbSettings(old: old, newBinaries: newBinaries, newMajor: newMajor)
            emit(result)
            prepared = made
            switch Result(catching: { try BuildLayout.of(newBinaries, launcher: launcher) }) {
            case .success(let layout):
                let extensions = ExtensionChecks(old: old, newMajor: newMajor, layout: layout)
                emit(extensions.extensions())
                emit(extensions.sharedPreloadLibraries())
            case .failure(let error):
                for name in ["extensions", "shared-preload-libraries"] {
                    emit(.fail(name, "could not find PostgreSQL \(newMajor)'s share and lib directories: \(error)",
                               remedy: "install PostgreSQL \(newMajor) completely on \(host.name)"))
                }
            }
        }
        let transactions = TransactionChecks(old: old, maxAgeSeconds: limits.maxTransactionAgeSeconds)
        emit(transactions.prepared())
        emit(transactions.long())
        let catalog = CatalogChecks(old: old, headroomPercent: limits.sequenceHeadroomPercent)
        emit(catalog.regTypes())
        emit(catalog.sequenceHeadroom())
        emit(ReplicationChecks(old: old, sourceMajor: versions.from.version, options: plan.options).run())
        guard let (settings, scratch) = prepared else { return }
        emit(UpgradeCheck(versions: versions, host: host, old: old, installUser: settings.installUser, launcher: launcher)
            .run(scratch: scratch))
        if limits.schemaRestore {
            emit(SchemaRestore(newBinaries: newBinaries, newMajor: newMajor, old: old, installUser: settings.installUser,
                               launcher: launcher).run(scratch: scratch))
        }
        try scratch.remove()
    }

    /// `initdb-settings`: the old cluster's encoding, locale, checksums and WAL segment size, and whether the
    /// new build's initdb takes them: it makes the scratch cluster with them (the one the rehearsals use).
    private func initdbSettings(old: OldCluster, newBinaries: PostgresBinaries, newMajor: Int)
        -> (CheckResult, (settings: ClusterSettings, scratch: ScratchCluster)?) {
        let name = "initdb-settings"
        let remedy = "install the locale (or ICU support) the old cluster uses for PostgreSQL \(newMajor) on \(host.name)"
        do {
            let settings = try ClusterSettings.read(old)
            guard settings.walSegmentInWholeMiB else {
                return (.fail(name, "WAL segments of \(settings.walSegmentBytes) bytes: initdb takes whole MiB only",
                              remedy: "this cluster cannot be upgraded with pg_upgrade"), nil)
            }
            let options = settings.initDBOptions(pgdata: host.newPgdata ?? "NEW_PGDATA", newMajor: newMajor)
            let words = options.arguments(major: newMajor).dropFirst(2).joined(separator: " ")
            let scratch = try ScratchCluster(in: scratchDirectory, binaries: newBinaries, oldPort: old.local.port,
                                             launcher: launcher)
            let result = try scratch.initdb(options, major: newMajor)
            guard result.succeeded else {
                try scratch.remove()
                return (.fail(name, "initdb \(newMajor) rejects \(words): \(firstError(result.stderr)) (old: \(settings.summary))",
                              remedy: remedy), nil)
            }
            // pg_upgrade --check judges logical slots against the new cluster's replication settings, which
            // init-new carries from the old cluster's configuration.
            try scratch.appendConfiguration(try old.with { connection in
                try connection.query("""
                    select name, current_setting(name) from pg_settings
                    where name in ('wal_level', 'max_replication_slots', 'max_wal_senders') and source in ('configuration file', 'command line')
                    """).rows.compactMap { row in row[0].flatMap { name in row[1].map { (name: name, value: $0) } } }
            })
            return (.pass(name, "initdb will get \(words) (old: \(settings.summary))"), (settings, scratch))
        } catch {
            return (.fail(name, "could not check: \(error)", remedy: remedy), nil)
        }
    }
}
