import Foundation
import UpshiftWire

/// One line of a run journal (`journal.jsonl`): what happened, where, and when.
public struct JournalRecord: Codable, Sendable, Equatable {
    /// What the line records.
    public var kind: JournalKind
    /// The step, for step records.
    public var step: String?
    /// The host, for host and step records.
    public var host: String?
    /// When it happened on the host that saw it (agents stamp step events); nil lets the journal stamp it.
    public var at: Date?
    /// Free text: a log line, an error, a reason.
    public var message: String?
    /// Step duration as the agent measured it.
    public var durationMS: Int?
    /// Progress figures.
    public var done: Double?
    public var total: Double?
    public var unit: String?
    /// Log level of a `step.log` line.
    public var level: String?
    /// The fact of a `step.output` line.
    public var output: StepOutput?
    /// The verdict of a `step.check` line.
    public var check: CheckResult?
    /// How the run ended, for `run.finished`.
    public var outcome: RunOutcome?
    /// What the journal wrote until then, for `run.finished`: the journal fills it in.
    public var writes: JournalWrites?
    /// Hash of the plan bundle; the journal writer fills it in on every line.
    public var plan: String?
    /// The run id; the journal writer fills it in.
    public var run: String?

    public init(kind: JournalKind, step: String? = nil, host: String? = nil, at: Date? = nil, message: String? = nil,
                durationMS: Int? = nil, done: Double? = nil, total: Double? = nil, unit: String? = nil,
                level: String? = nil, output: StepOutput? = nil, check: CheckResult? = nil, outcome: RunOutcome? = nil) {
        self.output = output
        self.check = check
        self.kind = kind
        self.step = step
        self.host = host
        self.at = at
        self.message = message
        self.durationMS = durationMS
        self.done = done
        self.total = total
        self.unit = unit
        self.level = level
        self.outcome = outcome
    }
}

/// How much a run's journal wrote, and how many of its lines waited for the disk.
public struct JournalWrites: Codable, Sendable, Equatable {
    /// Lines written (this one included).
    public var lines = 0
    /// Lines written with an fsync before the run moved on: step boundaries, facts, logs, run events.
    public var fsyncs = 0
    /// Progress reports received from the agents.
    public var progressReceived = 0
    /// Progress lines written (the latest value per host and step, a few a second at most), never waited for.
    public var progressWritten = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case lines, fsyncs, progressReceived = "progress_received", progressWritten = "progress_written"
    }
}
