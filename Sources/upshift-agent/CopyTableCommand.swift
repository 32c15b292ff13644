import ArgumentParser
import Foundation
import UpshiftAgent
import UpshiftPostgres

/// `upshift-agent copy-table`: the bulk copy of `upshift.copy_table`, run by hand (a DBA's copy, a benchmark).
struct CopyTableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy-table",
        abstract: "Copy one table between two clusters: streamed COPY in parallel ranges, resumable by range.",
        discussion: """
            The target table must exist with the source's columns (their types may differ: text format is then used). \
            The target records the copy's ranges in upshift_copy.ranges; running the same copy again (same table, \
            --split-by and --where) copies only the ranges not done yet. Prints one summary line.
            """
    )

    @Option(help: "The source database (libpq conninfo or postgresql:// URI).")
    var source: String

    @Option(help: "The target database (libpq conninfo or postgresql:// URI).")
    var target: String

    @Option(help: "The table, schema.table as SQL reads it.")
    var table: String

    @Option(name: .customLong("where"), help: "An SQL condition: only the source rows it selects are copied.")
    var predicate: String?

    @Option(help: "How many ranges to copy at once (each uses one connection on each side).")
    var parallel = 1

    @Option(help: "ctid (page ranges) or a column name (ranges of its values).")
    var splitBy = "ctid"

    @Option(help: "A snapshot exported on the source (pg_export_snapshot()) that every range reads at.")
    var snapshot: String?

    @Flag(help: "Print the result as JSON instead of a line of text.")
    var json = false

    func validate() throws {
        guard (1...TableCopy.maximumParallel).contains(parallel) else {
            throw ValidationError("--parallel must be from 1 to \(TableCopy.maximumParallel)")
        }
        guard !splitBy.isEmpty else { throw ValidationError("--split-by needs ctid or a column name") }
    }

    func run() throws {
        let spec = TableCopySpec(source: source, target: target, table: table, predicate: predicate, parallel: parallel,
                                 split: TableCopySplit(splitBy), snapshot: snapshot)
        let result = try TableCopy.run(spec, control: ProgramControl(label: "copy-table")) { _, _, _ in }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
            return
        }
        let megabytes = Double(result.bytes) / 1_000_000
        let rate = result.seconds > 0 ? megabytes / result.seconds : 0
        print("\(table): \(result.rows) rows, \(String(format: "%.1f", megabytes)) MB in \(result.ranges) ranges "
              + "(\(result.rangesAlreadyDone) already done), \(result.binary ? "binary" : "text"), "
              + "\(String(format: "%.2f", result.seconds)) s, \(String(format: "%.1f", rate)) MB/s")
    }
}
