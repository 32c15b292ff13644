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
            try await server.serve(onConnectionError: { remote, error in
                logger.warning("connection refused or failed", metadata: ["peer": "\(remote.map { "\($0)" } ?? "?")", "error": "\(error)"])
            }) { connection in
                try await AgentService.serve(connection, configuration: configuration, journal: journal, logger: logger)
            }
        } onGracefulShutdown: {
            logger.info("shutting down")
            server.channel.channel.close(promise: nil)
        }
    }

    /// Serves one coordinator connection until it ends; `WireServer.serve` keeps one failure from reaching the others.
    static func serve(_ connection: WireConnection, configuration: AgentConfiguration, journal: AgentJournal, logger: Logger) async throws {
        let (outgoing, continuation) = AsyncStream<AgentMessage>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await message in outgoing { try await connection.outbound.write(message) }
            }
            let session = AgentSession(configuration: configuration, journal: journal, logger: logger) { continuation.yield($0) }
            defer { continuation.finish() }
            for try await message in connection.inbound {
                session.receive(message)
            }
        }
    }
}
