import UpshiftPostgres

/// The target's record of a table copy's ranges, `upshift_copy.ranges`: the ranges planned for one table, split and
/// predicate, and which are done. A range's rows and its done mark commit in one target transaction, so a re-run
/// copies exactly the ranges that are missing. Deleting a copy's rows there makes the next run start afresh.
/// Exactly once holds for the rows each range read: runs that read a source written to in between (rather than one
/// exported snapshot) may see a row move from one ctid range to another.
struct TableCopyLedger: Sendable {
    /// A planned range and, once copied, its row count.
    struct Entry: Sendable {
        var range: TableCopyRange
        var doneRows: Int64?
    }

    /// The target table, `"schema"."table"`.
    let table: String
    /// `ctid` or `column:NAME`.
    let split: String
    /// The copy's `where`, or "" for none.
    let predicate: String

    /// The copy's key columns as bind parameters.
    private var key: [String?] { [table, split, predicate] }

    /// The copy's ranges: those an earlier run planned, else the ones `plan` returns, recorded before any is copied.
    /// Creates the ledger table on first use; concurrent copies into one target take turns here.
    func entries(target: PostgresConnection, plan: () throws -> [String?]) throws -> [Entry] {
        try TableCopySide.target.run { try target.execute("BEGIN") }
        do {
            let stored = try TableCopySide.target.run { () -> [[String?]] in
                _ = try target.query("SELECT pg_advisory_xact_lock(hashtext('upshift_copy.ranges'))")
                if try target.query("SELECT to_regclass('upshift_copy.ranges') IS NULL").rows.first?[0] == "t" {
                    try target.execute(Self.createSQL)
                }
                return try target.query("""
                    SELECT range_no, range_count, condition, rows FROM upshift_copy.ranges
                    WHERE table_name = $1 AND split = $2 AND predicate = $3 ORDER BY range_no
                    """, key).rows
            }
            if !stored.isEmpty {
                try TableCopySide.target.run { try target.execute("COMMIT") }
                return stored.map { row in
                    Entry(range: TableCopyRange(number: Int(row[0] ?? "") ?? 0, count: Int(row[1] ?? "") ?? 0, condition: row[2]),
                          doneRows: row[3].flatMap { Int64($0) })
                }
            }
            let conditions = try plan()
            try TableCopySide.target.run {
                for (number, condition) in conditions.enumerated() {
                    _ = try target.query("""
                        INSERT INTO upshift_copy.ranges (table_name, split, predicate, range_no, range_count, condition)
                        VALUES ($1, $2, $3, $4, $5, $6)
                        """, key + [String(number), String(conditions.count), condition])
                }
                try target.execute("COMMIT")
            }
            return conditions.enumerated().map { Entry(range: TableCopyRange(number: $0, count: conditions.count, condition: $1)) }
        } catch {
            try? target.execute("ROLLBACK")
            throw error
        }
    }

    /// Inside the range's target transaction: locks its ledger row until commit and says whether it is already done
    /// (by a concurrent run, or by this one when a commit's answer was lost), in which case it must not be copied.
    func lock(_ range: TableCopyRange, target: PostgresConnection) throws -> Bool {
        let rows = try target.query("""
            SELECT rows IS NOT NULL FROM upshift_copy.ranges
            WHERE table_name = $1 AND split = $2 AND predicate = $3 AND range_no = $4 FOR UPDATE
            """, key + [String(range.number)]).rows
        guard let done = rows.first?[0] else {
            throw AgentError("upshift_copy.ranges lost \(range.label) of \(table)")
        }
        return done == "t"
    }

    /// Inside the range's target transaction, after its COPY: marks it done with what it copied.
    func markDone(_ range: TableCopyRange, rows: Int64, bytes: Int64, target: PostgresConnection) throws {
        _ = try target.query("""
            UPDATE upshift_copy.ranges SET rows = $5, bytes = $6, copied_at = now()
            WHERE table_name = $1 AND split = $2 AND predicate = $3 AND range_no = $4
            """, key + [String(range.number), String(rows), String(bytes)])
    }

    /// The ledger's schema, table and key (the predicate hashed: a long `where` would not fit in an index entry).
    private static let createSQL = """
        CREATE SCHEMA IF NOT EXISTS upshift_copy;
        CREATE TABLE IF NOT EXISTS upshift_copy.ranges (
          table_name text NOT NULL,
          split text NOT NULL,
          predicate text NOT NULL,
          range_no int NOT NULL,
          range_count int NOT NULL,
          condition text,
          rows bigint,
          bytes bigint,
          copied_at timestamptz
        );
        COMMENT ON TABLE upshift_copy.ranges IS 'upshift copy_table: the ranges of each table copy and which are done; delete a copy''s rows to start it afresh';
        CREATE UNIQUE INDEX IF NOT EXISTS ranges_key ON upshift_copy.ranges (table_name, split, md5(predicate), range_no)
        """
}
