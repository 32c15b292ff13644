import Foundation
import UpshiftPlan
import UpshiftWire

/// Starts a run of a checked plan: makes the run directory, journals, probes, drives the agents.
public struct RunLauncher {
    /// The plan, as loaded and checked (aimed at the rehearsal fleet for a rehearsal).
    public let loaded: LoadedPlan
    /// Where the run's files go.
    public let runDirectory: RunDirectory
    /// Marks the run as a rehearsal: agents act as the plan's `rehearsal.hosts`.
    public let rehearsal: Bool
    /// Makes the availability probe; nil runs none.
    public let probeFactory: RunProbeFactory?

    /// A launcher for `loaded` writing into `runDirectory` (created if needed); a rehearsal runs against the
    /// plan's `rehearsal:` fleet and throws when the plan names none.
    public init(loaded: LoadedPlan, runDirectory: RunDirectory, rehearsal: Bool = false, probeFactory: RunProbeFactory? = nil) throws {
        self.loaded = rehearsal ? try loaded.forRehearsal() : loaded
        self.runDirectory = runDirectory
        self.rehearsal = rehearsal
        self.probeFactory = probeFactory
    }

    /// Runs the plan to its end and returns the outcome and the reason it stopped, if it failed.
    public func run(output: ProgressOutput, environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> (RunOutcome, String?) {
        let bundle = BundleBuilder.bundle(for: loaded, environment: environment, rehearsal: rehearsal)
        let runID = RunIdentity.newRunID()
        let secrets = try runDirectory.makeSecrets()
        try RunMetadata(plan: loaded.plan.name, planPath: loaded.path, run: runID, planSHA256: bundle.sha256,
                        rehearsal: rehearsal, createdAt: Date()).write(to: runDirectory)
        // The bundle is kept without the secrets among the plan's variables.
        try KeptPlanBundle(bundle).write(to: runDirectory)
        let runsDirectory = URL(fileURLWithPath: runDirectory.path).deletingLastPathComponent().path
        if let prediction = Prediction.latest(planName: loaded.plan.name, in: runsDirectory, excluding: runDirectory.path) {
            try prediction.write(to: runDirectory)
        }
        let journal = try RunJournal(path: runDirectory.journalPath, runID: runID, planSHA256: bundle.sha256)

        let probe = try ProbeSession.start(plan: loaded.plan, factory: probeFactory, prepare: true, journal: journal, output: output)
        if case .refused(let reason) = probe {
            try journal.append(JournalRecord(kind: .runFinished, message: reason, outcome: .failed))
            return (.failed, reason)
        }
        let runner = RunRunner(plan: loaded.plan, bundle: bundle, runID: runID, journal: journal, output: output)
        let (outcome, reason) = try await runner.run(secrets: secrets)
        try probe.finish(directory: runDirectory, newMajor: loaded.plan.postgres?.to.version, journal: journal, output: output)
        if outcome == .failedAfterPointOfNoReturn {
            let advice = RollbackRoute.advice(for: loaded.plan)
            try journal.append(JournalRecord(kind: .runAdvice, message: advice))
            output.show(ProgressLine(text: advice, level: "error"))
        }
        return (outcome, reason)
    }
}

/// What a DBA can do when a run failed after its point of no return: the route back the plan provided.
public enum RollbackRoute {
    /// One paragraph naming the keep_old standbys (or saying there is none).
    public static func advice(for plan: Plan) -> String {
        if plan.strategy == .logical {
            return "A failed `post` is asked again by `upshift resume RUN` once its cause is mended. " + (plan.options.reverseReplication
                ? "Writes go to the target now. Rollback route: `upshift rollback RUN` fences the target, waits until the reverse path has "
                    + "brought every write back to the source, sets its sequences ahead and lets writes in there; `upshift finish RUN` drops the "
                    + "reverse path once you are satisfied."
                : "Writes go to the target now and the plan keeps no reverse path (reverse_replication: false): the source lacks every write "
                    + "made since the switch. Fix forward on the target.")
        }
        let kept = plan.hosts.filter(\.keepOld)
        let old = plan.postgres.map { "PostgreSQL \($0.from.version)" } ?? "the old version"
        guard !kept.isEmpty else {
            return "The new primary has started, so the old cluster cannot come back by itself and the plan keeps no "
                + "keep_old standby: fix forward on the new version (the journal and the agents' logs say what failed)."
        }
        let names = kept.map(\.name).joined(separator: ", ")
        return "Rollback route: \(names) still run \(old), detached at the old primary's last checkpoint. Promote one "
            + "(pg_ctl promote -D \(kept[0].pgdata)) and point clients at it; writes made on the new version since are not on it."
    }
}

/// Continues a run whose coordinator stopped, from its run directory: the plan bundle it ran, its journal.
public struct RunResumer {
    /// The run directory `upshift run` printed.
    public let runDirectory: RunDirectory
    /// Makes the availability probe for the rest of the run; nil runs none.
    public let probeFactory: RunProbeFactory?

    /// A resumer for `runDirectory`.
    public init(runDirectory: RunDirectory, probeFactory: RunProbeFactory? = nil) {
        self.runDirectory = runDirectory
        self.probeFactory = probeFactory
    }

    /// Carries the run on from its journal: finished steps are skipped, the step that was under way is asked
    /// for again (an agent answers from its own journal and never runs a step twice), a rollback under way
    /// goes on. A run that failed past its point of no return at a step that may be asked again after a failure
    /// (logical `post`, once the DBA mended its cause) carries on from that step; any other ended run is only
    /// reported (`alreadyFinished`). Variables the run kept no value of (secrets) come from `environment`.
    public func resume(output: ProgressOutput, environment: [String: String] = ProcessInfo.processInfo.environment)
        async throws -> (RunOutcome, String?, alreadyFinished: Bool) {
        let metadata = try RunMetadata.read(from: runDirectory)
        let records = try RunJournal.read(path: runDirectory.journalPath)
        let end = records.last(where: { $0.kind == .runFinished })
        if let end, end.outcome != .failedAfterPointOfNoReturn { return (end.outcome ?? .failed, end.message, true) }
        let (loaded, bundle) = try runDirectory.restoredPlan(metadata: metadata, environment: environment)
        let summary = RunSummary(planName: metadata.plan, records: records)
        if let end {
            let failed = StepPlanner.steps(for: loaded.plan).first { !summary.completedStepIDs.contains($0.id) }
            guard let failed, failed.retriesAfterFailure else { return (end.outcome ?? .failed, end.message, true) }
        }
        let rollback = records.last(where: { $0.kind == .runRollback })?.message
        let journal = try RunJournal(path: runDirectory.journalPath, runID: metadata.run, planSHA256: bundle.sha256)
        try journal.append(JournalRecord(kind: .runResumed, message: "\(summary.completedStepIDs.count) steps already done"
                                         + (end == nil ? "" : "; the step that failed past the point of no return is asked again")))
        // The probe carries on where the dead coordinator's stopped (its table is already there; the primary
        // may be down at this moment, so nothing is prepared). A run that had ended measured its downtime and
        // dropped the probe's table: nothing is probed again.
        let probe = try ProbeSession.start(plan: loaded.plan, factory: end == nil ? probeFactory : nil, prepare: false,
                                           journal: journal, output: output)
        let runner = RunRunner(plan: loaded.plan, bundle: bundle, runID: metadata.run, journal: journal, output: output)
        let (outcome, reason) = try await runner.run(completed: summary.completedStepIDs, facts: RunFacts(journal: records),
                                                     rollbackUnderWay: rollback, secrets: try runDirectory.readSecrets())
        try probe.finish(directory: runDirectory, newMajor: loaded.plan.postgres?.to.version, journal: journal, output: output)
        return (outcome, reason, false)
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
