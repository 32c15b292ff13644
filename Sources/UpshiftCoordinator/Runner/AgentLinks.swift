import NIOCore
import UpshiftWire

/// The open connections to agents, by plan host name, for sending.
actor AgentLinks {
    private var writers: [String: NIOAsyncChannelOutboundWriter<CoordinatorMessage>] = [:]

    func register(_ host: String, _ writer: NIOAsyncChannelOutboundWriter<CoordinatorMessage>) {
        writers[host] = writer
    }

    /// Drops the host's connection (it ended, or a new one is about to replace it).
    func forget(_ host: String) {
        writers.removeValue(forKey: host)
    }

    /// Ends the host's connection, if one is open, before a new one replaces it.
    func close(_ host: String) {
        writers.removeValue(forKey: host)?.finish()
    }

    /// Sends `message` to `host`; throws when there is no open connection.
    func send(_ message: CoordinatorMessage, to host: String) async throws {
        guard let writer = writers[host] else {
            throw CoordinatorError("no open connection to \(host)")
        }
        try await writer.write(message)
    }

    /// Ends every connection (the agents see end of stream).
    func closeAll() {
        for writer in writers.values { writer.finish() }
        writers.removeAll()
    }
}

/// A coordinator failure with its context.
public struct CoordinatorError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public var description: String

    /// An error with this message.
    public init(_ description: String) {
        self.description = description
    }
}
