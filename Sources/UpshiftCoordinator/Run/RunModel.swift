import Foundation
import UpshiftPlan
import UpshiftWire

/// How a run ended, with the process exit code DESIGN.md assigns to it.
public enum RunOutcome: String, Codable, Sendable, Equatable {
    /// Every step finished.
    case done
    /// A step failed before the point of no return; nothing was changed past it (exit 1).
    case failed
    /// A step failed before the point of no return and the old cluster was restored (exit 1).
    case rolledBack = "rolled_back"
    /// A step failed after the point of no return (exit 3).
    case failedAfterPointOfNoReturn = "failed_after_point_of_no_return"

    /// The exit code of `upshift run` for this outcome.
    public var exitCode: Int32 {
        switch self {
        case .done: 0
        case .failed, .rolledBack: 1
        case .failedAfterPointOfNoReturn: 3
        }
    }
}

/// What the runner reports to the state machine.
public enum RunEvent: Sendable, Equatable {
    /// The run begins: connect to every host.
    case start
    /// An agent answered hello.
    case connected(host: String, hello: AgentHello)
    /// An agent could not be reached or refused the connection.
    case connectFailed(host: String, error: String)
    /// An agent holds the plan.
    case planLoaded(host: String, sha256: String)
    /// An agent refused a request.
    case refused(host: String, reason: String)
    /// An event about a step from an agent.
    case step(StepEvent)
    /// The connection to an agent ended.
    case disconnected(host: String, error: String)
}

/// What the state machine asks the runner to do.
public enum RunAction: Sendable, Equatable {
    /// Open a connection to the host's agent, trying again for up to `retryForSeconds` (an agent restarting).
    case connect(host: String, retryForSeconds: Int)
    /// Ship the plan bundle to the host.
    case sendPlan(host: String)
    /// Ask each host to run the step, handing it the facts earlier steps reported.
    case runStep(stepID: String, hosts: [String], facts: [HostFact])
    /// Append an entry to the run journal (before anything it announces happens).
    case journal(JournalRecord)
    /// Show something to the operator.
    case show(ProgressLine)
    /// The run is over.
    case finish(RunOutcome, reason: String?)
}

/// One line for the operator's terminal.
public struct ProgressLine: Sendable, Equatable {
    /// The host the line is about, or nil for the whole run.
    public var host: String?
    /// The step the line is about, if any.
    public var stepID: String?
    /// What happened.
    public var text: String
    /// Severity: info, warning or error.
    public var level: String
    /// What the line reports, for live displays and `--json`; nil for anything else.
    public var kind: ProgressKind?
    /// Progress figures of a `progress` line.
    public var done: Double?
    public var total: Double?
    public var unit: String?

    public init(host: String? = nil, stepID: String? = nil, text: String, level: String = "info", kind: ProgressKind? = nil,
                done: Double? = nil, total: Double? = nil, unit: String? = nil) {
        self.host = host
        self.stepID = stepID
        self.text = text
        self.level = level
        self.kind = kind
        self.done = done
        self.total = total
        self.unit = unit
    }
}

/// What a step's progress line reports; the raw value is the `kind` field of `--json` output.
public enum ProgressKind: String, Sendable, Equatable {
    case started, progress, log, check, finished, failed
}
