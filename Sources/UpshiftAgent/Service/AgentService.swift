import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import UpshiftWire

/// The agent daemon: serves coordinators over mutual TLS until asked to shut down.
public struct AgentService: Service {
    private let configuration: AgentConfiguration
    private let logger: Logger
    private let onListening: @Sendable (Int) -> Void

    /// A service for `configuration`; `onListening` receives the bound port.
    public init(configuration: AgentConfiguration, logger: Logger, onListening: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.configuration = configuration
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let journal = try AgentJournal(stateDirectory: configuration.stateDirectory)
        let server = try await WireServer.bind(host: configuration.listenHost, port: configuration.listenPort,
                                               tlsDirectory: configuration.tlsDirectory)
        logger.info("listening", metadata: ["agent.name": "\(configuration.name)", "listen.port": "\(server.localPort)",
                                             "journal": "\(journal.path)"])
        onListening(server.localPort)
        let configuration = self.configuration
        let logger = self.logger
        try await withGracefulShutdownHandler {
            try await server.serve(onConnectionError: { error in
                logger.warning("connection refused or failed", metadata: ["error": "\(error)"])
            }) { channel in
                await AgentService.serveConnection(channel, configuration: configuration, journal: journal, logger: logger)
            }
        } onGracefulShutdown: {
            logger.info("shutting down")
            server.close()
        }
    }

    /// Serves one coordinator connection; never throws, so one bad connection cannot stop the agent.
    static func serveConnection(_ channel: NIOAsyncChannel<CoordinatorMessage, AgentMessage>, configuration: AgentConfiguration,
                                journal: AgentJournal, logger: Logger) async {
        do {
            try await channel.executeThenClose { inbound, outbound in
                let (outgoing, continuation) = AsyncStream<AgentMessage>.makeStream()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await message in outgoing { try await outbound.write(message) }
                    }
                    let session = AgentSession(configuration: configuration, journal: journal, logger: logger) { continuation.yield($0) }
                    defer { continuation.finish() }
                    for try await message in inbound {
                        session.receive(message)
                    }
                }
            }
        } catch {
            logger.warning("connection ended with an error", metadata: ["error": "\(error)"])
        }
    }
}
