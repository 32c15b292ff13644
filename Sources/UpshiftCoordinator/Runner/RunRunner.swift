import Foundation
import NIOCore
import UpshiftPlan
import UpshiftWire

/// Carries out the state machine's actions over the wire: connects to agents, ships the plan, runs steps,
/// journals everything and shows progress.
public final class RunRunner: @unchecked Sendable {
    private let plan: Plan
    private let bundle: PlanBundle
    private let runID: String
    private let journal: RunJournal?
    private let steps: [Step]
    private let onEvent: @Sendable (StepEvent) -> Void
    private let output: ProgressOutput

    /// A runner for one run of `plan`, journaling to `journal` (none for read-only runs such as preflight)
    /// and showing progress on `output`; `steps` defaults to the plan's, `onEvent` sees every step event.
    public init(plan: Plan, bundle: PlanBundle, runID: String, journal: RunJournal?, output: ProgressOutput,
                steps: [Step]? = nil, onEvent: @escaping @Sendable (StepEvent) -> Void = { _ in }) {
        self.steps = steps ?? StepPlanner.steps(for: plan)
        self.onEvent = onEvent
        self.plan = plan
        self.bundle = bundle
        self.runID = runID
        self.journal = journal
        self.output = output
    }

    /// Runs the plan to its end; `completed` lists steps a resumed run skips and `facts` what they reported;
    /// `secrets` are the values made for this run (kept in the run directory, so a resumed run hands the
    /// agents the same ones).
    public func run(completed: Set<String> = [], facts: RunFacts = RunFacts(), rollbackUnderWay: String? = nil,
                    secrets: RunSecrets? = nil) async throws -> (RunOutcome, String?) {
        let hosts = plan.hosts.map(\.name)
        var machine = RunStateMachine(steps: steps, hosts: hosts, planSHA256: bundle.sha256, completed: completed,
                                      facts: facts,
                                      rollbackHosts: journal != nil && steps.contains(where: \.isPointOfNoReturn)
                                          ? StepPlanner.rollbackStep(for: plan)?.hosts ?? [] : [],
                                      rollbackUnderWay: rollbackUnderWay,
                                      afterRollbackSteps: journal != nil ? StepPlanner.rollbackHookSteps(for: plan) : [],
                                      reattachSeconds: journal != nil ? plan.options.reattachTimeoutS : 0)
        let (events, continuation) = AsyncStream<RunEvent>.makeStream()
        let links = AgentLinks()
        var outcome: (RunOutcome, String?) = (.failed, "the run ended without a result")

        try await withThrowingTaskGroup(of: Void.self) { group in
            continuation.yield(.start)
            eventLoop: for await event in events {
                for action in machine.handle(event) {
                    switch action {
                    case .connect(let host, let retryForSeconds):
                        guard let planHost = plan.hosts.first(where: { $0.name == host }) else { continue }
                        await links.close(host)
                        group.addTask { await self.connect(planHost, retryForSeconds: retryForSeconds, links: links, events: continuation) }
                    case .sendPlan(let host):
                        await send(.loadPlan(bundle), to: host, links: links, events: continuation)
                    case .runStep(let stepID, let stepHosts, let facts):
                        for host in stepHosts {
                            let request = StepRequest(runID: runID, stepID: stepID, host: host, planSHA256: bundle.sha256,
                                                      facts: facts, secrets: secrets)
                            await send(.runStep(request), to: host, links: links, events: continuation)
                        }
                    case .journal(let record):
                        try journal?.append(record)
                    case .show(let line):
                        output.show(line)
                    case .finish(let result, let reason):
                        outcome = (result, reason)
                        await links.closeAll()
                        continuation.finish()
                        break eventLoop
                    }
                }
            }
            group.cancelAll()
        }
        return outcome
    }

    private func send(_ message: CoordinatorMessage, to host: String, links: AgentLinks, events: AsyncStream<RunEvent>.Continuation) async {
        do {
            try await links.send(message, to: host)
        } catch {
            events.yield(.disconnected(host: host, error: "sending to the agent failed: \(error)"))
        }
    }


    /// Holds one agent connection open for the run, turning what the agent says into run events. A heartbeat
    /// every second; a link silent for the plan's `heartbeat_timeout_s` is closed and reported lost.
    private func connect(_ host: PlanHost, retryForSeconds: Int, links: AgentLinks, events: AsyncStream<RunEvent>.Continuation) async {
        let heartbeat = Heartbeat(timeout: .seconds(plan.options.heartbeatTimeoutS))
        do {
            let deadline = ContinuousClock.now + .seconds(retryForSeconds)
            var channel: NIOAsyncChannel<AgentMessage, CoordinatorMessage>
            while true {
                do {
                    channel = try await WireClient.connect(host: host.agentHost, port: host.agentPort, agentName: host.name,
                                                           tlsDirectory: plan.tls.dir)
                    break
                } catch where ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(500))
                }
            }
            try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(.hello(CoordinatorHello(expectedAgent: host.name, bindirs: plan.bindirs)))
                await links.register(host.name, outbound)
                let (plan, runID, onEvent) = (self.plan, self.runID, self.onEvent)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        while true {
                            try await Task.sleep(for: .seconds(1))
                            if heartbeat.isSilent {
                                throw CoordinatorError("no answer from the agent for \(plan.options.heartbeatTimeoutS) s")
                            }
                            try await outbound.write(.ping)
                        }
                    }
                    group.addTask {
                        for try await message in inbound {
                            heartbeat.heard()
                            switch message {
                            case .hello(let hello):
                                heartbeat.greeted()
                                events.yield(.connected(host: host.name, hello: hello))
                            case .planLoaded(let sha):
                                events.yield(.planLoaded(host: host.name, sha256: sha))
                            case .event(var event):
                                // The connection says which host spoke, not the message.
                                event.host = host.name
                                guard event.runID == runID else { continue }
                                onEvent(event)
                                events.yield(.step(event))
                            case .refused(let reason):
                                events.yield(.refused(host: host.name, reason: reason))
                            case .pong:
                                break
                            }
                        }
                        throw CoordinatorError("the agent closed the connection")
                    }
                    try await group.next()
                    group.cancelAll()
                }
            }
        } catch is CancellationError {
            return
        } catch {
            await links.forget(host.name)
            let where_ = "\(host.agentHost):\(host.agentPort)"
            // A connect error already names the agent and its address; the state machine names the host again.
            let reason: String
            if case WireError.connectFailed(_, _, let why) = error { reason = why } else { reason = "\(error)" }
            events.yield(heartbeat.wasGreeted ? .disconnected(host: host.name, error: "\(where_): \(reason)")
                                 : .connectFailed(host: host.name, error: "\(where_): \(reason)"))
        }
    }
}

/// When the agent last said anything, for the coordinator's side of the heartbeat.
private final class Heartbeat: @unchecked Sendable {
    private let lock = NSLock()
    private var last = ContinuousClock.now
    private var hello = false
    private let timeout: Duration

    init(timeout: Duration) {
        self.timeout = timeout
    }

    func heard() { lock.withLock { last = .now } }

    var isSilent: Bool { lock.withLock { ContinuousClock.now - last > timeout } }

    /// The agent answered hello on this connection.
    func greeted() { lock.withLock { hello = true } }
    var wasGreeted: Bool { lock.withLock { hello } }
}
