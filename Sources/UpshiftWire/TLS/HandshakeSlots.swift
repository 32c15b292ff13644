import Foundation

/// How many connections may be in their TLS handshake at once: a flood of silent TCP peers costs the
/// agent at most this many handshakes, each ended by its deadline; past it new connections are closed at once.
final class HandshakeSlots: @unchecked Sendable {
    /// The server's default cap.
    static let defaultLimit = 64

    private let lock = NSLock()
    private let limit: Int
    private var inUse = 0

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a slot; false when every slot is taken.
    func acquire() -> Bool {
        lock.withLock {
            guard inUse < limit else { return false }
            inUse += 1
            return true
        }
    }

    /// Gives back a slot taken by `acquire`.
    func release() {
        lock.withLock { inUse = max(0, inUse - 1) }
    }

    /// Slots in use now.
    var count: Int { lock.withLock { inUse } }
}

/// A connection refused because too many handshakes were under way.
struct TooManyHandshakes: Error, CustomStringConvertible {
    var description: String { "too many TLS handshakes under way; connection closed" }
}
