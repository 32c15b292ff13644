import UpshiftPostgres

/// Which end of a table copy a connection or a failure belongs to.
enum TableCopySide: String, Sendable {
    /// The cluster the rows are read from.
    case source
    /// The cluster the rows are written to (and the ledger kept on).
    case target

    /// Opens a connection for copying: settings that make text-format values read back the same on the other
    /// side (as pg_dump sets them) and no role-level timeout cutting a long COPY short.
    func connect(_ conninfo: String) throws -> PostgresConnection {
        try run {
            let connection = try PostgresConnection(conninfo: conninfo)
            try connection.execute("""
                SET datestyle = ISO; SET intervalstyle = postgres; SET extra_float_digits = 3;
                SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0
                """)
            return connection
        }
    }

    /// Runs `body`, marking what it throws as this side's failure (a failure already marked keeps its side).
    func run<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let failure as TableCopySideFailure {
            throw failure
        } catch {
            throw TableCopySideFailure(side: self, underlying: error)
        }
    }
}

/// A failure on one side of a table copy, with the server's (or libpq's) error.
struct TableCopySideFailure: Error, CustomStringConvertible {
    /// Where it failed.
    let side: TableCopySide
    /// What failed there.
    let underlying: Error

    var description: String { "the \(side.rawValue) failed: \(underlying)" }
}
