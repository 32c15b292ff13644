import Foundation
import UpshiftWire

/// An append-only, fsync'd JSON-lines journal; every line carries the run id and the plan hash.
public final class RunJournal: @unchecked Sendable {
    /// The journal file.
    public let path: String
    private let runID: String
    private let planSHA256: String
    private let handle: FileHandle
    private let lock = NSLock()
    private let encoder: JSONEncoder

    /// Opens (creating if needed) the journal at `path` for appending.
    public init(path: String, runID: String, planSHA256: String) throws {
        self.path = path
        self.runID = runID
        self.planSHA256 = planSHA256
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o640]) else {
                throw JournalError(path: path, message: "cannot create the journal")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw JournalError(path: path, message: "cannot open the journal for writing")
        }
        handle.seekToEndOfFile()
        self.handle = handle
        encoder = JSONEncoder.journal
    }

    deinit { try? handle.close() }

    /// Appends one record and waits until it is on disk.
    public func append(_ record: JournalRecord) throws {
        var record = record
        record.run = runID
        record.plan = planSHA256
        if record.at == nil { record.at = Date() }
        var line = try encoder.encode(record)
        line.append(0x0A)
        lock.lock()
        defer { lock.unlock() }
        do {
            try handle.write(contentsOf: line)
            try handle.synchronize()
        } catch {
            throw JournalError(path: path, message: "write failed: \(error)")
        }
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
