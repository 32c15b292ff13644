import Foundation
import X509

extension WireServer {
    /// The agent name its certificate in `tlsDirectory` was issued for (what it must answer in hello).
    public static func agentName(tlsDirectory: String) throws -> String {
        let path = URL(fileURLWithPath: tlsDirectory).appendingPathComponent("agent.pem").path
        let text = String(decoding: try PEMFiles.readBytes(path), as: UTF8.self)
        let certificate: Certificate
        do {
            certificate = try Certificate(pemEncoded: text)
        } catch {
            throw WireError.invalidPEM(path: path, reason: "not a certificate")
        }
        // `certs init` puts the agent's name first among the alternative names.
        guard case .dnsName(let name)? = try certificate.extensions.subjectAlternativeNames?.first else {
            throw WireError.invalidPEM(path: path, reason: "no agent name in the certificate")
        }
        return name
    }
}
