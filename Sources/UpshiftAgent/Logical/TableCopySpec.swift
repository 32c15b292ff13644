/// How a table is cut into ranges copied side by side.
public enum TableCopySplit: Sendable, Equatable {
    /// By pages: `ctid` ranges over the relation's blocks (TID range scans, PostgreSQL 14+).
    case ctid
    /// By the values of this column (its name as in the catalog): evenly between min and max for integer
    /// columns, at sampled quantiles for others; one range also takes the rows where it is NULL.
    case column(String)

    /// `ctid` for `"ctid"`, otherwise the column of that name.
    public init(_ text: String) {
        self = text == "ctid" ? .ctid : .column(text)
    }

    /// How the ledger names the split: `ctid` or `column:NAME`.
    var ledgerKey: String {
        switch self {
        case .ctid: "ctid"
        case .column(let name): "column:\(name)"
        }
    }
}

/// What to copy, from where to where.
public struct TableCopySpec: Sendable {
    /// The source database (libpq conninfo or URI).
    public var source: String
    /// The target database (libpq conninfo or URI); it holds the copy's ledger, `upshift_copy.ranges`.
    public var target: String
    /// `schema.table` as SQL reads it (unquoted names fold to lower case); the same name on both sides.
    public var table: String
    /// An SQL condition on the source's rows (`where`), ANDed to every range; nil copies every row.
    public var predicate: String?
    /// How many ranges, copied at once over as many connections on each side.
    public var parallel: Int
    /// How the ranges are cut.
    public var split: TableCopySplit
    /// A snapshot exported on the source (`pg_export_snapshot()`) every range reads at; nil reads the current data.
    public var snapshot: String?

    /// A copy of `table` from `source` to `target`; by default all rows in one range, at the current data.
    public init(source: String, target: String, table: String, predicate: String? = nil, parallel: Int = 1,
                split: TableCopySplit = .ctid, snapshot: String? = nil) {
        self.source = source
        self.target = target
        self.table = table
        self.predicate = predicate
        self.parallel = parallel
        self.split = split
        self.snapshot = snapshot
    }
}

/// What one run of a table copy did.
public struct TableCopyResult: Sendable, Equatable, Codable {
    /// Rows this run copied (ranges done by an earlier run not counted).
    public var rows: Int64
    /// Bytes of COPY data this run streamed.
    public var bytes: Int64
    /// Ranges the table is cut into.
    public var ranges: Int
    /// Ranges an earlier run had already copied, so this one skipped them.
    public var rangesAlreadyDone: Int
    /// Whether the data went in binary format (else text).
    public var binary: Bool
    /// Wall-clock seconds of the run.
    public var seconds: Double

    /// Makes a result from its parts.
    public init(rows: Int64, bytes: Int64, ranges: Int, rangesAlreadyDone: Int, binary: Bool, seconds: Double) {
        self.rows = rows
        self.bytes = bytes
        self.ranges = ranges
        self.rangesAlreadyDone = rangesAlreadyDone
        self.binary = binary
        self.seconds = seconds
    }
}
