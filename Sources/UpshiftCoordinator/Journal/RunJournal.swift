import Foundation
import UpshiftWire

/// An append-only, fsync'd JSON-lines journal; every line carries the run id and the plan hash.
public final class RunJournal: @unchecked Sendable {
    /// The journal file.
    public var path: String { file.path }
    private let runID: String
    private let planSHA256: String
    private let file: JSONLinesFile

    /// Opens (creating if needed) the journal at `path` for appending.
    public init(path: String, runID: String, planSHA256: String) throws {
        self.runID = runID
        self.planSHA256 = planSHA256
        do {
            file = try JSONLinesFile(path: path, permissions: 0o600)
        } catch let error as JSONLinesError {
            throw JournalError(path: error.path, message: error.message)
        }
    }

    /// Appends one record, stamped with the run and plan hash, and waits until it is on disk.
    public func append(_ record: JournalRecord) throws {
        var record = record
        record.run = runID
        record.plan = planSHA256
        if record.at == nil { record.at = Date() }
        try file.append(record)
    }

    /// Reads every record of a journal file; a torn last line (a crash mid-write) is ignored.
    public static func read(path: String) throws -> [JournalRecord] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw JournalError(path: path, message: "no journal here")
        }
        let decoder = JSONDecoder.journal
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: true)
        var records: [JournalRecord] = []
        for (number, line) in lines.enumerated() {
            do {
                records.append(try decoder.decode(JournalRecord.self, from: Data(line)))
            } catch where number == lines.count - 1 {
                break
            } catch {
                throw JournalError(path: path, message: "line \(number + 1) is not a journal record: \(error)")
            }
        }
        return records
    }
}

/// A journal that cannot be written or read.
public struct JournalError: Error, CustomStringConvertible {
    /// The journal file.
    public var path: String
    /// What went wrong.
    public var message: String
    public var description: String { "\(path): \(message)" }
}

extension JSONEncoder {
    /// Sorted keys, millisecond UTC dates: one stable line per record.
    static var journal: JSONEncoder {
        let encoder = WireJSON.makeEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

extension JSONDecoder {
    /// Reads what `JSONEncoder.journal` writes.
    static var journal: JSONDecoder { WireJSON.makeDecoder() }
}
