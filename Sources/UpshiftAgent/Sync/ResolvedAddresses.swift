import Foundation
import Glibc

/// Host names resolved to the numeric addresses rsync's `hosts allow` matches (the daemon does no reverse
/// lookups, so a name there would match nothing).
enum ResolvedAddresses {
    /// Every IPv4 and IPv6 address of each host; a host that does not resolve is an error naming it.
    static func of(_ hosts: [String]) throws -> [String] {
        var addresses: [String] = []
        for host in hosts {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, nil, &hints, &list)
            guard status == 0, let first = list else {
                throw AgentError("cannot resolve standby address \(host): \(String(cString: gai_strerror(status)))")
            }
            defer { freeaddrinfo(first) }
            var entry: UnsafeMutablePointer<addrinfo>? = first
            while let current = entry {
                var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                if getnameinfo(current.pointee.ai_addr, current.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                    let address = String(cString: buffer)
                    if !addresses.contains(address) { addresses.append(address) }
                }
                entry = current.pointee.ai_next
            }
        }
        return addresses
    }
}
