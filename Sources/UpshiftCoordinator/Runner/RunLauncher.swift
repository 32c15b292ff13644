import Foundation
import UpshiftPlan
import UpshiftWire

/// Starts a run of a checked plan: makes the run directory, journals, drives the agents.
public struct RunLauncher {
    /// The plan, as loaded and checked.
    public let loaded: LoadedPlan
    /// Where the run's files go.
    public let runDirectory: RunDirectory
    /// Marks the run as a rehearsal in its metadata.
    public let rehearsal: Bool

    /// A launcher for `loaded` writing into `runDirectory` (created if needed).
    public init(loaded: LoadedPlan, runDirectory: RunDirectory, rehearsal: Bool = false) {
        self.loaded = loaded
        self.runDirectory = runDirectory
        self.rehearsal = rehearsal
    }

    /// Runs the plan to its end and returns the outcome and the reason it stopped, if it failed.
    public func run(output: ProgressOutput, environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> (RunOutcome, String?) {
        let bundle = BundleBuilder.bundle(for: loaded, environment: environment)
        let runID = URL(fileURLWithPath: runDirectory.path).lastPathComponent
        try RunMetadata(plan: loaded.plan.name, planPath: loaded.path, run: runID, planSHA256: bundle.sha256,
                        rehearsal: rehearsal, createdAt: Date()).write(to: runDirectory)
        try JSONEncoder().encode(bundle).write(to: URL(fileURLWithPath: runDirectory.bundlePath), options: .atomic)
        let journal = try RunJournal(path: runDirectory.journalPath, runID: runID, planSHA256: bundle.sha256)
        let runner = RunRunner(plan: loaded.plan, bundle: bundle, runID: runID, journal: journal, output: output)
        return try await runner.run()
    }
}

/// `run.json`: what a run directory holds a run of.
public struct RunMetadata: Codable, Sendable {
    public var plan: String
    public var planPath: String
    public var run: String
    public var planSHA256: String
    public var rehearsal: Bool
    public var createdAt: Date

    /// Writes `run.json` into the run directory.
    public func write(to directory: RunDirectory) throws {
        let encoder = JSONEncoder.journal
        encoder.outputFormatting.insert(.prettyPrinted)
        try encoder.encode(self).write(to: URL(fileURLWithPath: directory.path + "/run.json"), options: .atomic)
    }

    /// Reads `run.json` from a run directory.
    public static func read(from directory: RunDirectory) throws -> RunMetadata {
        let path = directory.path + "/run.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw JournalError(path: path, message: "not a run directory (no run.json)")
        }
        return try JSONDecoder.journal.decode(RunMetadata.self, from: data)
    }
}

extension RunDirectory {
    /// The run's summary, folded from its journal.
    public func summary() throws -> RunSummary {
        let metadata = try RunMetadata.read(from: self)
        return RunSummary(planName: metadata.plan, records: try RunJournal.read(path: journalPath))
    }
}
