import Foundation
import Testing
import UpshiftPostgres
import UpshiftTestSupport

/// The Debian package (its man pages left out: their plugin needs SwiftPM's lock, which `swift test` holds): it installs, its unit passes `systemd-analyze verify`, and the agent started the way
/// the unit starts it (its ExecStart as its User, from the packaged configuration path) serves the coordinator.
extension EndToEnd {
@Suite(.serialized) struct PackageTests {
    static var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    @Test func thePackageInstallsAndItsUnitStartsAnAgentTheCoordinatorReaches() throws {
        guard getuid() == 0 else { throw TestSetupError("installing the package needs root (CI runs as root)") }
        let fleet = try StreamingFleet(standbys: [], prefix: "e2e-pkg")
        defer { fleet.tearDown() }
        let out = try fleet.scratch.subdirectory("dist")
        let built = try ProgramRunner.run(Self.repository + "/scripts/package.sh", [out],
                                          environment: ProcessInfo.processInfo.environment.merging(
                                            ["BUILD": Executables.buildDirectory, "COMPRESS": "gzip"]) { $1 })
        #expect(built.status == 0, "\(built.stdout)\n\(built.stderr)")
        let deb = try #require(try FileManager.default.contentsOfDirectory(atPath: out).first { $0.hasSuffix(".deb") })
        let installed = try ProgramRunner.run("/usr/bin/dpkg", ["-i", "\(out)/\(deb)"])
        defer { _ = try? ProgramRunner.run("/usr/bin/dpkg", ["-P", "upshift"]) }
        #expect(installed.status == 0, "\(installed.stdout)\n\(installed.stderr)")
        let unitPath = "/lib/systemd/system/upshift-agent.service"
        let verify = try ProgramRunner.run("/usr/bin/systemd-analyze", ["verify", unitPath])
        #expect(verify.status == 0 && verify.stderr.isEmpty, "\(verify.stdout)\n\(verify.stderr)")
        #expect(FileManager.default.fileExists(atPath: "/usr/share/bash-completion/completions/upshift"))
        // The manual renders, down to a subcommand's options and the agent's signals.
        for (page, text) in [("upshift-run", "--run-dir"), ("upshift-agent", "SIGHUP"), ("upshift-certs-init", "--agent")] {
            let rendered = try ProgramRunner.run("/bin/sh", ["-c", "zcat /usr/share/man/man1/\(page).1.gz | nroff -man -Tascii | col -b"])
            #expect(rendered.status == 0 && rendered.stdout.contains(text), "\(page): \(rendered.stdout)\n\(rendered.stderr)")
        }

        // Start the agent as the unit does, on this fleet's certificates, from the packaged configuration path.
        let unit = try String(contentsOfFile: unitPath, encoding: .utf8)
        func value(_ key: String) -> String? {
            unit.split(separator: "\n").first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
        }
        let user = try #require(value("User"))
        let execStart = try #require(value("ExecStart")).split(separator: " ").map(String.init)
        #expect(user == "postgres" && execStart == ["/usr/bin/upshift-agent", "--config", "/etc/upshift/agent.yaml"])
        let old = fleet.hosts[0].agent
        old.stop()
        let state = fleet.scratch.path + "/pkg-state"
        _ = try runAsPostgres(["/bin/mkdir", "-p", state])
        try """
            listen: 127.0.0.1:\(old.port)
            tls_dir: \(old.tlsDirectory)
            state_dir: \(state)
            log_format: json
            """.write(toFile: "/etc/upshift/agent.yaml", atomically: true, encoding: .utf8)
        let logPath = fleet.scratch.path + "/pkg-agent.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let agent = Process()
        agent.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        agent.arguments = ["-u", user, "--"] + execStart
        agent.standardOutput = FileHandle.nullDevice
        agent.standardError = FileHandle(forWritingAtPath: logPath)
        try agent.run()
        defer {
            _ = try? ProgramRunner.run("/usr/bin/pkill", ["-TERM", "-f", "^/usr/bin/upshift-agent --config"])
            agent.waitUntilExit()
        }
        let plan = try fleet.writePlan()
        var preflight = try Executables.runUpshift(["preflight", plan])
        // The agent takes a moment to listen.
        for _ in 0..<40 where preflight.status != 0 && (preflight.stdout + preflight.stderr).contains("cannot reach") {
            Thread.sleep(forTimeInterval: 0.25)
            preflight = try Executables.runUpshift(["preflight", plan])
        }
        #expect(preflight.status == 0, "\(preflight.stdout)\n\(preflight.stderr)")

        // `systemctl reload` runs the unit's ExecReload against the agent: it re-reads its certificates and serves on.
        let reload = try #require(value("ExecReload")).split(separator: " ").map(String.init)
        let pid = try ProgramRunner.run("/usr/bin/pgrep", ["-f", "^/usr/bin/upshift-agent --config"]).stdout
            .split(separator: "\n").first.map(String.init)
        let mainPID = try #require(pid)
        let reloaded = try ProgramRunner.run(reload[0], reload.dropFirst().map { $0 == "$MAINPID" ? mainPID : $0 })
        #expect(reloaded.status == 0, "\(reload): \(reloaded.stderr)")
        var log = ""
        for _ in 0..<40 where !log.contains("certificates reloaded") {
            Thread.sleep(forTimeInterval: 0.25)
            log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        }
        #expect(log.contains("certificates reloaded"), "\(log)")
        let afterReload = try Executables.runUpshift(["preflight", plan])
        #expect(afterReload.status == 0, "\(afterReload.stdout)\n\(afterReload.stderr)")
    }
}
}
