import Foundation
import UpshiftWire

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

    /// `secrets.json` (mode 0600): values made for this run that agents need again on resume (the sync secret).
    public var secretsPath: String { path + "/secrets.json" }

    /// Makes this run's secrets and keeps them, readable by the owner only.
    func makeSecrets() throws -> RunSecrets {
        let secrets = RunSecrets(syncSecret: RunIdentity.random(bytes: 24))
        let data = try JSONEncoder().encode(secrets)
        try SecureFiles.write(String(decoding: data, as: UTF8.self), to: secretsPath, mode: 0o600)
        return secrets
    }

    /// The secrets `makeSecrets` kept.
    func readSecrets() throws -> RunSecrets {
        guard let data = FileManager.default.contents(atPath: secretsPath) else {
            throw JournalError(path: secretsPath, message: "the run's secrets are missing")
        }
        return try JSONDecoder().decode(RunSecrets.self, from: data)
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
        if FileManager.default.fileExists(atPath: directory.journalPath) || FileManager.default.fileExists(atPath: directory.path + "/run.json") {
            throw JournalError(path: directory.journalPath, message: "this run directory already holds a run; use `upshift resume` or another --run-dir")
        }
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        return directory
    }
}

/// Run identities and secrets from the system's random source.
public enum RunIdentity {
    /// `bytes` random bytes as lower-case hex.
    public static func random(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", generator.next() as UInt8) }.joined()
    }

    /// A new run id: never the run folder's name, so a reused folder name is never taken for an earlier run.
    public static func newRunID() -> String { "r" + random(bytes: 8) }
}
