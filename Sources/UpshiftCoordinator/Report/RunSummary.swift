import Foundation
import UpshiftPlan
import UpshiftWire

/// What a run's journal says: each step on each host, and how the run ended.
public struct RunSummary: Codable, Sendable {
    /// One step on one host.
    public struct StepRun: Codable, Sendable, Equatable {
        public var id: String
        public var host: String
        public var startedAt: Date?
        public var finishedAt: Date?
        /// `requested`, `running`, `done` or `failed`.
        public var status: String
        public var durationMS: Int?
        public var error: String?
        /// The last progress figure the step reported.
        public var progress: String?

        enum CodingKeys: String, CodingKey {
            case id, host, status, error, progress
            case startedAt = "started_at", finishedAt = "finished_at", durationMS = "duration_ms"
        }
    }

    /// One table compared by the verify step on one host.
    public struct VerifiedTable: Codable, Sendable, Equatable {
        public var table: String
        public var host: String
        public var rowsOld: Int64
        public var rowsNew: Int64
        public var match: Bool

        enum CodingKeys: String, CodingKey {
            case table, host, match
            case rowsOld = "rows_old", rowsNew = "rows_new"
        }
    }

    /// One preflight check's verdict on one host.
    public struct Check: Codable, Sendable, Equatable {
        public var name: String
        public var host: String
        /// `pass`, `warn` or `fail`.
        public var verdict: String
        /// The check's line: verdict, name, detail and remedy.
        public var text: String
    }

    public var plan: String
    public var run: String
    public var planSHA256: String
    /// `done`, `failed`, `rolled_back`, `failed_after_point_of_no_return`, or `running` when the journal has no end.
    public var result: String
    public var reason: String?
    /// What to do next, when the run failed after its point of no return.
    public var advice: String?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var steps: [StepRun]
    /// Per-table row counts and checksum verdicts of the verify step.
    public var verify: [VerifiedTable]
    /// Every check the run's steps reported.
    public var checks: [Check]
    /// The primary's replication slots, publications and subscriptions before the upgrade and after it,
    /// with what the run did to each slot.
    public var replication: Replication
    /// How much the run's journal wrote and how many lines waited for the disk (from `run.finished`).
    public var journalWrites: JournalWrites?
    /// What the structural proof covered (`verify: structural`), one entry per stage that ran.
    public var structuralProof: [StructuralProofResult]

    /// Which proof the run gave, read from what its steps reported (not from the plan); nil when no step
    /// compared the new cluster with the old one.
    public var proofGiven: VerifyMode? {
        switch (verify.isEmpty, structuralProof.isEmpty) {
        case (false, true): .fenced
        case (true, false): .structural
        case (false, false): .online
        case (true, true): nil
        }
    }

    /// What the run proved about the data, in one line: the content comparison's verdicts, the structural
    /// proof's coverage, or that no proof step ran.
    public var proof: String {
        let files = structuralProof.last { $0.stage == .files }
        let catalog = structuralProof.last { $0.stage == .catalog }
        var structural: [String] = []
        if let files {
            let megabytes = String(format: "%.1f", Double(files.bytes) / 1_048_576)
            structural.append("the files of all \(files.relations) relations carried (\(files.files) files, \(megabytes) MB, "
                              + (files.match?.described ?? "checked") + ")")
        }
        if files != nil || catalog != nil {
            structural.append(catalog.map { "the new catalog names all \($0.relations) relations" } ?? "the new catalog not checked")
        }
        let hosts = Set(verify.map(\.host)).count
        let content = "\(verify.filter(\.match).count) of \(verify.count) table checks match (row counts and content hashes"
            + (hosts > 1 ? ", on \(hosts) hosts)" : ")")
        switch proofGiven {
        case nil: return "none: no step compared the new cluster with the old one"
        case .fenced: return "content: " + content
        case .structural: return "structural: " + structural.joined(separator: "; ") + "; row contents not compared"
        case .online:
            return "online: structural inside the write window (" + structural.joined(separator: "; ")
                + "), then content after writes resumed: " + content
        }
    }

    /// The replication section of the report.
    public struct Replication: Codable, Sendable, Equatable {
        public var before: ReplicationShape?
        public var after: ReplicationShape?
    }

    enum CodingKeys: String, CodingKey {
        case plan, run, result, reason, steps, advice, verify, checks, replication
        case planSHA256 = "plan_sha256", startedAt = "started_at", finishedAt = "finished_at"
        case journalWrites = "journal_writes", structuralProof = "structural_proof"
    }


    /// Folds journal records into a summary.
    public init(planName: String, records: [JournalRecord]) {
        plan = planName
        run = records.first?.run ?? ""
        planSHA256 = records.first?.plan ?? ""
        result = "running"
        steps = []
        verify = []
        checks = []
        replication = Replication()
        structuralProof = []
        var index: [String: Int] = [:]
        func slot(_ step: String, _ host: String) -> Int {
            let key = step + "\u{0}" + host
            if let existing = index[key] { return existing }
            steps.append(StepRun(id: step, host: host, status: "requested"))
            index[key] = steps.count - 1
            return steps.count - 1
        }
        for record in records {
            switch record.kind {
            case .runStarted:
                startedAt = startedAt ?? record.at
            case .runFinished:
                result = record.outcome?.rawValue ?? "failed"
                reason = record.message
                finishedAt = record.at
                journalWrites = record.writes
            case .stepOutput:
                if let proof = record.output?.structuralProof { structuralProof.append(proof) }
                if let shape = record.output?.replicationBefore { replication.before = shape }
                if let shape = record.output?.replicationAfter { replication.after = shape }
                if let table = record.output?.tableVerified {
                    verify.append(VerifiedTable(table: table.table, host: record.host ?? "", rowsOld: table.oldRows ?? -1,
                                                rowsNew: table.newRows, match: table.matches))
                }
            case .stepCheck:
                if let check = record.check {
                    checks.append(Check(name: check.name, host: record.host ?? "", verdict: check.verdict.rawValue, text: record.message ?? ""))
                }
            case .runAdvice:
                advice = record.message
            case .stepRequested:
                for host in (record.message ?? "").split(separator: ",") { _ = slot(record.step ?? "", String(host)) }
            case .stepStarted:
                let i = slot(record.step ?? "", record.host ?? "")
                steps[i].startedAt = record.at
                steps[i].status = "running"
            case .stepProgress:
                let i = slot(record.step ?? "", record.host ?? "")
                let done = record.done.map { String(format: "%g", $0) } ?? "?"
                steps[i].progress = record.total.map { "\(done)/\(String(format: "%g", $0)) \(record.unit ?? "")" } ?? "\(done) \(record.unit ?? "")"
            case .stepFinished, .stepFailed:
                let i = slot(record.step ?? "", record.host ?? "")
                steps[i].finishedAt = record.at
                steps[i].durationMS = record.durationMS
                steps[i].status = record.kind == .stepFinished ? "done" : "failed"
                steps[i].error = record.message
            default:
                break
            }
        }
    }

    /// Step ids that finished on every host they ran on (what a resumed run skips).
    public var completedStepIDs: Set<String> {
        let byStep = Dictionary(grouping: steps, by: \.id)
        return Set(byStep.filter { $0.value.allSatisfy { $0.status == "done" } }.keys)
    }
}
