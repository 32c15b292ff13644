import Foundation
import Glibc

/// A TCP port free on `address` (a numeric IPv4 or IPv6 address) now: bound to port 0 and read back.
/// Another process may take it before the caller binds it; callers that start a server retry on EADDRINUSE.
func freeTCPPort(address: String) throws -> Int {
    let fd = try tcpSocket(address: address, port: 0) { fd, pointer, length in bind(fd, pointer, length) }
    defer { close(fd) }
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let named = withUnsafeMutablePointer(to: &storage) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw AgentError("getsockname on \(address): \(String(cString: strerror(errno)))") }
    let bound = storage
    let port = withUnsafePointer(to: bound) { pointer -> UInt16 in
        if bound.ss_family == sa_family_t(AF_INET6) {
            return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
        }
        return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
    }
    return Int(port)
}

/// Whether an rsync daemon answers on `address:port`: it greets every connection with `@RSYNCD: <version>`.
func rsyncDaemonAnswers(address: String, port: Int, timeoutMilliseconds: Int32 = 1000) -> Bool {
    guard let fd = try? tcpSocket(address: address, port: port, { fd, pointer, length in connect(fd, pointer, length) })
    else { return false }
    defer { close(fd) }
    var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 64)
    while received.count < 9, poll(&poller, 1, timeoutMilliseconds) == 1 {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { break }
        received += buffer[0..<count]
    }
    return received.starts(with: Array("@RSYNCD:".utf8))
}

/// Whether anything accepts TCP connections on `address:port`.
func tcpPortAccepts(address: String, port: Int) -> Bool {
    guard let fd = try? tcpSocket(address: address, port: port, { fd, pointer, length in connect(fd, pointer, length) })
    else { return false }
    close(fd)
    return true
}

/// A stream socket for the numeric `address`, on which `operation` (bind or connect) succeeded.
private func tcpSocket(address: String, port: Int,
                       _ operation: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32) throws -> Int32 {
    var hints = addrinfo()
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    var list: UnsafeMutablePointer<addrinfo>?
    let looked = getaddrinfo(address, String(port), &hints, &list)
    guard looked == 0, let info = list?.pointee, let socketAddress = info.ai_addr else {
        throw AgentError("\(address) is not a numeric IP address: \(String(cString: gai_strerror(looked)))")
    }
    defer { freeaddrinfo(list) }
    let fd = socket(info.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw AgentError("socket for \(address): \(String(cString: strerror(errno)))") }
    guard operation(fd, socketAddress, info.ai_addrlen) == 0 else {
        let reason = String(cString: strerror(errno))
        close(fd)
        throw AgentError("\(address) port \(port): \(reason)")
    }
    return fd
}
