import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Rules for agent names and the host names and addresses put in their certificates.
enum AgentNames {
    private static let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")

    /// An agent name becomes a folder under `agents/` and the name the coordinator checks via SNI:
    /// so no path tricks, no IP literals (SNI refuses them), and a letter or digit first.
    static func validate(_ name: String) throws {
        guard !name.isEmpty, name.count <= 253 else {
            throw WireError.invalidAgentName(name, reason: "must be 1 to 253 characters")
        }
        guard name.allSatisfy({ allowed.contains($0) }) else {
            throw WireError.invalidAgentName(name, reason: "only letters, digits, '-', '_' and '.' are allowed")
        }
        guard let first = name.first, first.isLetter || first.isNumber else {
            throw WireError.invalidAgentName(name, reason: "must start with a letter or digit")
        }
        guard ipAddressBytes(name) == nil else {
            throw WireError.invalidAgentName(name, reason: "must be a name, not an IP address (give the address as a host)")
        }
    }

    /// A host given for an agent's certificate: an IP address, or a DNS name in the agent-name alphabet.
    static func validateHost(_ host: String, of name: String) throws {
        if ipAddressBytes(host) != nil { return }
        guard !host.isEmpty, host.allSatisfy({ allowed.contains($0) }) else {
            throw WireError.invalidAgentName(name, reason: "host \"\(host)\" is neither an IP address nor a DNS name")
        }
    }

    /// The address's network-order bytes (4 for IPv4, 16 for IPv6), or nil when `text` is not an address.
    static func ipAddressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}
