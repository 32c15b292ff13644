import NIOCore
import NIOPosix
import NIOSSL

/// Coordinator side: one TLS connection to an agent.
public enum WireClient {
    /// Connects to the agent at `host:port` and completes the TLS handshake, whose certificate must be
    /// for `agentName` (the plan's host name) and signed by the fleet CA in `tlsDirectory`.
    ///
    /// `timeout` bounds the TCP connect and the handshake together.
    public static func connect(
        host: String,
        port: Int,
        agentName: String,
        tlsDirectory: String,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        timeout: Duration = .seconds(10)
    ) async throws -> NIOAsyncChannel<AgentMessage, CoordinatorMessage> {
        let configuration = try TLSContexts.coordinatorConfiguration(tlsDirectory: tlsDirectory)
        let context = try TLSContexts.makeContext(configuration, tlsDirectory: tlsDirectory)
        return try await self.connect(
            host: host, port: port, agentName: agentName, sslContext: context,
            eventLoopGroup: eventLoopGroup, timeout: timeout, maxFrameSize: Framing.defaultMaxFrameSize)
    }

    /// The same with a ready TLS context, so tests can present other certificates.
    static func connect(
        host: String,
        port: Int,
        agentName: String,
        sslContext: NIOSSLContext,
        eventLoopGroup: any EventLoopGroup,
        timeout: Duration,
        maxFrameSize: Int
    ) async throws -> NIOAsyncChannel<AgentMessage, CoordinatorMessage> {
        let address = "\(host):\(port)"
        let limit = TimeAmount.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000
            + timeout.components.attoseconds / 1_000_000_000)
        let (channel, handshake): (NIOAsyncChannel<AgentMessage, CoordinatorMessage>, EventLoopFuture<Void>)
        do {
            (channel, handshake) = try await ClientBootstrap(group: eventLoopGroup)
                .connectTimeout(limit)
                .channelOption(.socketOption(.so_keepalive), value: 1)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        // The SNI name is also the name NIOSSL checks; PeerName then insists on it.
                        try sync.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: agentName))
                        let handshake = channel.eventLoop.makePromise(of: Void.self)
                        try sync.addHandler(
                            HandshakeGuard(deadline: .now() + limit, outcome: handshake) { peer in
                                try PeerName.verify(peer, isFor: agentName)
                            })
                        try Framing.addHandlers(
                            to: sync, inbound: AgentMessage.self, outbound: CoordinatorMessage.self,
                            maxFrameSize: maxFrameSize)
                        let wrapped = try NIOAsyncChannel<AgentMessage, CoordinatorMessage>(
                            wrappingChannelSynchronously: channel)
                        return (wrapped, handshake.futureResult)
                    }
                }
        } catch {
            throw WireError.connectFailed(agent: agentName, address: address, reason: "\(error)")
        }
        do {
            try await handshake.get()
        } catch {
            // executeThenClose, not close: an async channel must be finished before it is dropped.
            try? await channel.executeThenClose { _, _ in }
            throw WireError.connectFailed(agent: agentName, address: address, reason: handshakeFailure(error))
        }
        return channel
    }

    /// What a failed handshake means to an operator, with BoringSSL's own code kept for searching.
    static func handshakeFailure(_ error: any Error) -> String {
        let text = "\(error)"
        let code = text.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") })
            .first { $0.contains("_") && $0.uppercased() == $0 && $0.count > 8 }.map(String.init)
        guard let code else { return "TLS handshake failed: \(text)" }
        if code == "CERTIFICATE_VERIFY_FAILED" {
            return "TLS: the agent's certificate is not signed by the CA in the plan's tls.dir (\(code)); "
                + "if the fleet's certificates were rotated, point tls.dir at the new ones"
        }
        if code.contains("ALERT") {
            return "TLS: the agent refused this coordinator's certificate (\(code)); "
                + "it trusts another CA, or its certificates were rotated"
        }
        return "TLS handshake failed (\(code)): \(text)"
    }
}
