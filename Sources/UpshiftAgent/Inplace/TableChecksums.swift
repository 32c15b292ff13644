import Foundation
import UpshiftPostgres

/// Row count and an order-independent content hash of every user table, per database: what `verify` compares.
struct TableChecksums: Codable, Equatable {
    struct Entry: Codable, Equatable {
        var rows: Int64
        var hash: String
    }

    /// Keyed `database.schema.table`.
    var tables: [String: Entry]

    /// Takes the checksums of every connectable database; `connect` opens a connection to a database by name.
    /// On a hot standby unlogged tables cannot be read (and are empty there by design), so `includeUnlogged` is false.
    /// The catalogs and the downtime probe's schema (`probeSchema`, which the probe writes to) are never compared.
    static func take(connect: (String) throws -> PostgresConnection, includeUnlogged: Bool, probeSchema: String,
                     onTable: (String) -> Void = { _ in }) throws -> TableChecksums {
        let skippedSchemas = ["pg_catalog", "information_schema", probeSchema]
        let first = try connect("postgres")
        let databases = try first.query("select datname from pg_database where datallowconn and datname not in ('template0', 'template1') order by 1")
            .rows.compactMap { $0[0] }
        first.close()
        var tables: [String: Entry] = [:]
        for database in databases {
            let connection = try connect(database)
            defer { connection.close() }
            let list = try connection.query("""
                select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where (c.relkind = 'r' or (c.relkind = 'm' and c.relispopulated)) and n.nspname <> all($1::text[]) and n.nspname not like 'pg_toast%'
                  and n.nspname not like 'pg_temp%' and ($2 or c.relpersistence = 'p')
                order by 1, 2
                """, ["{\(skippedSchemas.joined(separator: ","))}", includeUnlogged ? "true" : "false"])
            for row in list.rows {
                guard let schema = row[0], let name = row[1] else { continue }
                let qualified = "\(PostgresConnection.quoteIdentifier(schema)).\(PostgresConnection.quoteIdentifier(name))"
                let result = try connection.query("select count(*), coalesce(sum(hashtextextended(t::text, 0)::numeric), 0)::text from only \(qualified) t")
                let key = "\(database).\(schema).\(name)"
                tables[key] = Entry(rows: Int64(result.rows[0][0] ?? "0") ?? 0, hash: result.rows[0][1] ?? "0")
                onTable(key)
            }
        }
        return TableChecksums(tables: tables)
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

    func encoded() throws -> String { String(decoding: try JSONEncoder().encode(self), as: UTF8.self) }

    static func decode(_ text: String) throws -> TableChecksums {
        try JSONDecoder().decode(TableChecksums.self, from: Data(text.utf8))
    }
}
