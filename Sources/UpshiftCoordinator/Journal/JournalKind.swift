/// What a run journal line records; the raw value is what the journal file holds.
public enum JournalKind: String, Codable, Sendable, Equatable {
    case runStarted = "run.started"
    case runResumed = "run.resumed"
    /// The run failed before its point of no return and asked every host to roll back (`message`: why).
    case runRollback = "run.rollback"
    /// An agent journaled that its new primary may start (`host`).
    case runPointOfNoReturn = "run.point-of-no-return"
    /// The rollback route a DBA can take after a failure past the point of no return (`message`).
    case runAdvice = "run.advice"
    /// The run ended (`outcome`, and `message` when it failed).
    case runFinished = "run.finished"
    case hostConnected = "host.connected"
    case hostPlanLoaded = "host.plan-loaded"
    case hostLinkLost = "host.link-lost"
    case hostReconnected = "host.reconnected"
    /// A step was asked of its hosts (`message`: the hosts, comma-separated).
    case stepRequested = "step.requested"
    case stepStarted = "step.started"
    case stepLog = "step.log"
    case stepProgress = "step.progress"
    /// A fact a step reported (`output`).
    case stepOutput = "step.output"
    /// A preflight verdict (`check`).
    case stepCheck = "step.check"
    case stepFinished = "step.finished"
    case stepFailed = "step.failed"
    case probeStarted = "probe.started"
    case probeWarning = "probe.warning"
    case probeFinished = "probe.finished"
}
