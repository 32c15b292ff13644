import Foundation
import Testing
import UpshiftPlan

/// The agent's configuration file: every field read, relative paths from its folder, mistakes at FILE:LINE:COL.
struct AgentSettingsFileTests {
    @Test func everyFieldIsReadAndRelativePathsAreTheFilesFolder() throws {
        let settings = try AgentSettingsFile.parse(text: """
            listen: 10.0.0.11:7710
            tls_dir: tls
            state_dir: /var/lib/upshift
            name: db1
            bindirs: [/usr/lib/postgresql/17/bin]
            log_level: debug
            log_format: json
            """, path: "/etc/upshift/agent.yaml")
        #expect(settings.listen == "10.0.0.11:7710")
        #expect(settings.tlsDirectory == "/etc/upshift/tls" && settings.stateDirectory == "/var/lib/upshift")
        #expect(settings.name == "db1" && settings.bindirs == ["/usr/lib/postgresql/17/bin"])
        #expect(settings.logLevel == "debug" && settings.logFormat == "json")
    }

    @Test func anEmptyFileLeavesEverythingToTheFlags() throws {
        #expect(try AgentSettingsFile.parse(text: "", path: "/etc/upshift/agent.yaml") == AgentSettingsFile())
    }

    @Test func mistakesAreNamedAtTheirLineAndColumn() throws {
        let text = "listen: db1\nstate_dir: /var/lib/upshift\nlog_format: xml\nport: 7710\n"
        #expect {
            try AgentSettingsFile.parse(text: text, path: "/etc/upshift/agent.yaml")
        } throws: { error in
            let message = "\(error)"
            return message.contains("/etc/upshift/agent.yaml:1:9: 'listen' expects HOST:PORT, got 'db1'")
                && message.contains("/etc/upshift/agent.yaml:3:13: invalid log_format 'xml'; expected one of: text, json")
                && message.contains("/etc/upshift/agent.yaml:4:1:")
        }
    }
}
