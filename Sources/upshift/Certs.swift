import ArgumentParser
import Foundation
import UpshiftWire

struct Certs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the fleet's mutual-TLS certificates.",
        subcommands: [Init.self]
    )

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a CA, the coordinator's client certificate and one server certificate per agent."
        )

        @Argument(help: "Folder to write the certificates into.")
        var directory: String

        @Option(name: .customLong("agent"), help: "An agent as NAME or NAME=HOST[,HOST…] (host names or IP addresses it is reached by).")
        var agents: [String] = []

        @Flag(help: "Replace an existing CA instead of reusing it.")
        var force = false

        func validate() throws {
            if agents.isEmpty { throw ValidationError("name at least one --agent") }
            for agent in agents where agent.split(separator: "=", maxSplits: 1).first?.isEmpty ?? true {
                throw ValidationError("--agent \(agent): expected NAME or NAME=HOST")
            }
        }

        func run() throws {
            let parsed = agents.map { agent -> (name: String, hosts: [String]) in
                let parts = agent.split(separator: "=", maxSplits: 1).map(String.init)
                let hosts = parts.count > 1 ? parts[1].split(separator: ",").map(String.init) : []
                return (parts[0], hosts)
            }
            try CertificateAuthority.initialize(directory: directory, agents: parsed, overwrite: force)
            print("wrote \(directory)/ca.pem, coordinator.pem, coordinator.key")
            for agent in parsed {
                print("wrote \(directory)/agents/\(agent.name)/ (copy to that host; give it to upshift-agent --tls-dir)")
            }
        }
    }
}
