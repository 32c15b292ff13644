import Foundation

/// Where `upshift certs init` puts each file (see DESIGN.md).
struct Layout {
    let directory: String

    private func path(_ components: String...) -> String {
        components.reduce(URL(fileURLWithPath: self.directory)) { $0.appendingPathComponent($1) }.path
    }

    var caCertificate: String { self.path("ca.pem") }
    var caKey: String { self.path("ca.key") }
    var coordinatorCertificate: String { self.path("coordinator.pem") }
    var coordinatorKey: String { self.path("coordinator.key") }
    var agentsDirectory: String { self.path("agents") }
    func agentDirectory(_ name: String) -> String { self.path("agents", name) }
    func agentCertificate(_ name: String) -> String { self.path("agents", name, "agent.pem") }
    func agentKey(_ name: String) -> String { self.path("agents", name, "agent.key") }
    func agentCA(_ name: String) -> String { self.path("agents", name, "ca.pem") }

    /// Names of the agent folders present now.
    func existingAgents() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: self.agentsDirectory)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: self.agentCertificate($0)) }.sorted()
    }
}
