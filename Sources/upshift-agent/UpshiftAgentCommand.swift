import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import UpshiftAgent
import UpshiftWire

/// `upshift-agent`: the daemon on each database host.
@main
struct UpshiftAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upshift-agent",
        abstract: "Serve a coordinator over mutual TLS and run the plan's steps on this host."
    )

    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free one and prints it).")
    var listen: String

    @Option(help: "Folder with ca.pem, agent.pem and agent.key from `upshift certs init`.")
    var tlsDir: String

    @Option(help: "Folder for the agent's journal and the plans it receives.")
    var stateDir: String

    @Option(help: "The plan host name this agent answers for (default: the name in agent.pem).")
    var name: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        guard let colon = listen.lastIndex(of: ":"), Int(listen[listen.index(after: colon)...]) != nil else {
            throw ValidationError("--listen \(listen): expected HOST:PORT")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
        let logger = Logger(label: "upshift-agent")
        let colon = listen.lastIndex(of: ":")!
        let host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let port = Int(listen[listen.index(after: colon)...])!
        let agentName = try name ?? WireServer.agentName(tlsDirectory: tlsDir)
        let configuration = AgentConfiguration(name: agentName, listenHost: host, listenPort: port,
                                               tlsDirectory: tlsDir, stateDirectory: stateDir)
        let service = AgentService(configuration: configuration, logger: logger) { port in
            print("upshift-agent \(agentName) pid \(getpid()) listening on \(host):\(port)")
            fflush(stdout)
        }
        let group = ServiceGroup(configuration: .init(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
