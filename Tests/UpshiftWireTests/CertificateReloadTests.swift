import Foundation
import NIOCore
import Testing
@testable import UpshiftWire

/// `systemctl reload`: the agent re-reads its certificates; new connections get them, open ones keep theirs,
/// and a bad set is refused with the old one still served.
@Suite struct CertificateReloadTests {
    /// Copies `from`'s agent files over the agent folder `to`, as an operator rotating certificates does.
    static func install(_ from: String, over to: String) throws {
        for file in ["agent.pem", "agent.key", "ca.pem"] {
            let target = to + "/" + file
            try? FileManager.default.removeItem(atPath: target)
            try FileManager.default.copyItem(atPath: from + "/" + file, toPath: target)
        }
    }

    @Test func aRotatedCAServesNewConnectionsWhileAnOpenOneKeepsWorking() async throws {
        let fleets = try Fleets()
        defer { fleets.remove() }
        let served = try TemporaryDirectory("served")
        defer { served.remove() }
        try Self.install(fleets.tls.file("agents/db1"), over: served.path)
        let server = try await WireServer.bind(host: "127.0.0.1", port: 0, tlsDirectory: served.path)
        let port = server.localPort
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.serve(onConnectionError: { _, _ in }) { connection in
                    for try await message in connection.inbound {
                        guard case .hello = message else { continue }
                        try await connection.outbound.write(.hello(AgentHello(agentName: "db1", hostname: "test", postgres: [])))
                    }
                }
            }
            @Sendable func admits(_ fleet: TemporaryDirectory) async -> Bool {
                await helloSucceeds(port: port, agent: "db1", trustCA: fleet.file("ca.pem"),
                                    certificate: fleet.file("coordinator.pem"), key: fleet.file("coordinator.key"))
            }
            #expect(await admits(fleets.tls))
            #expect(!(await admits(fleets.other)))

            // A coordinator connected before the rotation: its link must outlive the reload.
            let open = try await WireClient.connect(host: "127.0.0.1", port: port, agentName: "db1", tlsDirectory: fleets.tls.path)
            try await withTimeout(60) {
                try await open.executeThenClose { (inbound: NIOAsyncChannelInboundStream<AgentMessage>,
                                                   outbound: NIOAsyncChannelOutboundWriter<CoordinatorMessage>) async throws in
                    var answers = inbound.makeAsyncIterator()
                    try await outbound.write(.hello(CoordinatorHello(expectedAgent: "db1")))
                    #expect(try await answers.next() != nil)

                    try Self.install(fleets.other.file("agents/db1"), over: served.path)
                    try server.credentials.reload()
                    #expect(await admits(fleets.other), "a new connection is not served the rotated certificates")
                    #expect(!(await admits(fleets.tls)), "the old CA's coordinator is still let in after the rotation")

                    try await outbound.write(.hello(CoordinatorHello(expectedAgent: "db1")))
                    #expect(try await answers.next() != nil, "the connection opened before the reload was dropped")
                }
            }
            group.cancelAll()
        }
    }

    @Test func aBrokenSetIsRefusedAndTheServedOneStays() async throws {
        let fleets = try Fleets()
        defer { fleets.remove() }
        let served = try TemporaryDirectory("served")
        defer { served.remove() }
        try Self.install(fleets.tls.file("agents/db1"), over: served.path)
        let credentials = try AgentCredentials(tlsDirectory: served.path)
        let before = credentials.context

        // A key that is not the certificate's.
        try FileManager.default.removeItem(atPath: served.file("agent.key"))
        try FileManager.default.copyItem(atPath: fleets.tls.file("agents/db2/agent.key"), toPath: served.file("agent.key"))
        #expect(throws: WireError.self) { try credentials.reload() }
        #expect(credentials.context === before)

        // A certificate issued for another agent.
        try Self.install(fleets.tls.file("agents/db2"), over: served.path)
        #expect(throws: WireError.agentNameChanged(path: served.file("agent.pem"), serving: "db1", found: "db2")) {
            try credentials.reload()
        }
        #expect(credentials.context === before)

        // A missing file is named.
        try Self.install(fleets.tls.file("agents/db1"), over: served.path)
        try FileManager.default.removeItem(atPath: served.file("ca.pem"))
        #expect(throws: WireError.missingFile(path: served.file("ca.pem"))) { try credentials.reload() }
        #expect(credentials.context === before)
    }
}
