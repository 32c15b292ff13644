import Foundation

/// The wire protocol's version; a peer speaking another one is refused at hello.
public let wireProtocolVersion = 3

/// A PostgreSQL installation an agent found on its host.
public struct FoundPostgres: Codable, Sendable, Equatable {
    /// Major version, e.g. 17.
    public var major: Int
    /// Full version string as `postgres --version` prints it.
    public var version: String
    /// Absolute path of the bin directory.
    public var bindir: String

    public init(major: Int, version: String, bindir: String) {
        self.major = major
        self.version = version
        self.bindir = bindir
    }
}

/// The coordinator's opening message.
public struct CoordinatorHello: Codable, Sendable, Equatable {
    public var protocolVersion: Int
    /// The host name the coordinator expects this agent to be (the plan's `hosts[].name`).
    public var expectedAgent: String
    /// Bin directories the plan names, for the agent to probe and report alongside the ones it finds itself.
    public var bindirs: [String]

    public init(protocolVersion: Int = wireProtocolVersion, expectedAgent: String, bindirs: [String] = []) {
        self.protocolVersion = protocolVersion
        self.expectedAgent = expectedAgent
        self.bindirs = bindirs
    }
}

/// The agent's answer to hello: who it is and what it has.
public struct AgentHello: Codable, Sendable, Equatable {
    public var protocolVersion: Int
    public var agentName: String
    public var hostname: String
    public var postgres: [FoundPostgres]

    public init(protocolVersion: Int = wireProtocolVersion, agentName: String, hostname: String, postgres: [FoundPostgres]) {
        self.protocolVersion = protocolVersion
        self.agentName = agentName
        self.hostname = hostname
        self.postgres = postgres
    }
}

/// A plan as shipped to an agent: the plan file's text and every hook file it names, with their hash.
public struct PlanBundle: Codable, Sendable, Equatable {
    /// The plan file's name as the user gave it (used in error messages only).
    public var planPath: String
    public var planText: String
    /// Hook sources keyed by the path the plan writes (`run:`), relative to the plan file.
    public var hooks: [String: String]
    /// The `${VAR}` values the coordinator expanded the plan with, so every agent reads the same plan.
    public var variables: [String: String]
    /// True when the run is a rehearsal: agents act as the plan's `rehearsal.hosts`, not its `hosts`.
    public var rehearsal: Bool
    /// Hex sha256 over the plan text, hooks, variables and the rehearsal mark (see `PlanBundle.digest`).
    public var sha256: String

    public init(planPath: String, planText: String, hooks: [String: String], variables: [String: String] = [:],
                rehearsal: Bool = false) {
        self.planPath = planPath
        self.planText = planText
        self.hooks = hooks
        self.variables = variables
        self.rehearsal = rehearsal
        self.sha256 = PlanBundle.digest(planText: planText, hooks: hooks, variables: variables, rehearsal: rehearsal)
    }

    enum CodingKeys: String, CodingKey { case planPath, planText, hooks, variables, rehearsal, sha256 }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        planPath = try c.decode(String.self, forKey: .planPath)
        planText = try c.decode(String.self, forKey: .planText)
        hooks = try c.decode([String: String].self, forKey: .hooks)
        variables = try c.decode([String: String].self, forKey: .variables)
        rehearsal = try c.decodeIfPresent(Bool.self, forKey: .rehearsal) ?? false
        sha256 = try c.decode(String.self, forKey: .sha256)
    }

    /// The hook source for a path as the plan writes it, or as an absolute path ending in it.
    public func hookSource(forPath path: String) -> String? {
        if let source = hooks[path] { return source }
        return hooks.first { path.hasSuffix("/" + $0.key) }?.value
    }
}

/// A request to run one step of the loaded plan on this agent.
public struct StepRequest: Codable, Sendable, Equatable {
    public var runID: String
    /// The step id as `upshift plan` prints it; the agent looks the action up in its own copy of the plan.
    public var stepID: String
    /// The plan host this agent acts as for this step.
    public var host: String
    /// Plan hash the coordinator believes the agent holds; a mismatch is refused.
    public var planSHA256: String
    /// Facts earlier steps of the run reported, by host: data for the built-in action, never a command.
    public var facts: [HostFact]
    /// Values the coordinator made for this run (the one-time sync secret).
    public var secrets: RunSecrets?

    public init(runID: String, stepID: String, host: String, planSHA256: String, facts: [HostFact] = [], secrets: RunSecrets? = nil) {
        self.runID = runID
        self.stepID = stepID
        self.host = host
        self.planSHA256 = planSHA256
        self.facts = facts
        self.secrets = secrets
    }
}

/// Messages from the coordinator to an agent.
public enum CoordinatorMessage: Codable, Sendable, Equatable {
    case hello(CoordinatorHello)
    case loadPlan(PlanBundle)
    case runStep(StepRequest)
    /// Ask what the agent's journal says of a step (used by resume).
    case queryStep(StepRequest)
    /// A heartbeat: the agent answers `pong` at once, so either side notices a link that went silent.
    case ping
    case bye
}

/// Where a step stands on an agent, as its registry and journal say.
public enum StepState: String, Codable, Sendable, Equatable {
    /// The agent never started it in this run.
    case none
    /// It runs now under the agent's lock for the host.
    case running
    /// It finished; its outputs are journaled with its end.
    case finished
    /// It failed, or it was under way when an earlier agent process stopped (its programs were stopped then).
    case failed
}

/// What happened to a step on an agent.
public enum StepEventKind: Codable, Sendable, Equatable {
    case started
    case log(level: String, message: String)
    case progress(done: Double, total: Double?, unit: String)
    case finished(durationMS: Int)
    case failed(error: String, durationMS: Int)
    /// Answer to `queryStep`: where the step stands on the agent.
    case journaled(state: StepState)
    /// A fact later steps need (a checkpoint location, a port, the table checksums).
    case output(StepOutput)
    /// A preflight verdict.
    case check(CheckResult)
}

/// One named check with its verdict and, when it did not pass, a one-line remedy.
public struct CheckResult: Codable, Sendable, Equatable {
    /// `pass`, `warn` or `fail`.
    public enum Verdict: String, Codable, Sendable { case pass, warn, fail }
    /// Short stable name, e.g. `pg_upgrade-check`.
    public var name: String
    public var verdict: Verdict
    /// What was found.
    public var detail: String
    /// What to do about it.
    public var remedy: String?

    public init(name: String, verdict: Verdict, detail: String, remedy: String? = nil) {
        self.name = name
        self.verdict = verdict
        self.detail = detail
        self.remedy = remedy
    }
}

/// One event about a step, stamped by the agent.
public struct StepEvent: Codable, Sendable, Equatable {
    public var runID: String
    public var stepID: String
    public var host: String
    public var at: Date
    public var kind: StepEventKind

    public init(runID: String, stepID: String, host: String, at: Date = Date(), kind: StepEventKind) {
        self.runID = runID
        self.stepID = stepID
        self.host = host
        self.at = at
        self.kind = kind
    }
}

/// Messages from an agent to the coordinator.
public enum AgentMessage: Codable, Sendable, Equatable {
    case hello(AgentHello)
    case planLoaded(sha256: String)
    case event(StepEvent)
    /// A request was refused (bad plan, unknown step, wrong hash, the host busy with another step); nothing was run.
    case refused(reason: String)
    /// The answer to `ping`.
    case pong
}
