/// Why setting up or using a coordinator↔agent connection, or the certificates behind it, failed.
public enum WireError: Error, Equatable, CustomStringConvertible {
    /// A TLS or CA file that must exist does not.
    case missingFile(path: String)
    /// A file exists but could not be read or written.
    case fileAccess(path: String, reason: String)
    /// A file's contents are not the PEM certificate or key expected there.
    case invalidPEM(path: String, reason: String)
    /// A received frame is not a JSON message of the expected type; the connection is closed.
    case undecodableFrame(expected: String, reason: String)
    /// A message to send encodes to more bytes than a frame may carry.
    case frameTooLarge(bytes: Int, limit: Int)
    /// Connecting to an agent, or the TLS handshake with it, failed or timed out.
    case connectFailed(agent: String, address: String, reason: String)
    /// An agent name is not usable as a certificate name and folder name.
    case invalidAgentName(String, reason: String)
    /// A certificate validity that is not a positive number of days.
    case invalidValidity(days: Int)
    /// A file that `CertificateAuthority.initialize` would write already exists.
    case alreadyExists(path: String)
    /// A reloaded agent certificate names another agent than the one this agent answers for.
    case agentNameChanged(path: String, serving: String, found: String)

    public var description: String {
        switch self {
        case .missingFile(let path):
            return "\(path): no such file"
        case .fileAccess(let path, let reason):
            return "\(path): \(reason)"
        case .invalidPEM(let path, let reason):
            return "\(path): not a valid PEM file (\(reason))"
        case .undecodableFrame(let expected, let reason):
            return "received a frame that is not a \(expected): \(reason)"
        case .frameTooLarge(let bytes, let limit):
            return "message of \(bytes) bytes exceeds the \(limit)-byte frame limit"
        case .connectFailed(let agent, let address, let reason):
            return "cannot reach agent \(agent) at \(address): \(reason)"
        case .invalidAgentName(let name, let reason):
            return "invalid agent name \"\(name)\": \(reason)"
        case .invalidValidity(let days):
            return "certificate validity must be at least one day, not \(days)"
        case .alreadyExists(let path):
            return "\(path) already exists"
        case .agentNameChanged(let path, let serving, let found):
            return "\(path) is issued for agent \"\(found)\", but this agent answers for \"\(serving)\" (restart it to change its name)"
        }
    }
}
