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
}
