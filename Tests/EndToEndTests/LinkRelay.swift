import Foundation
import Glibc

/// A TCP relay between the coordinator and one agent, on loopback, that a test can cut: every open
/// connection is reset both ways and new ones are refused until the link is restored, as a network that
/// drops does.
final class LinkRelay: @unchecked Sendable {
    let port: Int
    private let targetPort: Int
    private let listener: Int32
    private let lock = NSLock()
    private var down = false
    private var stopped = false
    private var sockets: Set<Int32> = []
    /// Connections that stay open but carry nothing any more (a silent network).
    private var blackholed: Set<Int32> = []

    /// Listens on a free loopback port and relays to `127.0.0.1:targetPort`.
    init(to targetPort: Int) throws {
        self.targetPort = targetPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 16) == 0 else { throw AgentError("relay: cannot listen: \(errno)") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// Resets every relayed connection (or, `silently`, keeps them open and drops what they carry, so only
    /// a heartbeat can tell) and refuses new ones until `restore`.
    func cut(silently: Bool = false) {
        let open = lock.withLock { () -> Set<Int32> in
            down = true
            if silently { blackholed.formUnion(sockets) }
            return sockets
        }
        if !silently { for fd in open { Glibc.shutdown(fd, Int32(SHUT_RDWR)) } }
    }

    /// Lets connections through again.
    func restore() {
        lock.withLock { down = false }
    }

    /// Closes the relay for good.
    func stop() {
        lock.withLock { stopped = true }
        cut()
        Glibc.shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            let (isDown, isStopped) = lock.withLock { (down, stopped) }
            if isStopped { close(client); return }
            if isDown { close(client); continue }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: targetPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { close(client); close(upstream); continue }
            lock.withLock { sockets.formUnion([client, upstream]) }
            Thread.detachNewThread { [self] in pump(client, upstream) }
        }
    }

    /// Copies bytes both ways until either side ends, then closes both.
    private func pump(_ a: Int32, _ b: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var fds = [pollfd(fd: a, events: Int16(POLLIN), revents: 0), pollfd(fd: b, events: Int16(POLLIN), revents: 0)]
        loop: while true {
            guard poll(&fds, 2, 500) >= 0 || errno == EINTR else { break }
            for index in 0..<2 where fds[index].revents != 0 {
                let from = fds[index].fd, to = index == 0 ? b : a
                let count = read(from, &buffer, buffer.count)
                if count <= 0 { break loop }
                if lock.withLock({ blackholed.contains(from) }) { continue }
                var sent = 0
                while sent < count {
                    let written = buffer[sent..<count].withUnsafeBytes { write(to, $0.baseAddress, $0.count) }
                    if written <= 0 { break loop }
                    sent += written
                }
            }
        }
        lock.withLock {
            sockets.subtract([a, b])
            blackholed.subtract([a, b])
        }
        close(a)
        close(b)
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return address
    }
}
