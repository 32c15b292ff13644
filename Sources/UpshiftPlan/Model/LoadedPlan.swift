/// A plan together with the exact text and hook sources it was read from (what is shipped to agents).
public struct LoadedPlan: Sendable {
    /// The validated plan.
    public var plan: Plan
    /// The plan file's path as the user gave it.
    public var path: String
    /// The plan file's text, unexpanded.
    public var text: String
    /// Every hook file's source, keyed by `run:` as written (hooks and custom steps).
    public var hookSources: [String: String]
    /// Where the plan first names each hook file (its `run:` value), for errors about the file.
    public var hookReferences: [String: PlanPosition] = [:]

    /// The plan aimed at its rehearsal fleet (see `Plan.forRehearsal`), or an error naming the plan file.
    public func forRehearsal() throws -> LoadedPlan {
        guard let plan = plan.forRehearsal() else {
            throw PlanUsageError("\(path): a rehearsal needs a 'rehearsal:' section naming the rehearsal fleet's hosts")
        }
        var copy = self
        copy.plan = plan
        return copy
    }
}

/// A plan that loads but cannot be used the way it was asked to be.
public struct PlanUsageError: Error, CustomStringConvertible {
    public var description: String
    /// An error with this message.
    public init(_ message: String) { description = message }
}

/// A 1-based line and column in the plan file.
public struct PlanPosition: Sendable, Equatable {
    public var line: Int
    public var column: Int

    /// A position.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}
