import UpshiftPostgres

/// One slice of a table copy: its number (from 0), how many there are, and the SQL condition that selects it.
struct TableCopyRange: Sendable, Equatable {
    var number: Int
    var count: Int
    /// nil for the whole table.
    var condition: String?

    /// `range 2 of 4 (ctid >= '(10,0)'::tid AND …)`, for errors.
    var label: String {
        "range \(number + 1) of \(count)" + (condition.map { " (\($0))" } ?? "")
    }
}

/// Cuts a table into ranges whose conditions cover every row, whatever was added since: the first and last
/// ranges are open-ended, and a column split's NULLs go to the last one.
enum TableCopyRanges {
    /// A range holds at least this many pages; a smaller table is copied in fewer ranges (one when tiny).
    static let minimumPages: Int64 = 16

    /// The conditions of the ranges of `shape` for `split`, at most `parallel` of them, read from the source.
    static func plan(_ shape: TableCopyShape, split: TableCopySplit, predicate: String?, parallel: Int,
                     source: PostgresConnection) throws -> [String?] {
        let wanted = Int(min(Int64(parallel), shape.pages / minimumPages))
        switch split {
        case .ctid:
            guard wanted > 1, !shape.partitioned else { return [nil] }
            return ctid(pages: shape.pages, count: wanted)
        case .column(let name):
            guard let type = shape.splittable[name] else {
                throw AgentError("split_by \(name): table \(shape.sourceName) on the source has no such column")
            }
            guard wanted > 1 else { return [nil] }
            let sql = boundsSQL(shape, column: name, integer: [20, 21, 23].contains(type), predicate: predicate, count: wanted)
            let bounds = try TableCopySide.source.run { try source.query(sql) }.rows.compactMap { $0[0] }
            return column(PostgresConnection.quoteIdentifier(name), bounds: bounds)
        }
    }

    /// `count` page ranges of equal size; the first starts at page 0, the last has no end.
    static func ctid(pages: Int64, count: Int) -> [String?] {
        (0..<count).map { index in
            let low = pages * Int64(index) / Int64(count)
            let high = pages * Int64(index + 1) / Int64(count)
            var parts: [String] = []
            if index > 0 { parts.append("ctid >= '(\(low),0)'::tid") }
            if index < count - 1 { parts.append("ctid < '(\(high),0)'::tid") }
            return parts.joined(separator: " AND ")
        }
    }

    /// Ranges between the quoted literals `bounds` (ascending); the last also takes the NULLs.
    static func column(_ quoted: String, bounds: [String]) -> [String?] {
        var distinct: [String] = []
        for bound in bounds where bound != distinct.last { distinct.append(bound) }
        guard !distinct.isEmpty else { return [nil] }
        var ranges = ["\(quoted) < \(distinct[0])"]
        for (low, high) in zip(distinct, distinct.dropFirst()) {
            ranges.append("\(quoted) >= \(low) AND \(quoted) < \(high)")
        }
        ranges.append("(\(quoted) >= \(distinct[distinct.count - 1]) OR \(quoted) IS NULL)")
        return ranges
    }

    /// The inner bounds for `count` ranges, as quoted literals in order: evenly spaced between min and max for an
    /// integer column, else the quantiles of a sample of about 2000 pages.
    private static func boundsSQL(_ shape: TableCopyShape, column name: String, integer: Bool, predicate: String?, count: Int) -> String {
        let column = PostgresConnection.quoteIdentifier(name)
        if integer {
            let filter = predicate.map { " WHERE (\($0))" } ?? ""
            return """
                SELECT quote_literal(lo + floor((hi - lo + 1) * g / \(count))) FROM
                  (SELECT min(\(column))::numeric AS lo, max(\(column))::numeric AS hi FROM \(shape.sourceFrom)\(filter)) m,
                  generate_series(1, \(count - 1)) g
                WHERE lo IS NOT NULL ORDER BY g
                """
        }
        let fractions = (1..<count).map { "\(Double($0) / Double(count))" }.joined(separator: ",")
        let percent = min(100, max(0.01, 100 * 2000 / Double(max(shape.pages, 1))))
        let filter = " WHERE \(column) IS NOT NULL" + (predicate.map { " AND (\($0))" } ?? "")
        return """
            SELECT quote_literal(b.v) FROM unnest((
              SELECT percentile_disc('{\(fractions)}'::float8[]) WITHIN GROUP (ORDER BY \(column))
              FROM \(shape.sourceFrom) TABLESAMPLE SYSTEM (\(percent))\(filter))) WITH ORDINALITY AS b(v, i)
            ORDER BY b.i
            """
    }
}
