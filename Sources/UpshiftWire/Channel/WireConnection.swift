import NIOCore

/// One accepted coordinator connection, open while the serving handler runs.
public struct WireConnection: Sendable {
    /// Where the coordinator connected from, for logs.
    public let remoteAddress: SocketAddress?
    /// Messages from the coordinator; the first read throws if the TLS handshake failed.
    public let inbound: NIOAsyncChannelInboundStream<CoordinatorMessage>
    /// Messages to the coordinator.
    public let outbound: NIOAsyncChannelOutboundWriter<AgentMessage>
}

extension WireServer {
    /// Serves every connection concurrently until the server channel closes or the task is cancelled.
    ///
    /// A connection's error (failed handshake, undecodable frame, an error `handle` throws) goes to
    /// `onConnectionError` and closes only that connection; the server keeps accepting.
    public func serve(
        onConnectionError: @escaping @Sendable (_ remoteAddress: SocketAddress?, _ error: any Error) -> Void,
        handle: @escaping @Sendable (WireConnection) async throws -> Void
    ) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            try await self.channel.executeThenClose { connections in
                for try await connection in connections {
                    group.addTask {
                        let remote = connection.channel.remoteAddress
                        do {
                            try await connection.executeThenClose { inbound, outbound in
                                try await handle(
                                    WireConnection(remoteAddress: remote, inbound: inbound, outbound: outbound))
                            }
                        } catch {
                            onConnectionError(remote, error)
                        }
                    }
                }
            }
        }
    }
}
