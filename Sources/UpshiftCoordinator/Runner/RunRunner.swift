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

    /// Runs the plan to its end; `completed` lists steps a resumed run skips.
    public func run(completed: Set<String> = [], facts: [String: String] = [:], rollbackUnderWay: String? = nil) async throws -> (RunOutcome, String?) {
        let hosts = plan.hosts.map(\.name)
        var machine = RunStateMachine(steps: steps, hosts: hosts, planSHA256: bundle.sha256, completed: completed,
                                      facts: facts, runInputs: ["run.sync-secret": RunRunner.makeSecret()],
                                      rollbackHosts: plan.strategy == .inplace && journal != nil ? hosts : [],
                                      rollbackUnderWay: rollbackUnderWay,
                                      afterRollbackSteps: journal != nil ? StepPlanner.rollbackHookSteps(for: plan) : [])
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
                        await links.forget(host)
                        group.addTask { await self.connect(planHost, retryForSeconds: retryForSeconds, links: links, events: continuation) }
                    case .sendPlan(let host):
                        await send(.loadPlan(bundle), to: host, links: links, events: continuation)
                    case .runStep(let stepID, let stepHosts, let inputs):
                        for host in stepHosts {
                            let request = StepRequest(runID: runID, stepID: stepID, host: host, planSHA256: bundle.sha256, inputs: inputs)
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

    /// A one-time secret for this run (the standby sync's rsync password), from the system's random source.
    static func makeSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(generator.next() as UInt64, radix: 16) }.joined()
    }

    /// Holds one agent connection open for the run, turning what the agent says into run events.
    private func connect(_ host: PlanHost, retryForSeconds: Int, links: AgentLinks, events: AsyncStream<RunEvent>.Continuation) async {
        var greeted = false
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
                for try await message in inbound {
                    switch message {
                    case .hello(let hello):
                        greeted = true
                        events.yield(.connected(host: host.name, hello: hello))
                    case .planLoaded(let sha):
                        events.yield(.planLoaded(host: host.name, sha256: sha))
                    case .event(let event):
                        onEvent(event)
                        events.yield(.step(event))
                    case .refused(let reason):
                        events.yield(.refused(host: host.name, reason: reason))
                    }
                }
            }
            await links.forget(host.name)
            events.yield(.disconnected(host: host.name, error: "the agent closed the connection"))
        } catch {
            await links.forget(host.name)
            let where_ = "\(host.agentHost):\(host.agentPort)"
            events.yield(greeted ? .disconnected(host: host.name, error: "\(where_): \(error)")
                                 : .connectFailed(host: host.name, error: "\(where_): \(error)"))
        }
    }
}
