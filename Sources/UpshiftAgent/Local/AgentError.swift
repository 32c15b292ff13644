/// A failure inside the agent, with the context a DBA needs to act on it.
public struct AgentError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public var description: String

    /// An error with this message.
    public init(_ description: String) {
        self.description = description
    }
}
