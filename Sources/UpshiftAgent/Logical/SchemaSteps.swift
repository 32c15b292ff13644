import Foundation
import UpshiftPlan
import UpshiftPostgres
import UpshiftWire

extension LogicalContext {
    /// `schema-pre`: the source's roles, then per database its pre-data schema as of the snapshot restored on the
    /// target (created when missing), the plan's transforms applied in between, the target fenced (read-only for
    /// clients) until the switch. Views and materialized views are restored after the transforms, since a column
    /// a view uses cannot change type.
    func schemaPre() throws {
        let admin = try connect(.target, database: "postgres")
        defer { admin.close() }
        try WriteFence(connect: { try PostgresConnection(conninfo: try conninfo(.target, database: "postgres")) }, control: control)
            .raise(admin, sparing: "upshift-agent")
        try copyRoles()
        var created: [String] = []
        for database in databases where try admin.query("select 1 from pg_database where datname = $1", [database]).rows.isEmpty {
            _ = try admin.simpleQuery("create database \(PostgresConnection.quoteIdentifier(database))")
            created.append(database)
        }
        output(.createdDatabases(names: created))
        for database in databases {
            let dump = try dumpFile(database)
            // The probe's schema comes along (its table empty, never published): once traffic moves, the probe
            // writes there.
            try run(PgDump.schemaAtSnapshot(try newBinaries, conninfo: try conninfo(.source, database: database), snapshot: try heldSnapshot(database),
                                            excludedSchemas: [LogicalNames.markerSchema, LogicalNames.copyLedgerSchema], file: dump))
            let transforms = try transformColumns(database)
            let targetInfo = Self.unfenced(try conninfo(.target, database: database))
            if transforms.isEmpty {
                try run(PgDump.restore(try newBinaries, conninfo: targetInfo, file: dump, section: "pre-data"))
            } else {
                let (first, second) = try splitPreData(dump)
                try run(PgDump.restore(try newBinaries, conninfo: targetInfo, file: dump, useList: first))
                try apply(transforms, database: database)
                try run(PgDump.restore(try newBinaries, conninfo: targetInfo, file: dump, useList: second))
            }
            let target = try connect(.target, database: database)
            defer { target.close() }
            _ = try target.simpleQuery("""
                create schema if not exists \(LogicalNames.markerSchema);
                create table if not exists \(LogicalNames.markerTable) (token text primary key, written_at timestamptz not null default now())
                """)
            log("\(database): schema restored on the target (pre-data)" + (transforms.isEmpty ? "" : ", \(transforms.count) columns changed type"))
        }
    }

    /// `schema-post`: indexes, constraints, triggers, materialized view refreshes, with the plan's jobs; foreign
    /// keys NOT VALID under `foreign_keys: not_valid`; then every table vacuumed and analyzed, so the target has
    /// its visibility map and planner statistics before traffic reaches it (its autovacuum is fenced off).
    func schemaPost() throws {
        for database in databases {
            let dump = try dumpFile(database)
            let targetInfo = Self.unfenced(try conninfo(.target, database: database))
            switch plan.options.foreignKeys {
            case .validate:
                try run(PgDump.restore(try newBinaries, conninfo: targetInfo, file: dump, section: "post-data", jobs: plan.options.jobs))
                log("\(database): indexes and constraints built on the target (post-data)")
            case .notValid:
                let list = try listFile(dump, leaving: ["FK CONSTRAINT"])
                try run(PgDump.restore(try newBinaries, conninfo: targetInfo, file: dump, section: "post-data", useList: list,
                                       jobs: plan.options.jobs))
                let deferred = try addForeignKeysNotValid(database)
                log("\(database): indexes and constraints built on the target (post-data), \(deferred) foreign keys NOT VALID until after the switch")
            }
            let clock = ContinuousClock()
            let started = clock.now
            try run(VacuumDB.vacuumAnalyze(try newBinaries, conninfo: targetInfo, jobs: plan.options.jobs))
            log("\(database): vacuumed and analyzed on the target in \(clock.now - started)")
        }
    }

    /// A `--use-list` file of `dump`'s entries without those of the given table-of-contents kinds.
    private func listFile(_ dump: String, leaving kinds: [String]) throws -> String {
        let listing = try run(PgDump.list(try newBinaries, file: dump)).stdout
        let kept = listing.split(separator: "\n").map(String.init).filter { line in
            !line.hasPrefix(";") && !kinds.contains { line.contains(" \($0) ") }
        }
        let path = dump.replacingOccurrences(of: ".dump", with: "") + "-post.list"
        try kept.joined(separator: "\n").appending("\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func dumpFile(_ database: String) throws -> String {
        try workDirectory() + "/schema-\(databases.firstIndex(of: database) ?? 0).dump"
    }

    /// The source's roles onto the target (they own objects and hold grants); roles the target has are left as they are.
    private func copyRoles() throws {
        let source = try connect(.source, database: "postgres")
        defer { source.close() }
        let target = try connect(.target, database: "postgres")
        defer { target.close() }
        let existing = Set(try target.query("select rolname from pg_roles").rows.compactMap { $0[0] })
        let roles = try source.query("""
            select rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls, rolconnlimit
            from pg_roles where rolname !~ '^pg_' order by rolname
            """).rows
        var made: [String] = []
        for row in roles {
            guard let name = row[0], !existing.contains(name) else { continue }
            let flag = { (index: Int, yes: String, no: String) in row[index] == "t" ? yes : no }
            let attributes = [flag(1, "superuser", "nosuperuser"), flag(2, "inherit", "noinherit"), flag(3, "createrole", "nocreaterole"),
                              flag(4, "createdb", "nocreatedb"), flag(5, "login", "nologin"), flag(6, "replication", "noreplication"),
                              flag(7, "bypassrls", "nobypassrls"), "connection limit \(Int(row[8] ?? "-1") ?? -1)"]
            _ = try target.simpleQuery("create role \(PostgresConnection.quoteIdentifier(name)) \(attributes.joined(separator: " "))")
            made.append(name)
        }
        let password = try source.query("select rolname, rolpassword from pg_authid where rolpassword is not null and rolname = any($1::text[])",
                                        [Self.textArray(made)]).rows
        for row in password {
            guard let name = row[0], let hash = row[1] else { continue }
            _ = try target.simpleQuery("alter role \(PostgresConnection.quoteIdentifier(name)) password \(Self.literal(hash))")
        }
        let memberships = try source.query("""
            select r.rolname, m.rolname from pg_auth_members a join pg_roles r on r.oid = a.roleid join pg_roles m on m.oid = a.member
            where m.rolname = any($1::text[])
            """, [Self.textArray(made)]).rows
        for row in memberships {
            guard let role = row[0], let member = row[1] else { continue }
            _ = try target.simpleQuery("grant \(PostgresConnection.quoteIdentifier(role)) to \(PostgresConnection.quoteIdentifier(member))")
        }
        if !made.isEmpty { log("roles created on the target: \(made.joined(separator: ", "))") }
    }

    /// The columns whose type changes in `database`: each transform's column and every column whose foreign key
    /// references it, with the new type.
    private func transformColumns(_ database: String) throws -> [(table: String, column: String, type: String)] {
        guard !plan.transforms.isEmpty else { return [] }
        let source = try connect(.source, database: database)
        defer { source.close() }
        let catalog = SourceCatalog(source, probeSchema: plan.probe.schema)
        var columns: [(table: String, column: String, type: String)] = []
        for transform in plan.transforms {
            switch try catalog.hasColumn(transform.table, transform.column) {
            case true?:
                columns.append((transform.table, transform.column, transform.type))
                for reference in try catalog.referencingColumns(transform.table, transform.column)
                where !columns.contains(where: { $0.table == reference.table && $0.column == reference.column }) {
                    columns.append((reference.table, reference.column, transform.type))
                }
            case false?:
                throw AgentError("\(transform.location): \(database).\(transform.table) has no column \(transform.column)")
            case nil:
                if databases.count == 1 { throw AgentError("\(transform.location): \(database) has no table \(transform.table)") }
            }
        }
        return columns
    }

    /// The pre-data entries of `dump` in two `--use-list` files: everything but views, materialized views, their
    /// comments and all privileges first; those afterwards.
    private func splitPreData(_ dump: String) throws -> (String, String) {
        let listing = try run(PgDump.list(try newBinaries, file: dump)).stdout
        let deferred = [" VIEW ", " MATERIALIZED VIEW ", " ACL ", " COMMENT "]
        var first: [String] = [], second: [String] = []
        for line in listing.split(separator: "\n").map(String.init) where !line.hasPrefix(";") {
            // Pre-data only: the post-data entries come with `schema-post`.
            if Self.postDataKinds.contains(where: { line.contains(" \($0) ") }) { continue }
            if deferred.contains(where: { line.contains($0) }) { second.append(line) } else { first.append(line) }
        }
        let base = dump.replacingOccurrences(of: ".dump", with: "")
        try first.joined(separator: "\n").appending("\n").write(toFile: base + "-first.list", atomically: true, encoding: .utf8)
        try second.joined(separator: "\n").appending("\n").write(toFile: base + "-second.list", atomically: true, encoding: .utf8)
        return (base + "-first.list", base + "-second.list")
    }

    /// Table-of-contents kinds of pg_dump's post-data section (and the data section, absent from a schema dump).
    static let postDataKinds = ["INDEX", "CONSTRAINT", "FK CONSTRAINT", "TRIGGER", "RULE", "POLICY", "INDEX ATTACH",
                                "MATERIALIZED VIEW DATA", "EVENT TRIGGER", "STATISTICS", "PUBLICATION", "SUBSCRIPTION"]

    /// Changes the columns' types on the target's still empty tables, and the sequences they own with them.
    private func apply(_ columns: [(table: String, column: String, type: String)], database: String) throws {
        let target = try connect(.target, database: database)
        defer { target.close() }
        for (table, column, type) in columns {
            _ = try target.simpleQuery("alter table \(Self.quoted(table)) alter column \(PostgresConnection.quoteIdentifier(column)) type \(type)")
            if let sequence = try target.query("select pg_get_serial_sequence($1, $2)", [Self.quoted(table), column]).rows.first?.first ?? nil,
               ["bigint", "int8", "integer", "int", "int4", "smallint", "int2"].contains(type.lowercased()) {
                _ = try target.simpleQuery("alter sequence \(sequence) as \(type)")
            }
            log("\(database): \(table).\(column) is \(type) on the target")
        }
    }
}
