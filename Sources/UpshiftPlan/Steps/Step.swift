/// One expanded step: what runs, where, and what it means for the run.
public struct Step: Sendable, Equatable {
    /// The id `upshift plan` prints (`pg-upgrade`, `before:stop-primary/pgbouncer`, a custom step's id).
    public var id: String
    /// Plan host names the step runs on, in plan order.
    public var hosts: [String]
    /// What the step does.
    public var action: StepAction
    /// After this step succeeds the old cluster can no longer be rolled back to automatically.
    public var isPointOfNoReturn: Bool
    /// The downtime boundary this step starts, if any.
    public var downtime: DowntimeMark
    /// Safe to run again from the start when an agent restart cut it short (it only reads, or it checks what
    /// is already done before doing it); other interrupted steps fail and the run rolls back or stops.
    public var isRerunnable: Bool
    /// A failed attempt runs again when the step is asked for again (a rollback, `upshift rollback RUN` and
    /// `upshift finish RUN` with their hooks: the host may have come back); other steps answer how they ended.
    public var retriesAfterFailure: Bool = false

    /// The built-in step this is, if it is one.
    public var builtin: BuiltinStep? { if case .builtin(let step) = action { step } else { nil } }

    /// Creates a step.
    public init(id: String, hosts: [String], action: StepAction, isPointOfNoReturn: Bool = false,
                downtime: DowntimeMark = .none, isRerunnable: Bool = false) {
        self.isRerunnable = isRerunnable
        self.id = id
        self.hosts = hosts
        self.action = action
        self.isPointOfNoReturn = isPointOfNoReturn
        self.downtime = downtime
    }
}

extension Step {
    /// This step, run again when asked again after a failure.
    var retryable: Step {
        var step = self
        step.retriesAfterFailure = true
        return step
    }
}

/// What a step does.
public enum StepAction: Sendable, Equatable {
    /// A strategy step the agent knows how to run.
    case builtin(BuiltinStep)
    /// A Lua hook file (`run:` as written) with its `with:` table.
    case hook(run: String, with: JSONValue)
    /// SQL text run against `old`, `new`, `source`, `target` or a conninfo.
    case sql(target: String, query: String)
}

/// Downtime boundaries. When a plan has no read marks, reads stop and resume with writes.
public enum DowntimeMark: String, Sendable, Equatable, CaseIterable, Codable {
    /// Not a boundary.
    case none
    /// Writes stop during this step: the write-downtime window opens.
    case writesStop = "writes-stop"
    /// Writes are accepted again by the end of this step: the write-downtime window closes.
    case writesResume = "writes-resume"
    /// Reads stop during this step.
    case readsStop = "reads-stop"
    /// Reads are served again by the end of this step.
    case readsResume = "reads-resume"
}
