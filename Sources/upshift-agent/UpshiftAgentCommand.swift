import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import UpshiftAgent
import UpshiftPlan
import UpshiftWire

/// `upshift-agent`: the daemon on each database host.
@main
struct UpshiftAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upshift-agent",
        abstract: "Serve a coordinator over mutual TLS and run the plan's steps on this host.",
        discussion: """
            Run it as the PostgreSQL OS user (the packaged systemd unit upshift-agent.service does, from \
            /etc/upshift/agent.yaml). Only coordinators whose certificate the fleet's CA signed are served.

            Signals: SIGTERM or SIGINT cancel the running step (its programs get SIGTERM, then SIGKILL), journal \
            it and exit; an agent started again on the same state folder carries on from its journal. SIGHUP \
            (systemctl reload) re-reads agent.pem, agent.key and ca.pem from the TLS folder for new connections; \
            open connections and a running step keep theirs, and a set that does not load is logged and the \
            previous one stays.
            """,
        subcommands: [CopyTableCommand.self]
    )

    @Option(help: "A configuration file (YAML: listen, tls_dir, state_dir, name, bindirs, log_level, log_format); flags override it.")
    var config: String?

    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free one and prints it).")
    var listen: String?

    @Option(help: "Folder with ca.pem, agent.pem and agent.key from `upshift certs init`.")
    var tlsDir: String?

    @Option(help: "Folder for the agent's journal and the plans it receives.")
    var stateDir: String?

    @Option(help: "The plan host name this agent answers for (default: the name in agent.pem).")
    var name: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: Logger.Level?

    @Option(help: "Log format: text, or json (one object per line, metadata as fields).")
    var logFormat: String?

    func run() async throws {
        var file = AgentSettingsFile()
        if let config {
            do {
                file = try AgentSettingsFile.load(path: config)
            } catch let errors as PlanErrors {
                throw ValidationError(errors.description)
            }
        }
        guard let listen = listen ?? file.listen else { throw ValidationError("give --listen HOST:PORT (or listen: in --config)") }
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
            throw ValidationError("--listen \(listen): expected HOST:PORT")
        }
        guard let tlsDir = tlsDir ?? file.tlsDirectory else { throw ValidationError("give --tls-dir (or tls_dir: in --config)") }
        guard let stateDir = stateDir ?? file.stateDirectory else { throw ValidationError("give --state-dir (or state_dir: in --config)") }
        let level = logLevel ?? file.logLevel.flatMap(Logger.Level.init(rawValue:)) ?? .info
        let format = logFormat ?? file.logFormat ?? "text"
        guard AgentSettingsFile.logFormats.contains(format) else { throw ValidationError("--log-format \(format): expected text or json") }
        LoggingSystem.bootstrap { label in
            if format == "json" {
                var handler = JSONLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "upshift-agent")
        let host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let agentName = try name ?? file.name ?? WireServer.agentName(tlsDirectory: tlsDir)
        let configuration = AgentConfiguration(name: agentName, listenHost: host, listenPort: port,
                                               tlsDirectory: tlsDir, stateDirectory: stateDir, extraBindirs: file.bindirs)
        let service = AgentService(configuration: configuration, logger: logger) { port in
            print("upshift-agent \(agentName) pid \(getpid()) listening on \(host):\(port)")
            fflush(nil)
        }
        let group = ServiceGroup(configuration: .init(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
