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

    /// `systemctl reload` mid-step: the fleet's CA is rotated on the agent and SIGHUP sent while a step runs.
    /// The running step finishes on its open link; afterwards only a coordinator with the new certificates gets
    /// in; a broken set sent later is refused and the rotated one stays served.
    @Test func aReloadRotatesTheCertificatesWithoutDroppingTheRunningStep() throws {
        let fleet = try LocalFleet(hosts: ["db1"], prefix: "e2e-reload")
        defer { fleet.tearDown() }
        let agent = try #require(fleet.agents["db1"])
        try fleet.write("Hooks/wait.lua", "return function(ctx)\n  upshift.sleep(ctx.with.seconds)\nend\n")
        func plan(_ name: String, tls: String, seconds: Int) throws -> String {
            try fleet.write(name, """
                version: 1
                name: e2e-reload
                strategy: custom
                tls: { dir: \(tls) }
                hosts:
                \(fleet.hostsYAML())
                steps:
                  - id: wait
                    on: primary
                    run: Hooks/wait.lua
                    with: { seconds: \(seconds) }
                """)
        }
        func agentLog() -> String { (try? String(contentsOfFile: agent.logPath, encoding: .utf8)) ?? "" }
        func waitForLog(_ text: String, occurrences: Int = 1) -> Bool {
            for _ in 0..<120 {
                if agentLog().components(separatedBy: text).count > occurrences { return true }
                Thread.sleep(forTimeInterval: 0.1)
            }
            return false
        }

        let (running, output) = try Executables.startUpshift(
            ["run", try plan("slow.yaml", tls: "./tls", seconds: 6), "--yes", "--run-dir", fleet.scratch.path + "/runs/slow"])
        #expect(waitForLog("step.id=wait"), "the step never started:\n\(agentLog())")

        // Rotate: a new CA and a new certificate for db1, put in place of the agent's files, then reload.
        let rotated = fleet.scratch.path + "/tls-new"
        let certs = try Executables.runUpshift(["certs", "init", rotated, "--agent", "db1=127.0.0.1"])
        #expect(certs.status == 0, "\(certs.stderr)")
        func install(_ folder: String) throws {
            for file in ["agent.pem", "agent.key", "ca.pem"] {
                let target = agent.tlsDirectory + "/" + file
                try? FileManager.default.removeItem(atPath: target)
                try FileManager.default.copyItem(atPath: folder + "/" + file, toPath: target)
                if getuid() == 0 { _ = try ProgramRunner.run("/bin/chown", ["postgres:postgres", target]) }
            }
        }
        try install(rotated + "/agents/db1")
        #expect(kill(agent.pid, SIGHUP) == 0)
        #expect(waitForLog("certificates reloaded"), "no reload logged:\n\(agentLog())")
        #expect(running.isRunning, "the step ended before the reload, so the test proves nothing")

        let printed = Executables.finish(running, output)
        #expect(running.terminationStatus == 0, "the run across the reload failed:\n\(printed)\n\(agentLog())")
        #expect(agent.isRunning)

        let oldCA = try Executables.runUpshift(["run", try plan("old.yaml", tls: "./tls", seconds: 0), "--yes",
                                                "--run-dir", fleet.scratch.path + "/runs/old"])
        #expect(oldCA.status != 0 && (oldCA.stdout + oldCA.stderr).contains("cannot reach the agent of db1: 127.0.0.1:\(agent.port): TLS: the agent's certificate is not signed by the CA"), "the old CA's coordinator still gets in:\n\(oldCA.stdout)\n\(oldCA.stderr)")
        let fresh = try plan("new.yaml", tls: "./tls-new", seconds: 0)
        let newCA = try Executables.runUpshift(["run", fresh, "--yes", "--run-dir", fleet.scratch.path + "/runs/new"])
        #expect(newCA.status == 0, "\(newCA.stdout)\n\(newCA.stderr)")

        // A broken set: a key that is not the certificate's. Refused, and the rotated certificates stay served.
        try FileManager.default.removeItem(atPath: agent.tlsDirectory + "/agent.key")
        try FileManager.default.copyItem(atPath: fleet.tlsDirectory + "/agents/db1/agent.key", toPath: agent.tlsDirectory + "/agent.key")
        if getuid() == 0 { _ = try ProgramRunner.run("/bin/chown", ["postgres:postgres", agent.tlsDirectory + "/agent.key"]) }
        #expect(kill(agent.pid, SIGHUP) == 0)
        #expect(waitForLog("certificate reload refused"), "no refusal logged:\n\(agentLog())")
        let afterRefusal = try Executables.runUpshift(["run", fresh, "--yes", "--run-dir", fleet.scratch.path + "/runs/after"])
        #expect(afterRefusal.status == 0 && agent.isRunning, "\(afterRefusal.stdout)\n\(afterRefusal.stderr)")
    }
}
}
