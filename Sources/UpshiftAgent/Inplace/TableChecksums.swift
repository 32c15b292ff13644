import Foundation
import NIOConcurrencyHelpers
import UpshiftPostgres
import UpshiftWire

/// Taking and comparing the checksums `stop-primary` reports and `verify` checks (the values are wire types).
extension TableChecksums {

    /// Takes the checksums of every connectable database; `connect` opens a connection to a database by name.
    /// On a hot standby unlogged tables cannot be read (and are empty there by design), so `includeUnlogged` is false.
    /// The catalogs and the downtime probe's schema (`probeSchema`, which the probe writes to) are never compared.
    /// `jobs` connections work at once, largest tables first; a large table is cut into block ranges (TID range
    /// scans) whose counts and hash sums add up to the whole table's, whatever the cut; a table smaller than two
    /// slices of `blocksPerSlice` blocks is taken in one piece.
    /// `scope` narrows it to some databases, leaving out schemas and tables (`database.schema.table`) besides.
    static func take(connect: @escaping @Sendable (String) throws -> PostgresConnection, includeUnlogged: Bool, probeSchema: String,
                     jobs: Int = 1, blocksPerSlice: Int = 2048, following reference: TableChecksums? = nil,
                     scope: Scope = Scope(), onTable: @escaping @Sendable (String) -> Void = { _ in }) throws -> TableChecksums {
        let skippedSchemas = ["pg_catalog", "information_schema", probeSchema] + scope.skippedSchemas
        let first = try connect(scope.databases?.first ?? "postgres")
        let databases = try scope.databases ?? first.query("select datname from pg_database where datallowconn and datname not in ('template0', 'template1') order by 1")
            .rows.compactMap { $0[0] }
        // TID range scans and hash_record_extended both came with PostgreSQL 14.
        let modern = first.serverVersionNumber >= 140000
        first.close()
        var work: [Slice] = []
        for database in databases {
            let connection = try connect(database)
            defer { connection.close() }
            let list = try connection.query("""
                select n.nspname, c.relname, pg_relation_size(c.oid) / current_setting('block_size')::int
                from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where (c.relkind = 'r' or (c.relkind = 'm' and c.relispopulated)) and n.nspname <> all($1::text[]) and n.nspname not like 'pg_toast%'
                  and n.nspname not like 'pg_temp%' and ($2 or c.relpersistence = 'p')
                order by 1, 2
                """, ["{\(skippedSchemas.joined(separator: ","))}", includeUnlogged ? "true" : "false"])
            for row in list.rows {
                guard let schema = row[0], let name = row[1] else { continue }
                let blocks = Int(row[2] ?? "0") ?? 0
                var table = Table(database: database, schema: schema, name: name, method: .text)
                if scope.skippedTables.contains(table.key) { continue }
                if let chosen = reference?.tables[table.key]?.method {
                    table.method = chosen
                } else if modern {
                    table.method = try Self.recordHashWorks(connection, table) ? .record : .text
                }
                let pieces = modern && jobs > 1 ? min(jobs * 2, blocks / blocksPerSlice) : 1
                if pieces <= 1 {
                    work.append(Slice(table: table, blocks: blocks, from: nil, to: nil, pieces: 1))
                } else {
                    let step = (blocks + pieces - 1) / pieces
                    for i in 0..<pieces {
                        // The last range is open-ended: it covers whatever lies past the size read above.
                        work.append(Slice(table: table, blocks: step, from: i * step, to: i == pieces - 1 ? nil : (i + 1) * step, pieces: pieces))
                    }
                }
            }
        }
        work.sort { $0.blocks > $1.blocks }

        let sums = NIOLockedValueBox([String: (rows: Int64, hash: Decimal, done: Int, method: HashMethod)]())
        try WorkQueue.run(work, workers: jobs, makeState: { [String: PostgresConnection]() },
                          endState: { $0.values.forEach { $0.close() } }) { slice, connections in
            if connections[slice.table.database] == nil { connections[slice.table.database] = try connect(slice.table.database) }
            let result = try connections[slice.table.database]!.query(slice.sql)
            let rows = Int64(result.rows[0][0] ?? "0") ?? 0
            guard let hash = Decimal(string: result.rows[0][1] ?? "0", locale: Locale(identifier: "en_US_POSIX")) else {
                throw AgentError("\(slice.table.key): unreadable checksum '\(result.rows[0][1] ?? "")'")
            }
            let finished: Bool = sums.withLockedValue { sums in
                var entry = sums[slice.table.key] ?? (0, 0, 0, slice.table.method)
                entry.rows += rows
                entry.hash += hash
                entry.done += 1
                sums[slice.table.key] = entry
                return entry.done == slice.pieces
            }
            if finished { onTable(slice.table.key) }
        }
        return TableChecksums(tables: sums.withLockedValue { $0 }.mapValues { Entry(rows: $0.rows, hash: "\($0.hash)", method: $0.method) })
    }

    /// Which databases and tables a checksum run covers (all connectable databases and user tables by default).
    struct Scope {
        /// Only these databases; nil for every connectable one.
        var databases: [String]? = nil
        /// Schemas left out besides the catalogs and the probe's.
        var skippedSchemas: [String] = []
        /// Tables left out, as `database.schema.table`.
        var skippedTables: Set<String> = []
    }

    private struct Table {
        var database: String
        var schema: String
        var name: String
        var method: HashMethod
        var key: String { "\(database).\(schema).\(name)" }
        var qualified: String { "\(PostgresConnection.quoteIdentifier(schema)).\(PostgresConnection.quoteIdentifier(name))" }
    }

    /// Whether every column type of the table has an extended hash function (hash_record_extended fails,
    /// naming the type, when one has none: json, point, xml…).
    private static func recordHashWorks(_ connection: PostgresConnection, _ table: Table) throws -> Bool {
        // Inside a transaction (reading at a held snapshot) the refused probe must not abort the whole block.
        let guarded = connection.isInTransaction
        if guarded { _ = try connection.simpleQuery("savepoint upshift_hash_probe") }
        do {
            _ = try connection.query("select hash_record_extended(t, 0) from only \(table.qualified) t limit 1")
            if guarded { _ = try connection.simpleQuery("release savepoint upshift_hash_probe") }
            return true
        } catch let error as PostgresError where error.sqlState == "42883" {
            if guarded { _ = try connection.simpleQuery("rollback to savepoint upshift_hash_probe") }
            return false
        }
    }

    /// One query's share of a table: all of it, or the blocks `from..<to`.
    private struct Slice {
        var table: Table
        var blocks: Int
        var from: Int?
        var to: Int?
        var pieces: Int

        var sql: String {
            var conditions: [String] = []
            if let from { conditions.append("ctid >= '(\(from),0)'::tid") }
            if let to { conditions.append("ctid < '(\(to),0)'::tid") }
            let filter = conditions.isEmpty ? "" : " where " + conditions.joined(separator: " and ")
            return "select count(*), coalesce(sum(\(table.method.expression("t"))), 0)::text from only \(table.qualified) t\(filter)"
        }
    }

    /// `database.schema.table` of every unlogged table and materialized view, from the catalogs (which a hot
    /// standby can read, unlike the tables themselves).
    static func unloggedTables(connect: (String) throws -> PostgresConnection) throws -> Set<String> {
        let first = try connect("postgres")
        let databases = try first.query("select datname from pg_database where datallowconn and datname not in ('template0', 'template1')")
            .rows.compactMap { $0[0] }
        first.close()
        var keys = Set<String>()
        for database in databases {
            let connection = try connect(database)
            defer { connection.close() }
            let rows = try connection.query("""
                select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where c.relpersistence = 'u' and c.relkind in ('r', 'm')
                """).rows
            for row in rows { if let schema = row[0], let name = row[1] { keys.insert("\(database).\(schema).\(name)") } }
        }
        return keys
    }

    /// The differences from `expected`, one line each; empty when they match.
    func differences(from expected: TableChecksums) -> [String] {
        var lines: [String] = []
        for (table, entry) in expected.tables.sorted(by: { $0.key < $1.key }) {
            guard let found = tables[table] else {
                lines.append("\(table): missing (had \(entry.rows) rows)")
                continue
            }
            if found.rows != entry.rows {
                lines.append("\(table): \(found.rows) rows, had \(entry.rows)")
            } else if found.hash != entry.hash {
                lines.append("\(table): same \(found.rows) rows, different content")
            }
        }
        for table in tables.keys.sorted() where expected.tables[table] == nil {
            lines.append("\(table): not in the old cluster")
        }
        return lines
    }

}

extension TableChecksums.HashMethod {
    /// The SQL expression that hashes one row of `alias`.
    func expression(_ alias: String) -> String {
        switch self {
        case .record: "hash_record_extended(\(alias), 0)"
        case .text: "hashtextextended(\(alias)::text, 0)"
        }
    }
}
