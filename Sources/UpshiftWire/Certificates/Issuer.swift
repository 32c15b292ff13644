import Crypto
import Foundation
import X509

/// A loaded or freshly made CA: its certificate and the key that signs leaves.
struct Issuer {
    let certificate: Certificate
    let key: P256.Signing.PrivateKey

    /// A self-signed CA; the random suffix keeps two fleets' CAs apart by name as well as by key.
    static func makeCA(now: Date, validity: TimeInterval) throws -> Issuer {
        let key = P256.Signing.PrivateKey()
        let signingKey = Certificate.PrivateKey(key)
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let name = try DistinguishedName {
            OrganizationName("Upshift")
            CommonName("Upshift fleet CA \(suffix)")
        }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(hash: signingKey.publicKey)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: signingKey.publicKey,
            notValidBefore: now - clockSkew, notValidAfter: now + validity,
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions, issuerPrivateKey: signingKey)
        return Issuer(certificate: certificate, key: key)
    }

    /// Hosts' clocks differ a little; a certificate made now must already be valid on them.
    static let clockSkew: TimeInterval = 300

    /// The two kinds of leaf the fleet uses.
    enum Role {
        case agent(name: String, hosts: [String])
        case coordinator
    }

    /// A new key and a certificate for it signed by this CA, valid no longer than the CA itself.
    func issue(_ role: Role, now: Date, validity: TimeInterval) throws -> (Certificate, P256.Signing.PrivateKey) {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PrivateKey(key).publicKey
        let commonName: String
        let usage: ExtendedKeyUsage.Usage
        var alternativeNames: [GeneralName] = []
        switch role {
        case .agent(let name, let hosts):
            commonName = name
            usage = .serverAuth
            alternativeNames.append(.dnsName(name))
            for host in hosts where host != name {
                if let address = AgentNames.ipAddressBytes(host) {
                    alternativeNames.append(.ipAddress(.init(contentBytes: address[...])))
                } else {
                    alternativeNames.append(.dnsName(host))
                }
            }
        case .coordinator:
            commonName = "upshift coordinator"
            usage = .clientAuth
        }
        let subject = try DistinguishedName {
            OrganizationName("Upshift")
            CommonName(commonName)
        }
        let caKeyID = try self.certificate.extensions.subjectKeyIdentifier?.keyIdentifier
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([usage])
            SubjectKeyIdentifier(hash: publicKey)
            AuthorityKeyIdentifier(keyIdentifier: caKeyID)
            if !alternativeNames.isEmpty {
                SubjectAlternativeNames(alternativeNames)
            }
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: now - Self.clockSkew,
            notValidAfter: min(now + validity, self.certificate.notValidAfter),
            issuer: self.certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions, issuerPrivateKey: Certificate.PrivateKey(self.key))
        return (certificate, key)
    }
}

extension Certificate {
    func pemText() throws -> String {
        try self.serializeAsPEM().pemString + "\n"
    }
}
