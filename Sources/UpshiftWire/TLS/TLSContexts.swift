import Foundation
import NIOSSL

/// The TLS set-up of both ends, from a tls directory laid out as `upshift certs init` writes it.
///
/// Both ends trust only the fleet's CA (never the system store) and speak TLS 1.3 only.
enum TLSContexts {
    /// Agent side: `DIR/agent.pem`, `DIR/agent.key`, `DIR/ca.pem`; a client certificate from that CA is required.
    static func agentConfiguration(tlsDirectory: String) throws -> TLSConfiguration {
        let dir = URL(fileURLWithPath: tlsDirectory)
        let chain = try PEMFiles.certificates(dir.appendingPathComponent("agent.pem").path)
        let key = try PEMFiles.privateKey(dir.appendingPathComponent("agent.key").path)
        let ca = try PEMFiles.certificates(dir.appendingPathComponent("ca.pem").path)
        var configuration = TLSConfiguration.makeServerConfigurationWithMTLS(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key),
            trustRoots: .certificates(ca))
        // A coordinator has no stable host name to check; its CA signature is what authorises it.
        configuration.certificateVerification = .noHostnameVerification
        configuration.minimumTLSVersion = .tlsv13
        return configuration
    }

    /// Coordinator side: `DIR/coordinator.pem`, `DIR/coordinator.key`, `DIR/ca.pem`; the agent's certificate
    /// must come from that CA and name the plan host (checked against the SNI name the client handler is given).
    static func coordinatorConfiguration(tlsDirectory: String) throws -> TLSConfiguration {
        let dir = URL(fileURLWithPath: tlsDirectory)
        let chain = try PEMFiles.certificates(dir.appendingPathComponent("coordinator.pem").path)
        let key = try PEMFiles.privateKey(dir.appendingPathComponent("coordinator.key").path)
        let ca = try PEMFiles.certificates(dir.appendingPathComponent("ca.pem").path)
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateChain = chain.map { .certificate($0) }
        configuration.privateKey = .privateKey(key)
        configuration.trustRoots = .certificates(ca)
        configuration.certificateVerification = .fullVerification
        configuration.minimumTLSVersion = .tlsv13
        return configuration
    }

    static func makeContext(_ configuration: TLSConfiguration, tlsDirectory: String) throws -> NIOSSLContext {
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            // Typically a key that does not belong to the certificate.
            throw WireError.invalidPEM(path: tlsDirectory, reason: "TLS set-up failed: \(error)")
        }
    }
}
