import Foundation
import Logging
import UpshiftLua
import UpshiftPlan
import UpshiftWire

/// One coordinator connection: the plan it loaded and the steps it asked for.
///
/// Steps belong to the agent's `StepRegistry`, not to the connection: a coordinator that goes away does not
/// stop a running pg_upgrade, and one that comes back re-attaches to it or learns from the journal how it ended.
final class AgentSession {
    private let configuration: AgentConfiguration
    private let registry: StepRegistry
    private let logger: Logger
    private let send: @Sendable (AgentMessage) -> Void
    /// This connection's number, for the registry to tell connections apart.
    let id: UInt64
    private var loaded: (bundle: PlanBundle, plan: LoadedPlan, steps: [Step])?

    init(id: UInt64, configuration: AgentConfiguration, registry: StepRegistry, logger: Logger,
         send: @escaping @Sendable (AgentMessage) -> Void) {
        self.id = id
        self.configuration = configuration
        self.registry = registry
        self.logger = logger
        self.send = send
    }

    /// Handles one message from the coordinator.
    func receive(_ message: CoordinatorMessage) {
        switch message {
        case .hello(let hello):
            if hello.expectedAgent != configuration.name {
                logger.warning("coordinator expected another agent", metadata: ["agent.expected": "\(hello.expectedAgent)"])
            }
            send(.hello(AgentHello(agentName: configuration.name, hostname: ProcessInfo.processInfo.hostName,
                                   postgres: PostgresDiscovery.find(extra: hello.bindirs + configuration.extraBindirs))))
        case .loadPlan(let bundle):
            load(bundle)
        case .runStep(let request):
            run(request)
        case .queryStep(let request):
            send(.event(StepEvent(runID: request.runID, stepID: request.stepID, host: request.host,
                                  kind: .journaled(state: registry.state(of: request)))))
        case .ping:
            send(.pong)
        case .bye:
            break
        }
    }

    private func load(_ bundle: PlanBundle) {
        guard bundle.isIntact else {
            send(.refused(reason: "plan bundle \(bundle.planPath) does not match its sha256"))
            return
        }
        do {
            var plan = try PlanLoader.parse(text: bundle.planText, path: bundle.planPath, environment: bundle.variables) { path in
                guard let source = bundle.hookSource(forPath: path) else { throw HookFileNotFound(path: path) }
                return source
            }
            if bundle.rehearsal { plan = try plan.forRehearsal() }
            try save(bundle)
            loaded = (bundle, plan, StepPlanner.steps(for: plan.plan))
            logger.info("plan loaded", metadata: ["plan.name": "\(plan.plan.name)", "plan.sha256": "\(bundle.sha256)"])
            send(.planLoaded(sha256: bundle.sha256))
        } catch {
            send(.refused(reason: "plan \(bundle.planPath) does not load here: \(error)"))
        }
    }

    /// Keeps every plan the agent was given, by hash, beside its journal: its text, its hooks and the names of
    /// the variables it was read with, never their values (conninfo passwords among them).
    private func save(_ bundle: PlanBundle) throws {
        let directory = configuration.stateDirectory + "/plans"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var kept = bundle
        kept.variables = bundle.variables.mapValues { _ in "(not kept)" }
        try SecureFiles.write(String(decoding: try JSONEncoder().encode(kept), as: UTF8.self),
                              to: "\(directory)/\(bundle.sha256).json", mode: 0o600)
    }

    private func run(_ request: StepRequest) {
        guard let loaded, loaded.bundle.sha256 == request.planSHA256 else {
            send(.refused(reason: "step \(request.stepID): this agent holds no plan \(request.planSHA256.prefix(12))"))
            return
        }
        guard request.host == configuration.name else {
            send(.refused(reason: "step \(request.stepID): this agent is \(configuration.name), not \(request.host)"))
            return
        }
        let plan = loaded.plan.plan
        let rollbackSteps = [StepPlanner.rollbackStep(for: plan)].compactMap { $0 } + StepPlanner.rollbackHookSteps(for: plan)
            + (StepPlanner.afterSwitchSteps(.rollbackToSource, for: plan) ?? []) + (StepPlanner.afterSwitchSteps(.finish, for: plan) ?? [])
        guard let step = loaded.steps.first(where: { $0.id == request.stepID }) ?? rollbackSteps.first(where: { $0.id == request.stepID }),
              step.hosts.contains(request.host),
              let host = plan.hosts.first(where: { $0.name == request.host }) else {
            send(.refused(reason: "the plan has no step \(request.stepID) on \(request.host)"))
            return
        }
        let configuration = self.configuration
        let journal = registry.journal
        registry.submit(request, session: id, send: send, deadline: .seconds(plan.options.stepTimeoutS(for: step.id)),
                        rerunnable: step.isRerunnable, retriesAfterFailure: step.retriesAfterFailure) { control, emit in
            let executor = StepExecutor(plan: plan, hookSources: loaded.plan.hookSources, host: host, request: request,
                                        stateDirectory: configuration.stateDirectory, limits: configuration.hookLimits,
                                        control: control, journal: journal)
            try executor.run(step, emit: emit)
        }
    }
}
