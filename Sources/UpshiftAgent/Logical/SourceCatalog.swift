import Foundation
import UpshiftPostgres

/// What the logical steps read from a database's catalog, on either side.
struct SourceCatalog {
    let connection: PostgresConnection
    /// Schemas that are never replicated: the catalogs, the probe's, Upshift's own.
    let excludedSchemas: [String]

    init(_ connection: PostgresConnection, probeSchema: String) {
        self.connection = connection
        excludedSchemas = ["pg_catalog", "information_schema", probeSchema, LogicalNames.copyLedgerSchema, LogicalNames.markerSchema]
    }

    private var schemaFilter: String {
        "n.nspname <> all($1::text[]) and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp%'"
    }
    private var excludedArray: String? { "{\(excludedSchemas.joined(separator: ","))}" }

    /// `schema.table` of every permanent ordinary table (partitions included, their parents not), in name order.
    func permanentTables() throws -> [String] {
        try names("""
            select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind = 'r' and c.relpersistence = 'p' and \(schemaFilter) order by 1
            """)
    }

    /// Unlogged tables: logical replication does not carry them.
    func unloggedTables() throws -> [String] {
        try names("""
            select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p') and c.relpersistence = 'u' and \(schemaFilter) order by 1
            """)
    }

    /// Materialized views: not replicated, refreshed on the target by the post-data restore.
    func materializedViews() throws -> [String] {
        try names("""
            select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind = 'm' and \(schemaFilter) order by 1
            """)
    }

    /// Tables whose UPDATE and DELETE cannot be replicated: no primary key and replica identity default (or
    /// nothing), or an identity index that is gone.
    func tablesWithoutReplicaIdentity() throws -> [String] {
        try names("""
            select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind = 'r' and c.relpersistence = 'p' and \(schemaFilter)
              and (c.relreplident = 'n'
                   or (c.relreplident = 'd' and not exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisprimary))
                   or (c.relreplident = 'i' and not exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisreplident)))
            order by 1
            """)
    }

    /// How many large objects the database holds.
    func largeObjectCount() throws -> Int {
        Int(try connection.query("select count(*) from pg_largeobject_metadata").rows.first?.first.flatMap { $0 } ?? "0") ?? 0
    }

    /// Every sequence's value (`last_value`, or its start when never used), by `schema.sequence`.
    func sequenceValues() throws -> [(name: String, value: Int64)] {
        try connection.query("""
            select schemaname || '.' || sequencename, coalesce(last_value, start_value)
            from pg_sequences where schemaname <> all($1::text[]) order by 1
            """, [excludedArray]).rows.compactMap { row in
            guard let name = row[0], let value = row[1].flatMap({ Int64($0) }) else { return nil }
            return (name, value)
        }
    }

    /// A hash of the schema replication depends on: every table, its columns and their types, constraints and
    /// replica identity. DDL made on the source after the snapshot changes it (logical replication carries no DDL).
    func fingerprint() throws -> String {
        try connection.query("""
            select md5(coalesce(string_agg(line, E'\\n' order by line), '')) from (
              select n.nspname || '.' || c.relname || ':' || c.relkind::text || ':' || c.relreplident::text || ':' ||
                     coalesce((select string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || case when a.attnotnull then '!' else '' end,
                                                 ',' order by a.attnum)
                               from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '') || ':' ||
                     coalesce((select string_agg(pg_get_constraintdef(k.oid), ',' order by k.conname)
                               from pg_constraint k where k.conrelid = c.oid), '') as line
              from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where c.relkind in ('r', 'p', 'v', 'm', 'S') and \(schemaFilter)
            ) lines
            """, [excludedArray]).rows.first?.first.flatMap { $0 } ?? ""
    }

    /// Whether `table` (`schema.table`) has a column `column`; nil when the table itself is missing.
    func hasColumn(_ table: String, _ column: String) throws -> Bool? {
        let parts = table.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        let row = try connection.query("""
            select c.oid is not null, exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = $3
                                               and a.attnum > 0 and not a.attisdropped)
            from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relname = $2
            """, [parts[0], parts[1], column]).rows.first
        guard let row else { return nil }
        return row[1] == "t"
    }

    /// The columns whose foreign keys reference `table`.`column`, as (`schema.table`, column); a partition's column
    /// is named on its partitioned root (a partition's column type follows its parent's).
    func referencingColumns(_ table: String, _ column: String) throws -> [(table: String, column: String)] {
        try connection.query("""
            select distinct n.nspname || '.' || c.relname, a.attname
            from pg_constraint k
            join pg_class c on c.oid = coalesce(pg_partition_root(k.conrelid), k.conrelid) join pg_namespace n on n.oid = c.relnamespace
            join lateral unnest(k.conkey, k.confkey) as u(col, refcol) on true
            join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.col
            join pg_attribute r on r.attrelid = k.confrelid and r.attnum = u.refcol
            where k.contype = 'f' and k.conparentid = 0 and k.confrelid = $1::regclass and r.attname = $2
            order by 1, 2
            """, [LogicalContext.quoted(table), column]).rows.compactMap { row in
            guard let t = row[0], let c = row[1] else { return nil }
            return (t, c)
        }
    }

    private func names(_ sql: String) throws -> [String] {
        try connection.query(sql, [excludedArray]).rows.compactMap { $0[0] }
    }
}
