import Foundation
import UpshiftPostgres

/// The large-table bulk copy behind `upshift.copy_table`, `upshift-agent copy-table` and the logical strategy's data
/// step: COPY OUT of the source streamed into COPY IN on the target (binary when the types allow it), cut into ranges
/// copied side by side, each in its own transactions, resumable by range through the target's `upshift_copy.ranges`.
public enum TableCopy {
    /// The most ranges copied at once (each holds a connection on both sides).
    public static let maximumParallel = 64

    /// Copies `spec.table` and returns what this run did; ranges an earlier run finished are skipped. Memory stays
    /// bounded whatever the table's size: each chunk goes from the source's connection straight to the target's.
    /// `progress` is called on this thread about four times a second and once at the end, with the rows so far
    /// (earlier runs' included), the bytes this run streamed and the source's row estimate (nil with a predicate or
    /// when the table was never analyzed). Cancelling `control` cancels the COPYs on both sides.
    public static func run(_ spec: TableCopySpec, control: ProgramControl,
                           progress: (_ rows: Int64, _ bytes: Int64, _ totalRowsEstimate: Int64?) -> Void) throws -> TableCopyResult {
        try validate(spec)
        let started = ContinuousClock.now
        let (shape, ledger, entries) = try prepare(spec)
        let pending = entries.filter { $0.doneRows == nil }.map(\.range)
        let counters = TableCopyProgress(alreadyDoneRows: entries.compactMap(\.doneRows).reduce(0, +))
        let estimate = spec.predicate == nil ? shape.rowEstimate : nil
        let copier = TableCopyRangeCopy(spec: spec, shape: shape, ledger: ledger, control: control)
        let workers = TableCopyWorkers(copier: copier, ranges: pending, progress: counters)
        let copied = try workers.run(threads: spec.parallel, interval: 0.25) {
            let now = counters.current
            progress(now.rows, now.bytes, estimate)
        }
        let now = counters.current
        progress(now.rows, now.bytes, estimate)
        let elapsed = ContinuousClock.now - started
        return TableCopyResult(rows: copied.rows, bytes: copied.bytes, ranges: entries.count,
                               rangesAlreadyDone: entries.count - pending.count + copied.foundDone, binary: shape.binary,
                               seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    /// Reads the table on both sides and the copy's ranges (planned now, or by an earlier run); errors name the table.
    private static func prepare(_ spec: TableCopySpec) throws -> (TableCopyShape, TableCopyLedger, [TableCopyLedger.Entry]) {
        do {
            let source = try TableCopySide.source.connect(spec.source)
            defer { source.close() }
            let target = try TableCopySide.target.connect(spec.target)
            defer { target.close() }
            let shape = try TableCopyShape.read(table: spec.table, source: source, target: target)
            let ledger = TableCopyLedger(table: shape.targetName, split: spec.split.ledgerKey, predicate: spec.predicate ?? "")
            let entries = try ledger.entries(target: target) {
                try TableCopyRanges.plan(shape, split: spec.split, predicate: spec.predicate, parallel: spec.parallel, source: source)
            }
            return (shape, ledger, entries)
        } catch {
            throw AgentError("copy_table \(spec.table): \(error)")
        }
    }

    /// Refuses a spec that cannot be right before connecting anywhere.
    private static func validate(_ spec: TableCopySpec) throws {
        guard (1...maximumParallel).contains(spec.parallel) else {
            throw AgentError("copy_table \(spec.table): parallel must be from 1 to \(maximumParallel), not \(spec.parallel)")
        }
        if case .column(let name) = spec.split, name.isEmpty { throw AgentError("copy_table \(spec.table): split_by names no column") }
        // It is spliced into SET TRANSACTION SNAPSHOT, which takes no bind parameters.
        if let snapshot = spec.snapshot, snapshot.isEmpty || !snapshot.allSatisfy({ $0.isHexDigit || $0 == "-" }) {
            throw AgentError("copy_table \(spec.table): snapshot \"\(snapshot)\" is not a snapshot id such as 00000003-0000001B-1 (from pg_export_snapshot())")
        }
        if let predicate = spec.predicate, predicate.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw AgentError("copy_table \(spec.table): where is empty")
        }
    }
}
