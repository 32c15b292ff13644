import Foundation
import Testing
import X509
@testable import UpshiftWire

private func certificate(_ path: String) throws -> Certificate {
    try Certificate(pemEncoded: String(contentsOfFile: path, encoding: .utf8))
}

private func mode(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
}

/// Verifies `leaf` against `ca` the way a TLS client would, including the name or address it connects to.
private func verifies(_ leaf: Certificate, ca: Certificate, hostname: String?, ip: String? = nil) async -> Bool {
    let result: CertificateValidationResult
    if hostname == nil && ip == nil {
        var verifier = Verifier(rootCertificates: CertificateStore([ca])) { RFC5280Policy() }
        result = await verifier.validate(leaf: leaf, intermediates: CertificateStore())
    } else {
        var verifier = Verifier(rootCertificates: CertificateStore([ca])) {
            RFC5280Policy()
            ServerIdentityPolicy(serverHostname: hostname, serverIP: ip)
        }
        result = await verifier.validate(leaf: leaf, intermediates: CertificateStore())
    }
    if case .validCertificate = result { return true }
    return false
}

@Suite struct CertificateTests {
    @Test func initWritesTheDocumentedLayoutWithPrivateKeys() throws {
        let parent = try TemporaryDirectory("layout")
        defer { parent.remove() }
        // A directory init creates itself, so its mode is init's doing.
        let dir = TemporaryDirectory(existing: parent.file("tls"))
        let outcome = try CertificateAuthority.initialize(
            directory: dir.path, agents: [(name: "db1", hosts: ["10.0.0.11"]), (name: "db2", hosts: [])])
        #expect(outcome.createdCA)
        for file in ["ca.pem", "ca.key", "coordinator.pem", "coordinator.key",
                     "agents/db1/ca.pem", "agents/db1/agent.pem", "agents/db1/agent.key",
                     "agents/db2/ca.pem", "agents/db2/agent.pem", "agents/db2/agent.key"] {
            #expect(FileManager.default.fileExists(atPath: dir.file(file)), "\(file) missing")
        }
        for key in ["ca.key", "coordinator.key", "agents/db1/agent.key", "agents/db2/agent.key"] {
            #expect(try mode(dir.file(key)) == 0o600, "\(key) is not 0600")
        }
        #expect(try mode(dir.path) == 0o700)
        #expect(try String(contentsOfFile: dir.file("agents/db1/ca.pem"), encoding: .utf8)
            == String(contentsOfFile: dir.file("ca.pem"), encoding: .utf8))
        // No temporary files left behind by the atomic writes.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
            == ["agents", "ca.key", "ca.pem", "coordinator.key", "coordinator.pem"])
    }

    @Test func agentCertificateNamesTheAgentAndItsAddressesAndChainsToTheCA() async throws {
        let dir = try TemporaryDirectory("san")
        defer { dir.remove() }
        try CertificateAuthority.initialize(
            directory: dir.path, agents: [(name: "db1", hosts: ["10.0.0.11", "::1", "db1.example.com"])])
        let ca = try certificate(dir.file("ca.pem"))
        let leaf = try certificate(dir.file("agents/db1/agent.pem"))
        let alternativeNames = try leaf.extensions.subjectAlternativeNames
        let names = Array(try #require(alternativeNames))
        #expect(names.contains(.dnsName("db1")))
        #expect(names.contains(.dnsName("db1.example.com")))
        #expect(names.contains(.ipAddress(.init(contentBytes: [10, 0, 0, 11]))))
        #expect(names.contains(.ipAddress(.init(contentBytes: ArraySlice([UInt8](repeating: 0, count: 15) + [1])))))
        #expect(!names.contains(.dnsName("localhost")))
        #expect(names.count == 4)
        #expect(try leaf.extensions.basicConstraints == .notCertificateAuthority)
        #expect(try leaf.extensions.extendedKeyUsage?.contains(.serverAuth) == true)
        #expect(try ca.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        #expect(try ca.extensions.keyUsage?.keyCertSign == true)

        #expect(await verifies(leaf, ca: ca, hostname: "db1"))
        #expect(await verifies(leaf, ca: ca, hostname: nil, ip: "10.0.0.11"))
        #expect(!(await verifies(leaf, ca: ca, hostname: "db2")))
        #expect(try WireServer.agentName(tlsDirectory: dir.file("agents/db1")) == "db1")

        let coordinator = try certificate(dir.file("coordinator.pem"))
        #expect(try coordinator.extensions.extendedKeyUsage?.contains(.clientAuth) == true)
        #expect(await verifies(coordinator, ca: ca, hostname: nil))
    }

    @Test func anExistingCAIsReusedToAddAgentsAndExistingAgentsAreNotReissued() throws {
        let dir = try TemporaryDirectory("reuse")
        defer { dir.remove() }
        try CertificateAuthority.initialize(directory: dir.path, agents: [(name: "db1", hosts: [])])
        let caBefore = try String(contentsOfFile: dir.file("ca.pem"), encoding: .utf8)
        let coordinatorBefore = try String(contentsOfFile: dir.file("coordinator.pem"), encoding: .utf8)

        let added = try CertificateAuthority.initialize(directory: dir.path, agents: [(name: "db4", hosts: [])])
        #expect(!added.createdCA)
        #expect(added.writtenFiles.map { URL(fileURLWithPath: $0).lastPathComponent }.sorted()
            == ["agent.key", "agent.pem", "ca.pem"])
        #expect(try String(contentsOfFile: dir.file("ca.pem"), encoding: .utf8) == caBefore)
        #expect(try String(contentsOfFile: dir.file("coordinator.pem"), encoding: .utf8) == coordinatorBefore)
        let ca = try certificate(dir.file("ca.pem"))
        #expect(try certificate(dir.file("agents/db4/agent.pem")).issuer == ca.subject)

        #expect(throws: WireError.alreadyExists(path: dir.file("agents/db1/agent.pem"))) {
            try CertificateAuthority.initialize(directory: dir.path, agents: [(name: "db1", hosts: [])])
        }

        let fresh = try CertificateAuthority.initialize(
            directory: dir.path, agents: [(name: "db1", hosts: [])], overwrite: true)
        #expect(fresh.createdCA)
        #expect(fresh.staleAgents == ["db4"])
        #expect(try String(contentsOfFile: dir.file("ca.pem"), encoding: .utf8) != caBefore)
    }

    @Test(arguments: ["", "../evil", "a/b", ".hidden", "-x", "10.0.0.1", "db 1", "db1\n"])
    func unusableAgentNamesAreRefusedBeforeAnythingIsWritten(_ name: String) throws {
        let dir = try TemporaryDirectory("names")
        defer { dir.remove() }
        #expect {
            try CertificateAuthority.initialize(directory: dir.path, agents: [(name: "db1", hosts: []), (name: name, hosts: [])])
        } throws: { error in
            guard case WireError.invalidAgentName = error else { return false }
            return true
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    /// `--agent db1=db2`: db1's certificate would carry the name db2 and pass for that agent.
    @Test func anAgentCertificateCannotCarryAnotherAgentsName() throws {
        let dir = try TemporaryDirectory("impersonate")
        defer { dir.remove() }
        #expect {
            try CertificateAuthority.initialize(directory: dir.path, agents: [(name: "db1", hosts: ["DB2"]), (name: "db2", hosts: [])])
        } throws: { error in
            guard case WireError.invalidAgentName(let name, let reason) = error else { return false }
            return name == "db1" && reason.contains("another agent")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        // Added later to a CA that already issued db2, too.
        _ = try CertificateAuthority.initialize(directory: dir.path, agents: [(name: "db2", hosts: ["127.0.0.1"])])
        #expect(throws: WireError.self) {
            try CertificateAuthority.initialize(directory: dir.path, agents: [(name: "db3", hosts: ["db2"])])
        }
    }

    @Test func halfACAIsAnErrorNotAReasonToMakeANewOne() throws {
        let dir = try TemporaryDirectory("half")
        defer { dir.remove() }
        try CertificateAuthority.initialize(directory: dir.path, agents: [])
        try FileManager.default.removeItem(atPath: dir.file("ca.key"))
        #expect(throws: WireError.missingFile(path: dir.file("ca.key"))) {
            try CertificateAuthority.initialize(directory: dir.path, agents: [(name: "db2", hosts: [])])
        }
    }
}
