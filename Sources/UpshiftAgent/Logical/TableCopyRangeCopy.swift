import UpshiftPostgres

/// Copies one range: a source transaction (at the snapshot, when there is one) streams COPY OUT chunk by chunk into
/// COPY IN on the target, whose transaction also marks the range done in the ledger, so it lands whole or not at all.
struct TableCopyRangeCopy: Sendable {
    /// How a range attempt ended.
    enum Outcome: Equatable {
        /// Committed with its ledger mark: the rows the target wrote and the bytes streamed.
        case copied(rows: Int64, bytes: Int64)
        /// The ledger already had it done: nothing was copied.
        case alreadyDone
    }

    let spec: TableCopySpec
    let shape: TableCopyShape
    let ledger: TableCopyLedger
    let control: ProgramControl

    /// Copies `range` on fresh connections; `report` sees the rows (chunks) and bytes streamed so far, every megabyte.
    /// Cancelling `control` cancels the COPY on both sides.
    func run(_ range: TableCopyRange, report: (_ rows: Int64, _ bytes: Int64) -> Void) throws -> Outcome {
        let source = try TableCopySide.source.connect(spec.source)
        defer { source.close() }
        let target = try TableCopySide.target.connect(spec.target)
        defer { target.close() }
        let cancellers = [source.makeCanceller(), target.makeCanceller()].compactMap { $0 }
        let registration = control.onCancel { cancellers.forEach { $0.cancel() } }
        defer { control.remove(registration) }
        try control.checkStopped()

        try TableCopySide.source.run {
            try source.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            if let snapshot = spec.snapshot { try source.execute("SET TRANSACTION SNAPSHOT '\(snapshot)'") }
        }
        let done = try TableCopySide.target.run { () -> Bool in
            try target.execute("BEGIN")
            return try ledger.lock(range, target: target)
        }
        if done { return .alreadyDone }
        try TableCopySide.target.run { try target.beginCopyIn(shape.copyIn) }
        var rows: Int64 = 0
        var sent: Int64 = 0
        var reported: Int64 = 0
        let bytes: Int
        do {
            bytes = try TableCopySide.source.run {
                try source.copyOut(shape.copyOut(condition: range.condition, predicate: spec.predicate)) { chunk in
                    try TableCopySide.target.run { try target.putCopyData(chunk) }
                    rows += 1
                    sent += Int64(chunk.count)
                    if sent - reported >= 1 << 20 {
                        reported = sent
                        report(rows, sent)
                    }
                }
            }
        } catch {
            target.abortCopyIn("upshift: copying \(range.label) failed")
            throw error
        }
        let copied = try TableCopySide.target.run { () -> Int64 in
            let copied = Int64(try target.endCopyIn())
            try ledger.markDone(range, rows: copied, bytes: Int64(bytes), target: target)
            try target.execute("COMMIT")
            return copied
        }
        return .copied(rows: copied, bytes: Int64(bytes))
    }
}
