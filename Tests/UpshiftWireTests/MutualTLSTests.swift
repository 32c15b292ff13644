import Foundation
import NIOCore
import NIOPosix
import Testing
@testable import UpshiftWire

@Suite struct MutualTLSTests {
    @Test func onlyTheFleetsCoordinatorIsServedAndRefusalsDoNotStopTheServer() async throws {
        let fleets = try Fleets()
        defer { fleets.remove() }
        let tls = fleets.tls
        let errors = ErrorLog()
        try await withThrowingTaskGroup(of: Void.self) { group in
            let port = try await startAgent(tlsDirectory: tls.file("agents/db1"), errors: errors, in: &group)
            let ours = (certificate: tls.file("coordinator.pem"), key: tls.file("coordinator.key"))
            func rightCoordinatorServed() async -> Bool {
                await helloSucceeds(port: port, agent: "db1", trustCA: tls.file("ca.pem"), certificate: ours.certificate, key: ours.key)
            }
            let connected = try await WireClient.connect(host: "127.0.0.1", port: port, agentName: "db1", tlsDirectory: tls.path)
            #expect(try await exchangeHello(connected, agent: "db1")
                == .hello(AgentHello(agentName: "db1", hostname: "test", postgres: [])))

            // No client certificate at all.
            #expect(!(await helloSucceeds(port: port, agent: "db1", trustCA: tls.file("ca.pem"), certificate: nil, key: nil)))
            #expect(await errors.waitFor(count: 1) >= 1, "the agent never saw the refused connection's error")
            #expect(await rightCoordinatorServed())

            // A coordinator certificate from another CA.
            #expect(!(await helloSucceeds(
                port: port, agent: "db1", trustCA: tls.file("ca.pem"),
                certificate: fleets.other.file("coordinator.pem"), key: fleets.other.file("coordinator.key"))))
            #expect(await rightCoordinatorServed())

            // Our CA, but an agent's (server-only) certificate used as a client one.
            #expect(!(await helloSucceeds(
                port: port, agent: "db1", trustCA: tls.file("ca.pem"),
                certificate: tls.file("agents/db2/agent.pem"), key: tls.file("agents/db2/agent.key"))))
            #expect(await rightCoordinatorServed())

            // Plain TCP with a well-formed frame: closed, and never a message back.
            let plain = try await plainTCPExchange(port: port)
            #expect(plain != nil, "the agent kept a plain TCP connection open")
            #expect(!(plain ?? "").contains("hello"))
            #expect(await rightCoordinatorServed())

            group.cancelAll()
        }
    }

    @Test func aCoordinatorExpectingDb1RefusesTheDb2Certificate() async throws {
        let fleets = try Fleets()
        defer { fleets.remove() }
        let tls = fleets.tls
        let errors = ErrorLog()
        try await withThrowingTaskGroup(of: Void.self) { group in
            let port = try await startAgent(tlsDirectory: tls.file("agents/db2"), errors: errors, in: &group)
            await #expect {
                try await closeIfConnected(WireClient.connect(host: "127.0.0.1", port: port, agentName: "db1", tlsDirectory: tls.path))
            } throws: { error in
                guard case WireError.connectFailed(let agent, _, let reason) = error else { return false }
                return agent == "db1" && reason.contains("not db1")
            }
            // The same agent is fine for the name it was issued.
            let right = try await WireClient.connect(host: "127.0.0.1", port: port, agentName: "db2", tlsDirectory: tls.path)
            guard case .hello(let hello)? = try await exchangeHello(right, agent: "db2") else {
                Issue.record("db2 did not answer hello")
                group.cancelAll()
                return
            }
            #expect(hello.agentName == "db2")
            group.cancelAll()
        }
    }

    @Test func anAgentFromAnotherFleetIsRefusedByTheCoordinator() async throws {
        let fleets = try Fleets()
        defer { fleets.remove() }
        let errors = ErrorLog()
        try await withThrowingTaskGroup(of: Void.self) { group in
            let port = try await startAgent(tlsDirectory: fleets.other.file("agents/db1"), errors: errors, in: &group)
            await #expect {
                try await closeIfConnected(WireClient.connect(host: "127.0.0.1", port: port, agentName: "db1", tlsDirectory: fleets.tls.path))
            } throws: { error in
                guard case WireError.connectFailed("db1", _, let reason) = error else { return false }
                return reason.hasPrefix("TLS: the agent's certificate is not signed by the CA in the plan's tls.dir (CERTIFICATE_VERIFY_FAILED)")
            }
            group.cancelAll()
        }
    }

    /// db1's agent server with the given handshake limits.
    func bindAgent(_ fleets: Fleets, handshakeTimeout: TimeAmount, maxHandshakes: Int = HandshakeSlots.defaultLimit) async throws -> WireServer {
        return try await WireServer.bind(
            host: "127.0.0.1", port: 0, credentials: AgentCredentials(tlsDirectory: fleets.tls.file("agents/db1")),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            maxFrameSize: Framing.defaultMaxFrameSize, handshakeTimeout: handshakeTimeout, maxHandshakes: maxHandshakes)
    }

    @Test func aPeerThatNeverCompletesTheHandshakeIsDropped() async throws {
        let fleets = try Fleets()
        defer { fleets.remove() }
        let server = try await bindAgent(fleets, handshakeTimeout: .milliseconds(300))
        let errors = ErrorLog()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.serve(onConnectionError: { _, error in Task { await errors.append(error) } }) { connection in
                    for try await _ in connection.inbound {}
                }
            }
            let dropped = try await silentTCPClientIsDropped(port: server.localPort, seconds: 60)
            #expect(dropped, "a silent TCP peer was kept open past the handshake timeout")
            #expect(await errors.waitFor(count: 1) == 1)
            #expect(await errors.errors.first.map { "\($0)" } == "TLS handshake timed out")
            group.cancelAll()
        }
    }

    /// Silent peers can hold at most the server's cap of handshakes; past it a new connection is closed at
    /// once instead of waiting out its handshake deadline.
    @Test func handshakesUnderWayAreCapped() async throws {
        let fleets = try Fleets()
        defer { fleets.remove() }
        let server = try await bindAgent(fleets, handshakeTimeout: .seconds(120), maxHandshakes: 2)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.serve(onConnectionError: { _, _ in }) { connection in
                    for try await _ in connection.inbound {}
                }
            }
            let held = try (0..<2).map { _ in try rawTCPConnection(port: server.localPort) }
            defer { held.forEach { close($0) } }
            try await Task.sleep(for: .milliseconds(300))
            let dropped = try await silentTCPClientIsDropped(port: server.localPort, seconds: 20)
            #expect(dropped, "a third silent peer was closed at once, not after the 120 s handshake deadline")
            group.cancelAll()
        }
    }

    @Test func missingTLSFilesAreNamed() async throws {
        let fleets = try Fleets()
        defer { fleets.remove() }
        let empty = try TemporaryDirectory("empty")
        defer { empty.remove() }
        await #expect(throws: WireError.missingFile(path: empty.file("agent.pem"))) {
            _ = try await WireServer.bind(host: "127.0.0.1", port: 0, tlsDirectory: empty.path)
        }
        try FileManager.default.removeItem(atPath: fleets.tls.file("coordinator.key"))
        await #expect(throws: WireError.missingFile(path: fleets.tls.file("coordinator.key"))) {
            try await closeIfConnected(WireClient.connect(host: "127.0.0.1", port: 1, agentName: "db1", tlsDirectory: fleets.tls.path))
        }
    }

    @Test func anUnreachableAgentFailsWithItsNameAndAddress() async throws {
        let fleets = try Fleets()
        defer { fleets.remove() }
        // Bind then close, so the port is known to be free of listeners.
        let server = try await WireServer.bind(host: "127.0.0.1", port: 0, tlsDirectory: fleets.tls.file("agents/db1"))
        let port = server.localPort
        try await server.channel.channel.close()
        await #expect(throws: WireError.self) {
            try await closeIfConnected(WireClient.connect(host: "127.0.0.1", port: port, agentName: "db1", tlsDirectory: fleets.tls.path,
                                             timeout: .seconds(2)))
        }
    }
}
