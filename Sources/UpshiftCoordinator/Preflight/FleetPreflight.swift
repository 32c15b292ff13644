import Foundation
import UpshiftPlan
import UpshiftWire

/// One preflight verdict, with a one-line remedy when it did not pass.
public struct PreflightCheck: Codable, Sendable, Equatable {
    /// `pass`, `warn` or `fail`.
    public enum Verdict: String, Codable, Sendable { case pass, warn, fail }
    public var host: String
    public var name: String
    public var verdict: Verdict
    public var detail: String
    public var remedy: String?

    public init(host: String, name: String, verdict: Verdict, detail: String, remedy: String? = nil) {
        self.host = host
        self.name = name
        self.verdict = verdict
        self.detail = detail
        self.remedy = remedy
    }
}

/// Read-only checks on every host through its agent: for the upgrade strategies, the plan's `preflight`
/// step (versions, settings, pg_upgrade --check, schema restore, replication…); for a runbook, that each
/// agent answers as the host it should be. Changes nothing.
public enum FleetPreflight {
    /// Runs the checks on every host at once and returns every verdict, hosts in plan order.
    public static func run(loaded: LoadedPlan, output: ProgressOutput) async throws -> [PreflightCheck] {
        let plan = loaded.plan
        let collected = CheckCollector()
        guard let step = StepPlanner.steps(for: plan).first(where: { $0.builtin == .preflight }) else {
            return await agentChecks(plan: plan)
        }
        let bundle = BundleBuilder.bundle(for: loaded)
        let runner = RunRunner(plan: plan, bundle: bundle, runID: "preflight-\(UUID().uuidString.prefix(8).lowercased())",
                               journal: nil, output: output, steps: [step]) { event in
            if case .check(let check) = event.kind { collected.add(PreflightCheck(host: event.host, check)) }
        }
        let (outcome, reason) = try await runner.run()
        var checks = collected.all
        if outcome != .done, !checks.contains(where: { $0.verdict == .fail }) {
            checks.append(PreflightCheck(host: "-", name: "preflight", verdict: .fail, detail: reason ?? "preflight did not finish"))
        }
        let order = Dictionary(uniqueKeysWithValues: plan.hosts.enumerated().map { ($1.name, $0) })
        return checks.enumerated().sorted { (order[$0.element.host] ?? -1, $0.offset) < (order[$1.element.host] ?? -1, $1.offset) }.map(\.element)
    }

    /// For plans without a preflight step: each agent is reachable over mutual TLS and is the right host.
    static func agentChecks(plan: Plan) async -> [PreflightCheck] {
        await withTaskGroup(of: PreflightCheck.self) { group in
            for host in plan.hosts {
                group.addTask { await agentCheck(host, plan: plan) }
            }
            var checks: [PreflightCheck] = []
            for await check in group { checks.append(check) }
            let order = Dictionary(uniqueKeysWithValues: plan.hosts.enumerated().map { ($1.name, $0) })
            return checks.sorted { (order[$0.host] ?? 0) < (order[$1.host] ?? 0) }
        }
    }

    private static func agentCheck(_ host: PlanHost, plan: Plan) async -> PreflightCheck {
        let address = "\(host.agentHost):\(host.agentPort)"
        do {
            let hello = try await greet(host, plan: plan)
            return PreflightCheck(host: host.name, name: "agent", verdict: hello.agentName == host.name ? .pass : .fail,
                                  detail: "\(address) answers as \(hello.agentName) on \(hello.hostname)",
                                  remedy: hello.agentName == host.name ? nil : "point hosts[].agent of \(host.name) at its own agent")
        } catch {
            return PreflightCheck(host: host.name, name: "agent", verdict: .fail, detail: "\(address): \(error)",
                                  remedy: "start upshift-agent on \(host.name) with the tls folder from `upshift certs init`")
        }
    }

    private static func greet(_ host: PlanHost, plan: Plan) async throws -> AgentHello {
        let channel = try await WireClient.connect(host: host.agentHost, port: host.agentPort, agentName: host.name,
                                                   tlsDirectory: plan.tls.dir)
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(.hello(CoordinatorHello(expectedAgent: host.name, bindirs: plan.bindirs)))
            for try await message in inbound {
                if case .hello(let hello) = message {
                    try await outbound.write(.bye)
                    return hello
                }
            }
            throw CoordinatorError("the agent closed the connection before hello")
        }
    }
}

/// Gathers check verdicts arriving from several connections.
private final class CheckCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var checks: [PreflightCheck] = []

    func add(_ check: PreflightCheck) {
        lock.lock()
        checks.append(check)
        lock.unlock()
    }

    var all: [PreflightCheck] {
        lock.lock()
        defer { lock.unlock() }
        return checks
    }
}

extension PreflightCheck {
    /// A host's verdict from the wire.
    init(host: String, _ check: CheckResult) {
        self.init(host: host, name: check.name, verdict: Verdict(rawValue: check.verdict.rawValue) ?? .fail,
                  detail: check.detail, remedy: check.remedy)
    }
}
