import NIOSSL
import X509

/// The coordinator's check that an agent's certificate was issued for the plan host it expects.
///
/// NIOSSL's hostname verification also accepts a certificate whose IP address SAN matches the connected
/// address, so two agents on one machine (or one address) could pose as each other; only the DNS name
/// `certs init` puts first, the agent's name, identifies the agent.
enum PeerName {
    struct Mismatch: Error, CustomStringConvertible {
        let expected: String
        let presented: [String]
        var description: String {
            "the agent's certificate is for \(presented.isEmpty ? "no name" : presented.joined(separator: ", ")), not \(expected)"
        }
    }

    static func verify(_ peer: NIOSSLCertificate?, isFor agentName: String) throws {
        let names: [String]
        if let peer, let certificate = try? Certificate(derEncoded: peer.toDERBytes()),
            let alternatives = try? certificate.extensions.subjectAlternativeNames
        {
            names = alternatives.compactMap { if case .dnsName(let name) = $0 { return name } else { return nil } }
        } else {
            names = []
        }
        guard names.contains(where: { $0.lowercased() == agentName.lowercased() }) else {
            throw Mismatch(expected: agentName, presented: names)
        }
    }
}
