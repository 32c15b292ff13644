import Foundation
import UpshiftWire

/// An append-only JSON-lines journal; every line carries the run id and the plan hash.
///
/// Every line but progress is on disk (fsync) before `append` returns. Progress is coalesced: the latest value
/// per host and step, written at most every `progressInterval` without waiting for the disk, and the value
/// still pending written before the next durable line, so the run never waits on the disk for a progress line.
public final class RunJournal: @unchecked Sendable {
    /// The journal file.
    public var path: String { file.path }
    /// The least time between two progress lines of one host and step.
    public static let progressInterval: Duration = .milliseconds(250)
    private let runID: String
    private let planSHA256: String
    private let file: JSONLinesFile
    private let lock = NSLock()
    private var pendingProgress: [ProgressKey: JournalRecord] = [:]
    private var lastProgressLine: [ProgressKey: ContinuousClock.Instant] = [:]
    private var written = JournalWrites()

    private struct ProgressKey: Hashable {
        var host: String?
        var step: String?
    }

    /// What this journal has written since it was opened.
    public var writes: JournalWrites { lock.withLock { written } }

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

    /// Appends one record, stamped with the run and plan hash, and waits until it is on disk (progress: see above).
    public func append(_ record: JournalRecord) throws {
        var record = record
        record.run = runID
        record.plan = planSHA256
        if record.at == nil { record.at = Date() }
        try lock.withLock {
            if record.kind == .stepProgress {
                try coalesce(record)
                return
            }
            // Pending progress goes first, so the file keeps the order things happened in.
            for key in pendingProgress.keys.sorted(by: { ($0.host ?? "", $0.step ?? "") < ($1.host ?? "", $1.step ?? "") }) {
                try writeProgress(pendingProgress.removeValue(forKey: key)!, key: key)
            }
            written.lines += 1
            written.fsyncs += 1
            if record.kind == .runFinished { record.writes = written }
            try file.append(record)
        }
    }

    private func coalesce(_ record: JournalRecord) throws {
        written.progressReceived += 1
        let key = ProgressKey(host: record.host, step: record.step)
        if let last = lastProgressLine[key], ContinuousClock.now - last < Self.progressInterval {
            pendingProgress[key] = record
            return
        }
        pendingProgress[key] = nil
        try writeProgress(record, key: key)
    }

    private func writeProgress(_ record: JournalRecord, key: ProgressKey) throws {
        lastProgressLine[key] = .now
        written.lines += 1
        written.progressWritten += 1
        try file.append(record, durable: false)
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
