import Foundation
import UpshiftPostgres
import UpshiftTestSupport

/// A small fleet on loopback: one PostgreSQL cluster and one agent per host, certificates from
/// `upshift certs init`, and a plan folder the test writes into.
final class LocalFleet {
    let scratch: ScratchDir
    let tlsDirectory: String
    var clusters: [String: TestCluster] = [:]
    var agents: [String: AgentProcess] = [:]
    let hostNames: [String]

    init(hosts: [String], version: String = "15", prefix: String = "e2e") throws {
        hostNames = hosts
        scratch = try ScratchDir(prefix: prefix)
        tlsDirectory = scratch.path + "/tls"
        let certs = try Executables.runUpshift(["certs", "init", tlsDirectory] + hosts.flatMap { ["--agent", "\($0)=127.0.0.1"] })
        guard certs.status == 0 else { throw AgentError("certs init failed: \(certs.stderr)") }
        for host in hosts {
            // Each agent folder is what an operator copies to that host, owned by the agent's user.
            let agentTLS = "\(scratch.path)/\(host)-tls"
            try FileManager.default.copyItem(atPath: "\(tlsDirectory)/agents/\(host)", toPath: agentTLS)
            if getuid() == 0 {
                _ = try ProgramRunner.run("/bin/chown", ["-R", "postgres:postgres", agentTLS])
            }
            clusters[host] = try TestCluster(version: version, in: scratch, name: host)
            agents[host] = try AgentProcess(name: host, tlsDirectory: agentTLS, scratch: scratch)
        }
    }

    /// The `hosts:` entries of a plan for this fleet; the first host is the primary.
    func hostsYAML() -> String {
        hostNames.enumerated().map { index, name in
            let cluster = clusters[name]!
            return """
              - name: \(name)
                agent: 127.0.0.1:\(agents[name]!.port)
                role: \(index == 0 ? "primary" : "standby")
                port: \(cluster.port)
                pgdata: \(cluster.pgdata)
            """
        }.joined(separator: "\n")
    }

    /// Writes a file under the fleet's folder (creating parent folders) and returns its path.
    @discardableResult
    func write(_ relativePath: String, _ text: String) throws -> String {
        let path = scratch.path + "/" + relativePath
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                                withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func tearDown() {
        agents.values.forEach { $0.stop() }
        for cluster in clusters.values { try? cluster.stop() }
        scratch.remove()
    }
}
