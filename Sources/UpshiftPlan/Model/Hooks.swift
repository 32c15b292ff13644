/// A hook file attached before or after a strategy step.
public struct HookSpec: Sendable, Equatable {
    /// Where the hook runs.
    public var at: HookPoint
    /// The hook file as written in the plan (key of `LoadedPlan.hookSources`).
    public var run: String
    /// The hook file's absolute path, resolved against the plan directory.
    public var path: String
    /// A role, cluster side or host name; nil means every host of the step it attaches to.
    public var on: String?
    /// The hook's `with:` table (`.object([:])` when absent).
    public var with: JSONValue
    /// Line of the hook entry in the plan file.
    public var line: Int
}

/// `before:STEP` or `after:STEP`.
public struct HookPoint: Sendable, Equatable, CustomStringConvertible {
    /// Whether the hook runs before or after the step.
    public var timing: HookTiming
    /// The strategy step id the hook attaches to.
    public var stepID: String

    /// Creates a hook point.
    public init(timing: HookTiming, stepID: String) {
        self.timing = timing
        self.stepID = stepID
    }

    /// The point as written in a plan, e.g. `before:stop-primary`.
    public var description: String { "\(timing.rawValue):\(stepID)" }
}

/// Whether a hook runs before or after its step.
public enum HookTiming: String, Sendable, Equatable, CaseIterable, Codable {
    /// Right before the step.
    case before
    /// Right after the step.
    case after
}

/// One step of a `custom` plan's runbook: a hook file or an SQL statement.
public struct CustomStepSpec: Sendable, Equatable {
    /// Unique step id (`[a-z0-9-]+`).
    public var id: String
    /// A role, cluster side or host name; nil means every host.
    public var on: String?
    /// Hook file as written (exclusive with `sql`).
    public var run: String?
    /// Absolute path of `run`, resolved against the plan directory.
    public var path: String?
    /// SQL text (exclusive with `run`).
    public var sql: String?
    /// Where `sql` runs: `old`, `new`, `source`, `target` or a conninfo (nil for hook steps).
    public var target: String?
    /// The hook's `with:` table (`.object([:])` when absent).
    public var with: JSONValue
    /// Marks this step as the run's point of no return.
    public var pointOfNoReturn: Bool
    /// The downtime boundary this step starts, if any.
    public var downtime: DowntimeMark
}
