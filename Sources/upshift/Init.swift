import ArgumentParser
import Foundation
import UpshiftInit

/// `upshift init`: a starter in-place plan from the fleet as it runs.
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a starter in-place plan from a running primary (and the standbys you name) that `upshift check` accepts."
    )

    @Option(help: "Conninfo of the running primary, in key=value form (a role that may read pg_settings and pg_stat_replication).")
    var primary: String

    @Option(name: .customLong("standby"), help: "Conninfo (key=value form) of a standby to describe from its own settings (repeat for each).")
    var standbys: [String] = []

    @Option(name: .customLong("agent"), help: "An agent address as NAME=HOST:PORT (db1 is the primary, db2… the standbys in order).")
    var agents: [String] = []

    @Option(help: "The port the agents listen on, for hosts without --agent.")
    var agentPort = 7710

    @Option(help: "The PostgreSQL major version to upgrade to.")
    var to = 17

    @Option(help: "The new version's bin directory on the database hosts (default: /usr/lib/postgresql/VERSION/bin).")
    var toBindir: String?

    @Option(help: "The certificate folder the plan names (from `upshift certs init`).")
    var tlsDir = "./tls"

    @Option(help: "The plan's name (default: CLUSTER-OLD-to-NEW).")
    var name: String?

    @Option(name: .shortAndLong, help: "Write the plan here instead of standard output.")
    var output: String?

    @Flag(help: "Replace the output file if it exists.")
    var force = false

    func validate() throws {
        for agent in agents where agent.split(separator: "=").count != 2 || !agent.contains(":") {
            throw ValidationError("--agent \(agent): expected NAME=HOST:PORT")
        }
    }

    func run() throws {
        let facts = try ClusterFacts.inspect(conninfo: primary)
        guard !facts.isInRecovery else { throw ValidationError("--primary reaches a server in recovery (a standby): give the primary") }
        guard facts.major < to else {
            throw ValidationError("the primary runs PostgreSQL \(facts.major); --to \(to) is not a newer major version")
        }
        let described = try standbys.map { conninfo -> StarterPlan.Standby in
            let standby = try ClusterFacts.inspect(conninfo: conninfo)
            guard standby.isInRecovery else { throw ValidationError("--standby \(conninfo) reaches a server that is not in recovery") }
            return StarterPlan.Standby(address: LocalLook.networkHost(of: conninfo) ?? "ADDRESS", facts: standby)
        }
        let bindir = toBindir ?? "/usr/lib/postgresql/\(to)/bin"
        let newPgdata = StarterPlan.newDataDirectory(for: facts.dataDirectory, oldMajor: facts.major, newMajor: to)
        let plan = StarterPlan(
            name: name ?? "db-\(facts.major)-to-\(to)", primaryAddress: LocalLook.networkHost(of: primary) ?? "ADDRESS", primary: facts,
            standbys: described,
            agents: Dictionary(agents.map { ($0.split(separator: "=")[0].description, $0.split(separator: "=")[1].description) }) { $1 },
            agentPort: agentPort, newMajor: to, newBindir: bindir,
            missingExtensions: LocalLook.missingExtensions(facts.extensions.keys.sorted(), bindir: bindir),
            tlsDirectory: tlsDir, jobs: LocalLook.processors(ifHere: facts.dataDirectory) ?? 4,
            sameFileSystem: LocalLook.sameFileSystem(facts.dataDirectory, newPgdata))
        let text = plan.yaml()
        guard let output else {
            print(text, terminator: "")
            return
        }
        if FileManager.default.fileExists(atPath: output) && !force {
            throw ValidationError("\(output) exists: choose another -o or add --force")
        }
        try text.write(toFile: output, atomically: true, encoding: .utf8)
        print("wrote \(output): PostgreSQL \(facts.major) → \(to), \(1 + max(described.count, described.isEmpty ? facts.replicas.count : 0)) hosts; "
              + "read its DECIDE comments, then `upshift check \(output)`")
    }
}
