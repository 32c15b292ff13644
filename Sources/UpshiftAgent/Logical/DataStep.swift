import Foundation
import UpshiftPlan
import UpshiftPostgres
import UpshiftWire

extension LogicalContext {
    /// `data`: every published table's rows as of the snapshot, by the native copy (`TableCopy`): tables of 64 MB
    /// and more one after another, each cut into `jobs` ranges; the smaller ones `jobs` at a time.
    func data() throws {
        for database in databases {
            let snapshot = try heldSnapshot(database)
            let start = try start(of: database)
            let source = try connect(.source, database: database)
            let sizes = try source.query("""
                select t, pg_total_relation_size(t::regclass) from unnest($1::text[]) t
                """, [Self.textArray(start.tables.map(Self.quoted))])
                .rows.compactMap { row in row[0].map { ($0, Int64(row[1] ?? "0") ?? 0) } }
            source.close()
            let totalBytes = sizes.map(\.1).reduce(0, +)
            let sourceInfo = try conninfo(.source, database: database)
            let targetInfo = Self.unfenced(try conninfo(.target, database: database))
            let large = sizes.filter { $0.1 >= Self.largeTableBytes }.sorted { $0.1 > $1.1 }
            let small = sizes.filter { $0.1 < Self.largeTableBytes }.sorted { $0.1 > $1.1 }
            let tally = CopyTally(totalBytes: totalBytes, emit: emit)
            for (table, _) in large {
                let spec = TableCopySpec(source: sourceInfo, target: targetInfo, table: table, parallel: plan.options.jobs,
                                         split: .ctid, snapshot: snapshot)
                let result = try TableCopy.run(spec, control: control) { _, bytes, _ in tally.inFlight(table, bytes: bytes) }
                tally.finished(table, result)
                log("\(database): \(table): \(result.rows) rows, \(result.bytes / 1_048_576) MB in \(String(format: "%.1f", result.seconds)) s "
                    + "(\(result.ranges) ranges, \(result.binary ? "binary" : "text"))")
            }
            try WorkQueue.run(small.map(\.0), workers: plan.options.jobs) { table in
                let spec = TableCopySpec(source: sourceInfo, target: targetInfo, table: table, snapshot: snapshot)
                let result = try TableCopy.run(spec, control: control) { _, bytes, _ in tally.inFlight(table, bytes: bytes) }
                tally.finished(table, result)
            }
            let (rows, bytes) = tally.totals
            log("\(database): \(start.tables.count) tables copied at the snapshot, \(rows) rows, \(bytes / 1_048_576) MB of COPY data")
        }
    }

    /// Tables at least this large are copied one at a time, cut into `jobs` ranges.
    static let largeTableBytes: Int64 = 64 << 20
}

/// The data step's running totals across the tables being copied, shown as bytes against the tables' size.
private final class CopyTally: @unchecked Sendable {
    private let lock = NSLock()
    private let totalBytes: Int64
    private let emit: @Sendable (StepEventKind) -> Void
    private var doneRows: Int64 = 0
    private var doneBytes: Int64 = 0
    private var running: [String: Int64] = [:]
    private var lastShown = Date.distantPast

    init(totalBytes: Int64, emit: @escaping @Sendable (StepEventKind) -> Void) {
        self.totalBytes = totalBytes
        self.emit = emit
    }

    func inFlight(_ table: String, bytes: Int64) {
        let show: Int64? = lock.withLock {
            running[table] = bytes
            guard Date().timeIntervalSince(lastShown) > 0.25 else { return nil }
            lastShown = Date()
            return doneBytes + running.values.reduce(0, +)
        }
        if let show { emit(.progress(done: Double(show) / 1_048_576, total: Double(totalBytes) / 1_048_576, unit: "MB")) }
    }

    func finished(_ table: String, _ result: TableCopyResult) {
        lock.withLock {
            running[table] = nil
            doneRows += result.rows
            doneBytes += result.bytes
        }
    }

    var totals: (rows: Int64, bytes: Int64) { lock.withLock { (doneRows, doneBytes) } }
}
