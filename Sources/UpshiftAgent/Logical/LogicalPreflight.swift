import Foundation
import UpshiftPlan
import UpshiftPostgres
import UpshiftWire

/// `preflight` of a logical plan: read-only checks, every finding named. The source primary checks the
/// source (replication settings, replica identity, transactions, what logical replication does not carry,
/// the plan's table names); the target primary checks the target and that it reaches the source.
extension LogicalContext {
    func preflight() throws {
        var failed: [String] = []
        let report: (CheckResult) -> Void = { check in
            emit(.check(check))
            if check.verdict == .fail { failed.append(check.name) }
        }
        if isSource { try sourceChecks(report) } else { try targetChecks(report) }
        if !failed.isEmpty { throw AgentError("preflight failed on \(host.name): \(failed.joined(separator: ", "))") }
    }

    private func sourceChecks(_ report: (CheckResult) -> Void) throws {
        let admin = try connect(.source, database: "postgres")
        defer { admin.close() }
        let present = Set(try admin.query("select datname from pg_database").rows.compactMap { $0[0] })
        let missing = databases.filter { !present.contains($0) }
        report(missing.isEmpty ? .pass("databases", "the source has \(listed(databases))")
               : .fail("databases", "the source has no database \(listed(missing))", remedy: "fix databases: in the plan"))
        report(.guarded("wal_level", remedy: "set wal_level = logical on the source and restart it") {
            let level = try admin.query("select current_setting('wal_level')").rows.first?.first.flatMap { $0 } ?? "?"
            return level == "logical" ? .pass("wal_level", "wal_level is logical")
                : .fail("wal_level", "wal_level is \(level); logical replication needs logical (a restart of the source)",
                        remedy: "ALTER SYSTEM SET wal_level = logical; then restart the source before the run")
        })
        report(.guarded("replication-capacity", remedy: "raise max_replication_slots / max_wal_senders on the source (restart)") {
            let row = try admin.query("""
                select current_setting('max_replication_slots')::int - (select count(*) from pg_replication_slots),
                       current_setting('max_wal_senders')::int - (select count(*) from pg_stat_replication)
                """).rows.first
            let slots = Int(row?[0] ?? "0") ?? 0, senders = Int(row?[1] ?? "0") ?? 0
            let needed = databases.count
            guard slots >= needed, senders >= needed else {
                return .fail("replication-capacity", "\(slots) free replication slots and \(senders) free WAL senders; the run needs \(needed) of each",
                             remedy: "raise max_replication_slots and max_wal_senders on the source (a restart)")
            }
            return .pass("replication-capacity", "\(slots) free replication slots, \(senders) free WAL senders (\(needed) needed)")
        })
        report(.guarded("transactions", remedy: "end or resolve them before the run") {
            let row = try admin.query("""
                select (select count(*) from pg_prepared_xacts),
                       (select count(*) from pg_stat_activity where xact_start < now() - interval '5 minutes' and backend_type = 'client backend')
                """).rows.first
            let prepared = Int(row?[0] ?? "0") ?? 0, long = Int(row?[1] ?? "0") ?? 0
            guard prepared == 0, long == 0 else {
                return .fail("transactions", "\(counted(prepared, "prepared transaction")) and \(counted(long, "transaction")) open for over 5 minutes: "
                             + "a logical slot cannot be created until they end", remedy: "COMMIT PREPARED / ROLLBACK PREPARED them, end the long sessions")
            }
            return .pass("transactions", "no prepared or long-running transactions")
        })
        var transformsFound = Set<Int>()
        for database in databases where present.contains(database) {
            let connection = try connect(.source, database: database)
            defer { connection.close() }
            let catalog = SourceCatalog(connection, probeSchema: plan.probe.schema)
            try databaseChecks(database, catalog: catalog, report)
            for (index, transform) in plan.transforms.enumerated() where try catalog.hasColumn(transform.table, transform.column) == true {
                transformsFound.insert(index)
            }
        }
        for (index, transform) in plan.transforms.enumerated() where !transformsFound.contains(index) {
            report(.fail("transforms", "\(transform.location): transform names \(transform.table).\(transform.column), which no database of the plan has",
                         remedy: "fix the transform's table or column"))
        }
        if !plan.transforms.isEmpty, transformsFound.count == plan.transforms.count {
            report(.pass("transforms", "every transform's column is on the source"))
        }
    }

    private func databaseChecks(_ database: String, catalog: SourceCatalog, _ report: (CheckResult) -> Void) throws {
        let tables = Set(try catalog.permanentTables())
        let named = Set(plan.skip + plan.replicaIdentityFull)
        let unknown = named.filter { !tables.contains($0) }.sorted()
        if !unknown.isEmpty, databases.count == 1 {
            report(.fail("plan-tables", "skip/replica_identity_full name \(listed(unknown)), which \(database) does not have",
                         remedy: "fix the table names in the plan"))
        }
        report(.guarded("replica-identity", remedy: "add a primary key, or list the table under replica_identity_full: or skip:") {
            let offenders = try catalog.tablesWithoutReplicaIdentity().filter { !plan.skip.contains($0) && !plan.replicaIdentityFull.contains($0) }
            guard offenders.isEmpty else {
                return .fail("replica-identity", "\(database): \(counted(offenders.count, "table")) without a primary key or replica identity: "
                             + listed(offenders, limit: 20) + " (their UPDATE and DELETE cannot be replicated)",
                             remedy: "add a primary key, or list them under replica_identity_full: (the run sets REPLICA IDENTITY FULL) or skip:")
            }
            return .pass("replica-identity", "\(database): every replicated table has a primary key or a replica identity")
        })
        report(.guarded("large-objects", remedy: "large_objects: copy or refuse") {
            let count = try catalog.largeObjectCount()
            if count == 0 { return .pass("large-objects", "\(database): no large objects") }
            return plan.options.largeObjects == .refuse
                ? .fail("large-objects", "\(database): \(counted(count, "large object")); logical replication does not carry them and the plan refuses them",
                        remedy: "set options.large_objects: copy (copied inside the cutover fence), or remove them")
                : .warn("large-objects", "\(database): \(counted(count, "large object")), not replicated: copied inside the cutover's write fence",
                        remedy: "none needed; the write window grows with their size")
        })
        report(.guarded("unlogged-tables", remedy: "make them logged, or accept they arrive empty") {
            let unlogged = try catalog.unloggedTables()
            return unlogged.isEmpty ? .pass("unlogged-tables", "\(database): no unlogged tables")
                : .warn("unlogged-tables", "\(database): \(listed(unlogged)) are unlogged: logical replication does not carry them; they arrive empty",
                        remedy: "ALTER TABLE … SET LOGGED before the run, or accept empty tables on the target")
        })
        report(.guarded("materialized-views", remedy: "none") {
            let views = try catalog.materializedViews()
            return .pass("materialized-views", views.isEmpty ? "\(database): no materialized views"
                         : "\(database): \(listed(views)) are not replicated; they are refreshed on the target after the copy")
        })
    }

    private func targetChecks(_ report: (CheckResult) -> Void) throws {
        let admin = try connect(.target, database: "postgres")
        defer { admin.close() }
        let wanted = try versions.to.version
        let major = admin.serverVersionNumber / 10000
        report(major == wanted ? .pass("target-version", "the target runs PostgreSQL \(major)")
               : .fail("target-version", "the target runs PostgreSQL \(major), the plan says \(wanted)", remedy: "fix postgres.to or the target host"))
        for database in databases {
            report(.guarded("target-databases", remedy: "drop the database on the target, or point the plan at an empty target") {
                guard try admin.query("select 1 from pg_database where datname = $1", [database]).rows.count == 1 else {
                    return .pass("target-databases", "\(database) does not exist on the target: the run creates it")
                }
                let connection = try connect(.target, database: database)
                defer { connection.close() }
                let tables = try SourceCatalog(connection, probeSchema: plan.probe.schema).permanentTables()
                return tables.isEmpty ? .pass("target-databases", "\(database) on the target has no tables")
                    : .fail("target-databases", "\(database) on the target already has \(counted(tables.count, "table")) (\(listed(tables)))",
                            remedy: "the target must be empty: drop the database or its tables")
            })
        }
        var sourceExtensions: Set<String> = []
        report(.guarded("source-reachable", remedy: "let the target's host reach the source's port (pg_hba.conf, firewall)") {
            for database in databases {
                let source = try connect(.source, database: database)
                defer { source.close() }
                sourceExtensions.formUnion(try source.query("select extname from pg_extension").rows.compactMap { $0[0] })
            }
            return .pass("source-reachable", "the target's host reaches the source at \(try primary(.source).agentHost):\(try primary(.source).port)")
        })
        report(.guarded("extensions", remedy: "install the extensions' packages for the target version") {
            let available = Set(try admin.query("select name from pg_available_extensions").rows.compactMap { $0[0] })
            let missing = sourceExtensions.subtracting(available).sorted()
            return missing.isEmpty ? .pass("extensions", "the target offers every extension the source uses (\(listed(sourceExtensions.sorted())))")
                : .fail("extensions", "the target offers no \(listed(missing))", remedy: "install them for PostgreSQL \(wanted) on the target")
        })
        if plan.options.reverseReplication {
            report(.guarded("reverse-path", remedy: "set wal_level = logical on the target (restart), or reverse_replication: false") {
                let row = try admin.query("""
                    select current_setting('wal_level'), current_setting('max_replication_slots')::int - (select count(*) from pg_replication_slots)
                    """).rows.first
                let level = row?[0] ?? "?", slots = Int(row?[1] ?? "0") ?? 0
                guard level == "logical", slots >= databases.count else {
                    return .fail("reverse-path", "the target has wal_level \(level) and \(slots) free slots; the reverse path needs logical and \(databases.count)",
                                 remedy: "set wal_level = logical on the target and restart it, or reverse_replication: false")
                }
                return .pass("reverse-path", "the target can publish the reverse path (wal_level logical, \(slots) free slots)")
            })
        }
    }
}
