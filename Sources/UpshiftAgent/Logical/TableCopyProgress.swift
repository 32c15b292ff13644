import Foundation

/// Rows and bytes of a table copy as its ranges advance, shared by the worker threads: committed ranges count for good,
/// a range in flight counts until it commits or fails (a retried range starts again from nothing).
final class TableCopyProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var committedRows: Int64 = 0
    private var committedBytes: Int64 = 0
    private var inFlight: [Int: (rows: Int64, bytes: Int64)] = [:]

    /// Starts from what earlier runs copied (ranges the ledger has done).
    init(alreadyDoneRows: Int64) {
        committedRows = alreadyDoneRows
    }

    /// Range `number` has streamed `rows` and `bytes` so far.
    func streaming(_ number: Int, rows: Int64, bytes: Int64) {
        lock.withLock { inFlight[number] = (rows, bytes) }
    }

    /// Range `number` committed `rows` and `bytes`.
    func committed(_ number: Int, rows: Int64, bytes: Int64) {
        lock.withLock {
            inFlight[number] = nil
            committedRows += rows
            committedBytes += bytes
        }
    }

    /// Range `number` failed or turned out done already: what it streamed does not count.
    func dropped(_ number: Int) {
        lock.withLock { inFlight[number] = nil }
    }

    /// Rows and bytes so far, committed and in flight.
    var current: (rows: Int64, bytes: Int64) {
        lock.withLock {
            inFlight.values.reduce((committedRows, committedBytes)) { ($0.0 + $1.rows, $0.1 + $1.bytes) }
        }
    }
}
