import Foundation
import Glibc

/// Ports already handed out in this process, so that parallel tests never get the same one.
private final class HandedOutPorts: @unchecked Sendable {
    let lock = NSLock()
    var ports: Set<Int> = []

    func claim(_ port: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return ports.insert(port).inserted
    }
}

private let handedOut = HandedOutPorts()

/// A free TCP port on 127.0.0.1 (bind to 0 and read back).
public func freePort() throws -> Int {
    for _ in 0..<50 {
        let port = try bindEphemeralPort()
        if handedOut.claim(port) { return port }
    }
    throw TestSetupError("no unused loopback port after 50 tries")
}

private func bindEphemeralPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestSetupError("socket: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
            bind(fd, generic, length) == 0 && getsockname(fd, generic, &length) == 0
        }
    }
    guard bound else { throw TestSetupError("bind 127.0.0.1:0: \(String(cString: strerror(errno)))") }
    return Int(UInt16(bigEndian: address.sin_port))
}
