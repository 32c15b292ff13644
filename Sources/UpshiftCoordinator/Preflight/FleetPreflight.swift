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

/// Read-only checks that reach every host through its agent: reachable over mutual TLS, the right agent,
/// the plan's PostgreSQL builds installed where the plan says.
public enum FleetPreflight {
    /// Runs the checks on every host at once; changes nothing anywhere.
    public static func run(plan: Plan) async -> [PreflightCheck] {
        await withTaskGroup(of: [PreflightCheck].self) { group in
            for host in plan.hosts {
                group.addTask { await check(host, plan: plan) }
            }
            var checks: [PreflightCheck] = []
            for await hostChecks in group { checks += hostChecks }
            let order = Dictionary(uniqueKeysWithValues: plan.hosts.enumerated().map { ($1.name, $0) })
            return checks.sorted { (order[$0.host] ?? 0) < (order[$1.host] ?? 0) }
        }
    }

    private static func check(_ host: PlanHost, plan: Plan) async -> [PreflightCheck] {
        let address = "\(host.agentHost):\(host.agentPort)"
        let hello: AgentHello
        do {
            hello = try await greet(host, plan: plan)
        } catch {
            return [PreflightCheck(host: host.name, name: "agent", verdict: .fail, detail: "\(address): \(error)",
                                   remedy: "start upshift-agent on \(host.name) with the tls folder from `upshift certs init`")]
        }
        var checks = [PreflightCheck(host: host.name, name: "agent", verdict: hello.agentName == host.name ? .pass : .fail,
                                     detail: "\(address) answers as \(hello.agentName) on \(hello.hostname)",
                                     remedy: hello.agentName == host.name ? nil : "point hosts[].agent of \(host.name) at its own agent")]
        guard let versions = plan.postgres else { return checks }
        var wanted = [("old-bindir", versions.from)]
        if !host.keepOld { wanted.append(("new-bindir", versions.to)) }
        for (name, install) in wanted {
            if let found = hello.postgres.first(where: { $0.bindir == install.bindir }) {
                let ok = found.major == install.version
                checks.append(PreflightCheck(host: host.name, name: name, verdict: ok ? .pass : .fail,
                                             detail: "\(install.bindir): \(found.version)",
                                             remedy: ok ? nil : "postgres.\(name == "old-bindir" ? "from" : "to").bindir must hold PostgreSQL \(install.version)"))
            } else {
                checks.append(PreflightCheck(host: host.name, name: name, verdict: .fail,
                                             detail: "\(install.bindir): no PostgreSQL there",
                                             remedy: "install PostgreSQL \(install.version) on \(host.name) or fix the plan's bindir"))
            }
        }
        return checks
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
