import Foundation

/// The folder a run writes: the plan as run, the journal, the report.
public struct RunDirectory: Sendable {
    /// Absolute path of the folder.
    public let path: String

    /// The journal file inside it.
    public var journalPath: String { path + "/journal.jsonl" }
    /// The copy of the plan bundle the run used.
    public var bundlePath: String { path + "/plan-bundle.json" }

    /// Wraps an existing run folder.
    public init(path: String) {
        self.path = URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// `runs/NAME-YYYYMMDD-HHMMSS` beside the plan file.
    public static func defaultPath(planPath: String, planName: String, now: Date = Date()) -> String {
        let planDirectory = URL(fileURLWithPath: planPath).deletingLastPathComponent().path
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return "\(planDirectory)/runs/\(planName)-\(formatter.string(from: now))"
    }

    /// Creates the folder; refuses one that already holds a journal, so two runs never share one.
    public static func create(at path: String) throws -> RunDirectory {
        let directory = RunDirectory(path: path)
        if FileManager.default.fileExists(atPath: directory.journalPath) {
            throw JournalError(path: directory.journalPath, message: "this run directory already holds a run; use `upshift resume` or another --run-dir")
        }
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        return directory
    }
}
