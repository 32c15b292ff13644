import Foundation
import Logging
import UpshiftLua
import UpshiftPlan
import UpshiftWire

/// One coordinator connection: the plan it loaded and the steps it asked for.
///
/// Steps run on their own threads (libpq and Lua block) and outlive the connection: a coordinator that
/// goes away does not stop a running pg_upgrade; the agent's journal records how the step ended.
final class AgentSession {
    private let configuration: AgentConfiguration
    private let journal: AgentJournal
    private let logger: Logger
    private let send: @Sendable (AgentMessage) -> Void
    private var loaded: (bundle: PlanBundle, plan: LoadedPlan, steps: [Step])?

    init(configuration: AgentConfiguration, journal: AgentJournal, logger: Logger, send: @escaping @Sendable (AgentMessage) -> Void) {
        self.configuration = configuration
        self.journal = journal
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
                                  kind: .journaled(state: journal.lastState(of: request)))))
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

    /// Keeps every plan the agent was given, by hash, beside its journal.
    private func save(_ bundle: PlanBundle) throws {
        let directory = configuration.stateDirectory + "/plans"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let data = try JSONEncoder().encode(bundle)
        try data.write(to: URL(fileURLWithPath: "\(directory)/\(bundle.sha256).json"), options: .atomic)
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
        let rollbackSteps = [StepPlanner.rollbackStep(for: loaded.plan.plan)].compactMap { $0 } + StepPlanner.rollbackHookSteps(for: loaded.plan.plan)
        guard let step = loaded.steps.first(where: { $0.id == request.stepID }) ?? rollbackSteps.first(where: { $0.id == request.stepID }),
              step.id == request.stepID, step.hosts.contains(request.host),
              let host = loaded.plan.plan.hosts.first(where: { $0.name == request.host }) else {
            send(.refused(reason: "the plan has no step \(request.stepID) on \(request.host)"))
            return
        }
        let emit = StepEventSink(runID: request.runID, stepID: request.stepID, host: request.host, send: send)
        switch journal.lastState(of: request) {
        case "finished":
            emit(.finished(durationMS: 0))
            return
        case "started":
            send(.refused(reason: "step \(request.stepID) was started by run \(request.runID) and never finished on \(request.host); it is not run twice blindly"))
            return
        case "failed" where request.stepID != "rollback":
            send(.refused(reason: "step \(request.stepID) already failed in run \(request.runID) on \(request.host); start a new run"))
            return
        default:
            break
        }
        let executor = StepExecutor(plan: loaded.plan.plan, hookSources: loaded.plan.hookSources, host: host,
                                    request: request, stateDirectory: configuration.stateDirectory, limits: configuration.hookLimits)
        let journal = self.journal
        let logger = self.logger
        let thread = Thread {
            let clock = ContinuousClock()
            let start = clock.now
            func elapsedMS() -> Int { Int((clock.now - start) / .milliseconds(1)) }
            do {
                try journal.record(request, state: "started")
                emit(.started)
                logger.info("step started", metadata: ["step.id": "\(request.stepID)", "run.id": "\(request.runID)"])
                try executor.run(step) { emit($0) }
                try journal.record(request, state: "finished")
                emit(.finished(durationMS: elapsedMS()))
                logger.info("step finished", metadata: ["step.id": "\(request.stepID)", "step.ms": "\(elapsedMS())"])
            } catch {
                let message = String(describing: error)
                try? journal.record(request, state: "failed", message: message)
                emit(.failed(error: message, durationMS: elapsedMS()))
                logger.error("step failed", metadata: ["step.id": "\(request.stepID)", "error": "\(message)"])
            }
        }
        thread.name = "step \(request.stepID)"
        thread.start()
    }
}
