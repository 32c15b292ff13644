import UpshiftPostgres

/// The copied table as both catalogs describe it: its names, size, the columns that travel and in which format.
struct TableCopyShape: Sendable {
    /// One column that travels, with its type on each side.
    struct Column: Sendable {
        var name: String
        /// `format_type` on each side, e.g. `integer` and `bigint`.
        var sourceType: String
        var targetType: String
        /// Whether the type is built in (OID below 16384) on both sides.
        var builtin: Bool
    }

    /// `"schema"."table"` on the source.
    var sourceName: String
    /// `"schema"."table"` on the target (the ledger's key).
    var targetName: String
    /// Whether the source table is partitioned (no storage of its own: no ctid ranges, no ONLY).
    var partitioned: Bool
    /// The source's pages (its partitions' for a partitioned table) when the shape was read.
    var pages: Int64
    /// The source planner's row estimate, nil when never analyzed.
    var rowEstimate: Int64?
    /// The source's non-dropped, non-generated columns in order.
    var columns: [Column]
    /// Every non-dropped source column (generated ones too) with its type OID: what a split may name.
    var splittable: [String: UInt32]

    /// Binary format only when every column is a built-in type spelled the same on both sides; else text.
    var binary: Bool {
        columns.allSatisfy { $0.builtin && $0.sourceType == $0.targetType }
    }

    /// The column list, quoted, as both COPY statements name it.
    var columnList: String {
        columns.map { PostgresConnection.quoteIdentifier($0.name) }.joined(separator: ", ")
    }

    /// What the source's queries read: the table without its inheritance children (which are tables of their
    /// own), or a partitioned table with its partitions.
    var sourceFrom: String {
        partitioned ? sourceName : "ONLY \(sourceName)"
    }

    /// `COPY (SELECT … WHERE …) TO STDOUT` for one range's condition and the copy's predicate.
    func copyOut(condition: String?, predicate: String?) -> String {
        let filters = [condition, predicate.map { "(\($0))" }].compactMap { $0 }
        let filter = filters.isEmpty ? "" : " WHERE " + filters.joined(separator: " AND ")
        return "COPY (SELECT \(columnList) FROM \(sourceFrom)\(filter)) TO STDOUT\(binary ? " (FORMAT binary)" : "")"
    }

    /// `COPY table (columns) FROM STDIN` on the target.
    var copyIn: String {
        "COPY \(targetName) (\(columnList)) FROM STDIN\(binary ? " (FORMAT binary)" : "")"
    }

    /// Reads the table on both sides; throws when it is missing or the target lacks a column the source sends.
    static func read(table: String, source: PostgresConnection, target: PostgresConnection) throws -> TableCopyShape {
        let relation = try TableCopySide.source.run { try source.query(relationSQL, [table]) }
        guard let row = relation.rows.first, let sourceName = row[0] else {
            throw AgentError("table \(table) is not on the source [\(source.context)]")
        }
        let targetRelation = try TableCopySide.target.run { try target.query(relationSQL, [table]) }
        guard let targetName = targetRelation.rows.first?[0] else {
            throw AgentError("table \(table) is not on the target [\(target.context)]: create it first")
        }
        let sourceColumns = try TableCopySide.source.run { try source.query(columnsSQL, [sourceName]) }.rows
        let targetColumns = try TableCopySide.target.run { try target.query(columnsSQL, [targetName]) }.rows
        var targetTypes: [String: (type: String, builtin: Bool, generated: Bool)] = [:]
        for column in targetColumns {
            guard let name = column[0] else { continue }
            targetTypes[name] = (column[1] ?? "", (UInt32(column[2] ?? "") ?? .max) < 16384, column[3] == "t")
        }
        var columns: [Column] = []
        var splittable: [String: UInt32] = [:]
        var missing: [String] = []
        for column in sourceColumns {
            guard let name = column[0], let oid = UInt32(column[2] ?? "") else { continue }
            splittable[name] = oid
            if column[3] == "t" { continue }
            guard let other = targetTypes[name], !other.generated else {
                missing.append(name)
                continue
            }
            columns.append(Column(name: name, sourceType: column[1] ?? "", targetType: other.type, builtin: oid < 16384 && other.builtin))
        }
        guard missing.isEmpty else {
            throw AgentError("table \(targetName) on the target [\(target.context)] has no writable column \(missing.joined(separator: ", ")): "
                             + "every column the source has (generated ones aside) must be there and not generated")
        }
        guard !columns.isEmpty else { throw AgentError("table \(sourceName) on the source has no columns to copy") }
        return TableCopyShape(sourceName: sourceName, targetName: targetName, partitioned: row[1] == "p",
                              pages: Int64(row[2] ?? "") ?? 0, rowEstimate: row[3].flatMap { Int64($0) },
                              columns: columns, splittable: splittable)
    }

    /// The quoted name, kind, pages and row estimate of a plain or partitioned table (a partitioned one's from its leaves).
    private static let relationSQL = """
        SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relkind::text,
          CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(pg_relation_size(t.relid)), 0) FROM pg_partition_tree(c.oid) t WHERE t.isleaf)
               ELSE pg_relation_size(c.oid) END::bigint / current_setting('block_size')::int,
          CASE WHEN c.relkind = 'p' THEN (SELECT sum(l.reltuples) FROM pg_partition_tree(c.oid) t JOIN pg_class l ON l.oid = t.relid
                                          WHERE t.isleaf AND l.reltuples >= 0)
               ELSE nullif(c.reltuples, -1) END::bigint
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p')
        """

    /// Name, spelled type, type OID and whether generated, of each non-dropped column in order.
    private static let columnsSQL = """
        SELECT attname, format_type(atttypid, atttypmod), atttypid, attgenerated <> ''
        FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum
        """
}
