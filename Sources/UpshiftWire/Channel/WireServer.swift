import NIOCore
import NIOPosix
import NIOSSL

/// Agent side: a bound TLS server whose inbound connections speak CoordinatorMessage in, AgentMessage out.
public struct WireServer: Sendable {
    /// The accepted connections, each already wrapped with TLS, framing and the JSON codec.
    public let channel: NIOAsyncChannel<NIOAsyncChannel<CoordinatorMessage, AgentMessage>, Never>

    /// The port actually bound (useful when binding port 0).
    public let localPort: Int

    /// The certificates handed to new connections; `reload()` them to rotate without a restart.
    public let credentials: AgentCredentials

    /// How long a new connection may take to finish its TLS handshake before it is dropped.
    static let defaultHandshakeTimeout = TimeAmount.seconds(10)

    /// Binds `host:port` with the agent's certificate from `tlsDirectory`; fails naming any missing TLS file.
    public static func bind(
        host: String,
        port: Int,
        tlsDirectory: String,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> WireServer {
        try await self.bind(
            host: host, port: port, credentials: AgentCredentials(tlsDirectory: tlsDirectory), eventLoopGroup: eventLoopGroup,
            maxFrameSize: Framing.defaultMaxFrameSize, handshakeTimeout: defaultHandshakeTimeout,
            maxHandshakes: HandshakeSlots.defaultLimit)
    }

    /// The same with ready credentials, so tests can vary the limits.
    static func bind(
        host: String,
        port: Int,
        credentials: AgentCredentials,
        eventLoopGroup: any EventLoopGroup,
        maxFrameSize: Int,
        handshakeTimeout: TimeAmount,
        maxHandshakes: Int = HandshakeSlots.defaultLimit
    ) async throws -> WireServer {
        let slots = HandshakeSlots(limit: maxHandshakes)
        let channel = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard slots.acquire() else {
                        channel.close(promise: nil)
                        throw TooManyHandshakes()
                    }
                    // TLS first: nothing reaches the codec from a peer that has not proven its certificate.
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(NIOSSLServerHandler(context: credentials.context))
                    try sync.addHandler(HandshakeGuard(deadline: .now() + handshakeTimeout, outcome: nil, onSettled: { slots.release() }))
                    try Framing.addHandlers(
                        to: sync, inbound: CoordinatorMessage.self, outbound: AgentMessage.self,
                        maxFrameSize: maxFrameSize)
                    return try NIOAsyncChannel<CoordinatorMessage, AgentMessage>(wrappingChannelSynchronously: channel)
                }
            }
        guard let port = channel.channel.localAddress?.port else {
            // Only a channel closed under us has no address; nothing can be served from it.
            try? await channel.channel.close()
            throw ChannelError.ioOnClosedChannel
        }
        return WireServer(channel: channel, localPort: port, credentials: credentials)
    }
}
