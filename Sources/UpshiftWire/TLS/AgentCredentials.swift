import Foundation
import NIOSSL

/// The TLS context an agent hands each new connection, replaceable while it serves (`systemctl reload`).
///
/// A connection keeps the context it was accepted with, so a reload never touches a running step's link.
public final class AgentCredentials: @unchecked Sendable {
    /// The folder the certificates are read from.
    public let tlsDirectory: String
    /// The agent name the served certificate carries; a reload must keep it.
    public let agentName: String
    private let lock = NSLock()
    private var served: NIOSSLContext

    /// Reads `agent.pem`, `agent.key` and `ca.pem` from `tlsDirectory`; fails naming the file at fault.
    public init(tlsDirectory: String) throws {
        self.tlsDirectory = tlsDirectory
        agentName = try WireServer.agentName(tlsDirectory: tlsDirectory)
        served = try Self.readContext(tlsDirectory: tlsDirectory)
    }

    /// The context for a connection accepted now.
    var context: NIOSSLContext { lock.withLock { served } }

    /// Re-reads the folder and serves its certificates to new connections. On any fault (a missing or
    /// malformed file, a key that is not the certificate's, a certificate for another agent name) it throws
    /// and the certificates served so far stay in place.
    public func reload() throws {
        let name = try WireServer.agentName(tlsDirectory: tlsDirectory)
        guard name == agentName else {
            throw WireError.agentNameChanged(path: tlsDirectory + "/agent.pem", serving: agentName, found: name)
        }
        let fresh = try Self.readContext(tlsDirectory: tlsDirectory)
        lock.withLock { served = fresh }
    }

    private static func readContext(tlsDirectory: String) throws -> NIOSSLContext {
        try TLSContexts.makeContext(TLSContexts.agentConfiguration(tlsDirectory: tlsDirectory), tlsDirectory: tlsDirectory)
    }
}
