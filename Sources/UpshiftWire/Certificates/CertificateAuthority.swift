import Crypto
import Foundation
import X509

/// The fleet's own CA: makes it once, then issues the coordinator's client certificate and one server
/// certificate per agent, laid out as `upshift certs init` documents.
public enum CertificateAuthority {
    /// What `initialize` did.
    public struct Outcome: Sendable, Equatable {
        /// True when a new CA was made; false when the existing one was reused.
        public var createdCA: Bool
        /// Every file written, in the order written.
        public var writtenFiles: [String]
        /// Agent folders already present that a new CA has made useless (their certificates are from the old CA).
        public var staleAgents: [String]
    }

    /// Writes `DIR/ca.pem`, `DIR/ca.key`, `DIR/coordinator.{pem,key}` and `DIR/agents/NAME/{ca.pem,agent.pem,agent.key}`.
    ///
    /// An existing CA is reused (so agents can be added later) unless `overwrite` is set, which makes a new
    /// CA and reissues everything asked for. Without `overwrite`, an agent that already has a certificate
    /// is refused. Everything is checked before the first file is written.
    @discardableResult
    public static func initialize(
        directory: String,
        agents: [(name: String, hosts: [String])],
        validityDays: Int = 3650,
        overwrite: Bool = false,
        now: Date = Date()
    ) throws -> Outcome {
        guard validityDays > 0 else {
            throw WireError.invalidValidity(days: validityDays)
        }
        let layout = Layout(directory: directory)
        let validity = TimeInterval(validityDays) * 86_400
        var seen = Set<String>()
        for agent in agents {
            try AgentNames.validate(agent.name)
            for host in agent.hosts { try AgentNames.validateHost(host, of: agent.name) }
            guard seen.insert(agent.name).inserted else {
                throw WireError.invalidAgentName(agent.name, reason: "given twice")
            }
        }
        // The coordinator accepts an agent whose certificate carries the plan host's name among its DNS names:
        // a host name that is another agent's name would let one agent pass for the other.
        let agentsFolder = URL(fileURLWithPath: layout.agentCertificate("x")).deletingLastPathComponent().deletingLastPathComponent().path
        let others = Set(agents.map { $0.name.lowercased() })
            .union(((try? FileManager.default.contentsOfDirectory(atPath: agentsFolder)) ?? []).map { $0.lowercased() })
        for agent in agents {
            for host in agent.hosts where AgentNames.ipAddressBytes(host) == nil
                && host.lowercased() != agent.name.lowercased() && others.contains(host.lowercased()) {
                throw WireError.invalidAgentName(agent.name, reason: "host \"\(host)\" is the name of another agent; its certificate would pass for that agent")
            }
        }

        let existingCA = try overwrite ? nil : loadCA(layout)
        if existingCA != nil {
            for agent in agents {
                for path in [layout.agentCertificate(agent.name), layout.agentKey(agent.name)]
                where FileManager.default.fileExists(atPath: path) {
                    throw WireError.alreadyExists(path: path)
                }
            }
        }
        let issuer = try existingCA ?? Issuer.makeCA(now: now, validity: validity)
        let caPEM = try issuer.certificate.pemText()
        var outcome = Outcome(createdCA: existingCA == nil, writtenFiles: [], staleAgents: [])
        if outcome.createdCA {
            outcome.staleAgents = layout.existingAgents().filter { !seen.contains($0) }
        }

        func write(_ text: String, _ path: String, secret: Bool) throws {
            try SecureFiles.write(text, to: path, mode: secret ? 0o600 : 0o644)
            outcome.writtenFiles.append(path)
        }
        // Keys and the CA live in DIR; only its owner should even list it.
        try SecureFiles.makeDirectory(directory, mode: 0o700)
        if outcome.createdCA {
            try write(issuer.key.pemRepresentation + "\n", layout.caKey, secret: true)
            try write(caPEM, layout.caCertificate, secret: false)
        }
        let hasCoordinator = FileManager.default.fileExists(atPath: layout.coordinatorCertificate)
            && FileManager.default.fileExists(atPath: layout.coordinatorKey)
        if outcome.createdCA || !hasCoordinator {
            let (certificate, key) = try issuer.issue(.coordinator, now: now, validity: validity)
            try write(key.pemRepresentation + "\n", layout.coordinatorKey, secret: true)
            try write(try certificate.pemText(), layout.coordinatorCertificate, secret: false)
        }
        for agent in agents {
            try SecureFiles.makeDirectory(layout.agentDirectory(agent.name), mode: 0o700)
            let (certificate, key) = try issuer.issue(
                .agent(name: agent.name, hosts: agent.hosts), now: now, validity: validity)
            try write(key.pemRepresentation + "\n", layout.agentKey(agent.name), secret: true)
            try write(try certificate.pemText(), layout.agentCertificate(agent.name), secret: false)
            try write(caPEM, layout.agentCA(agent.name), secret: false)
        }
        return outcome
    }

    /// The CA in `layout`, or nil when there is none; half a CA (certificate without key or the reverse,
    /// or a key that does not match) is an error rather than a reason to make a new one.
    static func loadCA(_ layout: Layout) throws -> Issuer? {
        let hasCertificate = FileManager.default.fileExists(atPath: layout.caCertificate)
        let hasKey = FileManager.default.fileExists(atPath: layout.caKey)
        guard hasCertificate || hasKey else { return nil }
        guard hasCertificate else { throw WireError.missingFile(path: layout.caCertificate) }
        guard hasKey else { throw WireError.missingFile(path: layout.caKey) }
        let certificate: Certificate
        do {
            certificate = try Certificate(pemEncoded: try SecureFiles.readText(layout.caCertificate))
        } catch let error as WireError {
            throw error
        } catch {
            throw WireError.invalidPEM(path: layout.caCertificate, reason: "not a certificate")
        }
        let key: P256.Signing.PrivateKey
        do {
            key = try P256.Signing.PrivateKey(pemRepresentation: try SecureFiles.readText(layout.caKey))
        } catch let error as WireError {
            throw error
        } catch {
            throw WireError.invalidPEM(path: layout.caKey, reason: "not a P-256 private key")
        }
        guard Certificate.PrivateKey(key).publicKey == certificate.publicKey else {
            throw WireError.invalidPEM(path: layout.caKey, reason: "does not belong to \(layout.caCertificate)")
        }
        return Issuer(certificate: certificate, key: key)
    }
}
