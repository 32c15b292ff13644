import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals
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
        let registry = StepRegistry(journal: journal, ledger: try ChildLedger(stateDirectory: configuration.stateDirectory), logger: logger)
        try registry.recover()
        let server = try await WireServer.bind(host: configuration.listenHost, port: configuration.listenPort,
                                               tlsDirectory: configuration.tlsDirectory)
        logger.info("listening", metadata: ["agent.name": "\(configuration.name)", "listen.port": "\(server.localPort)",
                                             "journal": "\(journal.path)"])
        // Trapped before the agent says it listens: from then on SIGHUP (`systemctl reload`) must not end it.
        let reloads = await UnixSignalsSequence(trapping: .sighup)
        onListening(server.localPort)
        let configuration = self.configuration
        let logger = self.logger
        let sessions = SessionCounter()
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await Self.reloadCertificates(on: reloads, credentials: server.credentials, logger: logger) }
                try await server.serve(onConnectionError: { remote, error in
                    logger.warning("connection refused or failed", metadata: ["peer": "\(remote.map { "\($0)" } ?? "?")", "error": "\(error)"])
                }) { connection in
                    try await AgentService.serve(connection, id: sessions.next(), configuration: configuration, registry: registry, logger: logger)
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            logger.info("shutting down")
            server.channel.channel.close(promise: nil)
        }
        // Steps run on threads the registry owns: none may outlive the service.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                registry.shutDown(reason: "the agent is shutting down")
                done.resume()
            }
        }
        logger.info("stopped")
    }

    /// On each SIGHUP, re-reads the TLS folder for new connections; open connections and running steps keep going.
    /// A set that does not load is logged and the certificates served so far stay.
    static func reloadCertificates(on signals: UnixSignalsSequence, credentials: AgentCredentials, logger: Logger) async {
        for await _ in signals {
            do {
                try credentials.reload()
                logger.notice("certificates reloaded", metadata: ["tls.dir": "\(credentials.tlsDirectory)"])
            } catch {
                logger.error("certificate reload refused; the previous certificates stay in use",
                             metadata: ["tls.dir": "\(credentials.tlsDirectory)", "error": "\(error)"])
            }
        }
    }

    /// Serves one coordinator connection until it ends; `WireServer.serve` keeps one failure from reaching the others.
    static func serve(_ connection: WireConnection, id: UInt64, configuration: AgentConfiguration, registry: StepRegistry,
                      logger: Logger) async throws {
        let (outgoing, continuation) = AsyncStream<AgentMessage>.makeStream()
        let session = AgentSession(id: id, configuration: configuration, registry: registry, logger: logger) { continuation.yield($0) }
        defer {
            continuation.finish()
            registry.detach(session: id)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await message in outgoing { try await connection.outbound.write(message) }
            }
            for try await message in connection.inbound {
                session.receive(message)
            }
            continuation.finish()
            try await group.waitForAll()
        }
    }
}

/// Numbers connections, so the registry knows which one a running step reports to.
private final class SessionCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var last: UInt64 = 0

    func next() -> UInt64 {
        lock.withLock {
            last += 1
            return last
        }
    }
}
