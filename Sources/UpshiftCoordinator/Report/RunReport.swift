import Foundation
import UpshiftPlan
import UpshiftWire

/// Everything a report shows about one run: the journal's summary, the plan's steps and marks, what the
/// probe measured, and what the previous run predicted.
public struct RunReport: Sendable {
    /// The journal, folded.
    public var summary: RunSummary
    /// True when the run was a rehearsal.
    public var rehearsal: Bool
    /// The plan's steps in order, with their point-of-no-return and downtime marks.
    public var steps: [Step]
    /// The plan's hosts in order (one timeline lane each).
    public var hosts: [String]
    /// What clients saw, when the run had a probe.
    public var downtime: DowntimeFigures?
    /// What the last finished run of the plan predicted, when there was one.
    public var prediction: Prediction?

    /// A report of `summary` for a plan run over `steps`.
    public init(summary: RunSummary, rehearsal: Bool, steps: [Step], hosts: [String], downtime: DowntimeFigures?, prediction: Prediction?) {
        self.summary = summary
        self.rehearsal = rehearsal
        self.steps = steps
        self.hosts = hosts
        self.downtime = downtime
        self.prediction = prediction
    }

    /// Wall time of each step id that finished everywhere: first start to last finish over its hosts.
    public var stepWallTimes: [String: Int] {
        var times: [String: Int] = [:]
        for (id, runs) in Dictionary(grouping: summary.steps, by: \.id) where runs.allSatisfy({ $0.status == "done" }) {
            guard let start = runs.compactMap(\.startedAt).min(), let end = runs.compactMap(\.finishedAt).max() else { continue }
            times[id] = Int((end.timeIntervalSince(start) * 1000).rounded())
        }
        return times
    }

    /// From the start of the step that stops writes to the end of the step after which writes are accepted.
    public var journalWriteWindow: DowntimeFigures.Window? { window(from: .writesStop, to: .writesResume) }

    /// From the start of the step that stops reads to the end of the step after which they are served again.
    public var journalReadWindow: DowntimeFigures.Window? { window(from: .readsStop, to: .readsResume) }

    /// When the step that is the point of no return started.
    public var pointOfNoReturnAt: Date? {
        guard let step = steps.first(where: \.isPointOfNoReturn) else { return nil }
        return summary.steps.filter { $0.id == step.id }.compactMap(\.startedAt).min()
    }

    private func window(from open: DowntimeMark, to close: DowntimeMark) -> DowntimeFigures.Window? {
        guard let opening = steps.first(where: { $0.downtime == open }), let closing = steps.first(where: { $0.downtime == close }),
              let from = summary.steps.filter({ $0.id == opening.id }).compactMap(\.startedAt).min(),
              let to = summary.steps.filter({ $0.id == closing.id && $0.status == "done" }).compactMap(\.finishedAt).max()
        else { return nil }
        return DowntimeFigures.Window(from: from, to: to)
    }
}

extension RunDirectory {
    /// The plan this run ran, read back from its bundle (aimed at the rehearsal fleet for a rehearsal), its
    /// secrets redacted: for reports.
    public func loadedPlan() throws -> LoadedPlan {
        let metadata = try RunMetadata.read(from: self)
        let kept = try KeptPlanBundle.read(from: self)
        guard kept.sha256 == metadata.planSHA256 else {
            throw JournalError(path: bundlePath, message: "the plan bundle does not match the run's hash")
        }
        return try Self.load(kept.redactedBundle, path: metadata.planPath)
    }

    /// The plan and bundle exactly as the run had them, its withheld secrets taken from `environment`: for resuming.
    func restoredPlan(metadata: RunMetadata, environment: [String: String]) throws -> (LoadedPlan, PlanBundle) {
        let bundle = try KeptPlanBundle.read(from: self).restored(environment: environment, path: bundlePath)
        guard bundle.sha256 == metadata.planSHA256 else {
            throw JournalError(path: bundlePath, message: "the plan bundle does not match the run's hash")
        }
        return (try Self.load(bundle, path: metadata.planPath), bundle)
    }

    private static func load(_ bundle: PlanBundle, path: String) throws -> LoadedPlan {
        var loaded = try PlanLoader.parse(text: bundle.planText, path: path, environment: bundle.variables) { path in
            guard let source = bundle.hookSource(forPath: path) else { throw HookFileNotFound(path: path) }
            return source
        }
        if bundle.rehearsal { loaded = try loaded.forRehearsal() }
        return loaded
    }

    /// The run's report: journal, plan, probe samples and prediction.
    public func report() throws -> RunReport {
        let metadata = try RunMetadata.read(from: self)
        let summary = RunSummary(planName: metadata.plan, records: try RunJournal.read(path: journalPath))
        let loaded = try loadedPlan()
        let downtime = try ProbeLog.read(from: self).map { DowntimeFigures(samples: $0, newMajor: loaded.plan.postgres?.to.version) }
        return RunReport(summary: summary, rehearsal: metadata.rehearsal, steps: StepPlanner.steps(for: loaded.plan),
                         hosts: loaded.plan.hosts.map(\.name), downtime: downtime, prediction: try Prediction.read(from: self))
    }
}
