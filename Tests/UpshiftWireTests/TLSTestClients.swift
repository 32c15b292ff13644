import Foundation
import NIOCore
import NIOPosix
import NIOSSL
@testable import UpshiftWire

/// Two fleets' certificates: `tls` is ours (agents db1, db2), `other` another CA's (agent db1).
struct Fleets {
    let tls: TemporaryDirectory
    let other: TemporaryDirectory

    init() throws {
        self.tls = try TemporaryDirectory("tls")
        self.other = try TemporaryDirectory("other")
        try CertificateAuthority.initialize(
            directory: self.tls.path, agents: [(name: "db1", hosts: ["127.0.0.1"]), (name: "db2", hosts: ["127.0.0.1"])])
        try CertificateAuthority.initialize(directory: self.other.path, agents: [(name: "db1", hosts: ["127.0.0.1"])])
    }

    func remove() {
        self.tls.remove()
        self.other.remove()
    }
}

/// An agent that answers hello with its name, and reports connection errors to `errors`.
func startAgent(
    tlsDirectory: String, errors: ErrorLog, in group: inout ThrowingTaskGroup<Void, any Error>
) async throws -> Int {
    let server = try await WireServer.bind(host: "127.0.0.1", port: 0, tlsDirectory: tlsDirectory)
    let name = try WireServer.agentName(tlsDirectory: tlsDirectory)
    group.addTask {
        try await server.serve(onConnectionError: { _, error in Task { await errors.append(error) } }) { connection in
            for try await message in connection.inbound {
                guard case .hello = message else { continue }
                try await connection.outbound.write(
                    .hello(AgentHello(agentName: name, hostname: "test", postgres: [])))
            }
        }
    }
    return server.localPort
}

/// A connection a test expected to be refused must still be closed properly if it was not.
func closeIfConnected(_ channel: NIOAsyncChannel<AgentMessage, CoordinatorMessage>) async throws {
    try await channel.executeThenClose { _, _ in }
}

/// Sends hello and returns the answer; nil when the connection ends without one.
func exchangeHello(_ channel: NIOAsyncChannel<AgentMessage, CoordinatorMessage>, agent: String) async throws -> AgentMessage? {
    try await withTimeout(60) {
        try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(.hello(CoordinatorHello(expectedAgent: agent)))
            var iterator = inbound.makeAsyncIterator()
            return try await iterator.next()
        }
    }
}

/// Connects presenting `certificate`/`key` (or nothing) while trusting `trustCA`; true when hello got an answer.
func helloSucceeds(port: Int, agent: String, trustCA: String, certificate: String?, key: String?) async -> Bool {
    do {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(trustCA))
        configuration.minimumTLSVersion = .tlsv13
        if let certificate, let key {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        }
        let channel = try await WireClient.connect(
            host: "127.0.0.1", port: port, agentName: agent, sslContext: try NIOSSLContext(configuration: configuration),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, timeout: .seconds(5),
            maxFrameSize: Framing.defaultMaxFrameSize)
        guard case .hello(let hello)? = try await exchangeHello(channel, agent: agent) else { return false }
        return hello.agentName == agent
    } catch {
        return false
    }
}

/// A plain TCP client that connects and sends nothing; true when the server closes it within `seconds`.
func silentTCPClientIsDropped(port: Int, seconds: Double) async throws -> Bool {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
        }
    let closed = try? await withTimeout(seconds) {
        try await channel.executeThenClose { inbound, _ in
            do { for try await _ in inbound {} } catch {}
            return true
        }
    }
    return closed == true
}

/// A plain TCP client that sends non-TLS bytes; returns what came back before the server closed (nil if it never did).
func plainTCPExchange(port: Int) async throws -> String? {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
        }
    return try? await withTimeout(60) {
        try await channel.executeThenClose { inbound, outbound in
            var hello = ByteBuffer()
            hello.writeInteger(UInt32(10), endianness: .big)
            hello.writeString(#"{"bye":{}}"#)
            try await outbound.write(hello)
            var received = ""
            do {
                for try await var chunk in inbound { received += chunk.readString(length: chunk.readableBytes) ?? "" }
            } catch {
                // A reset is as closed as an orderly close.
            }
            return received
        }
    }
}

/// A blocking TCP connection to loopback that sends nothing (the caller closes it).
func rawTCPConnection(port: Int) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else {
        close(fd)
        throw POSIXError(.ECONNREFUSED)
    }
    return fd
}
