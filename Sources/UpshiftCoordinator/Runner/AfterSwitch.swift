import Foundation
import UpshiftPlan
import UpshiftWire

/// `upshift rollback RUN` and `upshift finish RUN` for a logical run past its switch: the plan the run kept, its
/// facts, and one more step (with the hooks the plan attaches before and after it) on the target primary. Each keeps
/// its own journal in a folder of the run directory named after the step; asked again, the agent answers from its
/// journal instead of running the step twice.
public struct AfterSwitch {
    /// The run directory `upshift run` printed.
    public let runDirectory: RunDirectory
    /// `rollbackToSource` or `finish`.
    public let step: BuiltinStep

    /// An after-switch action on `runDirectory`.
    public init(runDirectory: RunDirectory, step: BuiltinStep) {
        self.runDirectory = runDirectory
        self.step = step
    }

    /// Runs the step and its hooks; throws, changing nothing, when the run is not a logical run past its switch.
    public func run(output: ProgressOutput, environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> (RunOutcome, String?) {
        let metadata = try RunMetadata.read(from: runDirectory)
        let records = try RunJournal.read(path: runDirectory.journalPath)
        let (loaded, bundle) = try runDirectory.restoredPlan(metadata: metadata, environment: environment)
        guard let steps = StepPlanner.afterSwitchSteps(step, for: loaded.plan) else {
            throw JournalError(path: runDirectory.path, message: "\(step.id) applies to logical runs; this run's plan is \(loaded.plan.strategy.rawValue)")
        }
        let facts = RunFacts(journal: records)
        guard facts.crossedPointOfNoReturn else {
            throw JournalError(path: runDirectory.path, message: "this run never reached its switch: the source still takes the writes "
                               + "(a failure before the switch rolled back by itself), so there is nothing to \(step == .finish ? "finish" : "roll back")")
        }
        let folder = RunDirectory(path: runDirectory.path + "/" + step.id)
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        let journal = try RunJournal(path: folder.journalPath, runID: metadata.run, planSHA256: bundle.sha256)
        let runner = RunRunner(plan: loaded.plan, bundle: bundle, runID: metadata.run, journal: journal, output: output, steps: steps)
        return try await runner.run(facts: facts, secrets: try runDirectory.readSecrets())
    }
}
