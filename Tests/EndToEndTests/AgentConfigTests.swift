import Foundation
import Testing
import UpshiftPostgres
import UpshiftTestSupport

/// The agent as a packaged service runs it: everything from its configuration file, its log as JSON lines.
extension EndToEnd {
@Suite(.serialized) struct AgentConfigTests {
    @Test func anAgentConfiguredByItsFileServesTheCoordinatorAndLogsJSONLines() throws {
        let fleet = try StreamingFleet(standbys: [], prefix: "e2e-conf")
        defer { fleet.tearDown() }
        let old = fleet.hosts[0].agent
        old.stop()
        fleet.hosts[0].agent = try AgentProcess(name: old.name, tlsDirectory: old.tlsDirectory, scratch: fleet.scratch, port: old.port,
                                                configFile: true, logFormat: "json")
        let plan = try fleet.writePlan()
        let preflight = try Executables.runUpshift(["preflight", plan])
        #expect(preflight.status == 0, "\(preflight.stdout)\n\(preflight.stderr)")
        #expect(preflight.stdout.contains("old-cluster-running"), "\(preflight.stdout)")

        let log = try String(contentsOfFile: fleet.hosts[0].agent.logPath, encoding: .utf8)
        let lines = log.split(separator: "\n").filter { !$0.isEmpty }
        let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(!lines.isEmpty && objects.count == lines.count, "every log line is one JSON object:\n\(log)")
        #expect(objects.contains { $0["message"] as? String == "step started" && $0["step.id"] as? String == "preflight"
            && $0["level"] as? String == "info" && $0["label"] as? String == "upshift-agent" }, "metadata are fields:\n\(log)")

        let broken = fleet.scratch.path + "/broken.yaml"
        try "listen: 127.0.0.1:7710\nlog_format: xml\n".write(toFile: broken, atomically: true, encoding: .utf8)
        let refused = try ProgramRunner.run(Executables.agent, ["--config", broken])
        #expect(refused.status != 0 && refused.stderr.contains("\(broken):2:13: invalid log_format 'xml'"), "\(refused.stderr)")
    }
}
}
