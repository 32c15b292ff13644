import UpshiftLua

/// What an agent needs to know to serve.
public struct AgentConfiguration: Sendable {
    /// The plan host name this agent answers for (its certificate's name).
    public var name: String
    /// Address to listen on.
    public var listenHost: String
    /// Port to listen on; 0 picks a free one.
    public var listenPort: Int
    /// Folder with `ca.pem`, `agent.pem`, `agent.key`.
    public var tlsDirectory: String
    /// Folder for the agent's journal and the plans it was given.
    public var stateDirectory: String
    /// Bin directories to report besides the usual places.
    public var extraBindirs: [String]
    /// Budget and time limit for each hook run.
    public var hookLimits: LuaLimits

    /// A configuration; `extraBindirs` and `hookLimits` have defaults.
    public init(name: String, listenHost: String, listenPort: Int, tlsDirectory: String, stateDirectory: String,
                extraBindirs: [String] = [], hookLimits: LuaLimits = LuaLimits()) {
        self.name = name
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.tlsDirectory = tlsDirectory
        self.stateDirectory = stateDirectory
        self.extraBindirs = extraBindirs
        self.hookLimits = hookLimits
    }
}
