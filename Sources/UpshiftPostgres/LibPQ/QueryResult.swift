import CLibPQ

/// One query result: column names, type OIDs, rows of text values (nil = SQL NULL), command tag, affected rows.
public struct QueryResult: Sendable {
    /// Column names in order.
    public var columns: [String]
    /// Each column's type OID (25 text, 23 int4, 20 int8, …).
    public var typeOIDs: [UInt32]
    /// Rows of values in text format; nil is SQL NULL.
    public var rows: [[String?]]
    /// The command tag, e.g. `SELECT 3` or `INSERT 0 1`.
    public var commandTag: String
    /// Rows affected or returned, from the command tag; nil when the command reports none (e.g. `CREATE TABLE`).
    public var rowsAffected: Int?

    /// Makes a result from its parts.
    public init(columns: [String], typeOIDs: [UInt32], rows: [[String?]], commandTag: String, rowsAffected: Int?) {
        self.columns = columns
        self.typeOIDs = typeOIDs
        self.rows = rows
        self.commandTag = commandTag
        self.rowsAffected = rowsAffected
    }

    /// The value at `row` of the column named `column`; nil when NULL or there is no such column.
    public func value(_ row: Int, _ column: String) -> String? {
        guard let index = columns.firstIndex(of: column), rows.indices.contains(row) else { return nil }
        return rows[row][index]
    }

    /// Copies a successful PGresult into Swift values.
    init(result: OpaquePointer) {
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        typeOIDs = (0..<columnCount).map { UInt32(PQftype(result, Int32($0))) }
        rows = (0..<rowCount).map { row in
            (0..<columnCount).map { column -> String? in
                if PQgetisnull(result, Int32(row), Int32(column)) != 0 { return nil }
                let length = Int(PQgetlength(result, Int32(row), Int32(column)))
                let bytes = UnsafeRawBufferPointer(start: PQgetvalue(result, Int32(row), Int32(column)), count: length)
                return String(decoding: bytes, as: UTF8.self)
            }
        }
        commandTag = String(cString: PQcmdStatus(result))
        rowsAffected = Int(String(cString: PQcmdTuples(result)))
    }
}
