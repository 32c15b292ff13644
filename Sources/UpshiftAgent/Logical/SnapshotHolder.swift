import Foundation
import UpshiftPostgres

/// The replication connections that keep a run's exported snapshots alive between `snapshot` and `subscribe`
/// (a snapshot lives as long as the session that exported it runs no other command). They live in this agent
/// process only: an agent restart loses them, and the steps that need them fail rather than copy at another point.
final class SnapshotHolder: @unchecked Sendable {
    /// The agent's one holder.
    static let shared = SnapshotHolder()

    private let lock = NSLock()
    private var held: [String: PostgresConnection] = [:]

    private func key(_ run: String, _ database: String) -> String { "\(run)/\(database)" }

    /// Keeps `connection` open for `database` of `run`, closing one held before.
    func hold(_ connection: PostgresConnection, run: String, database: String) {
        let previous = lock.withLock { held.updateValue(connection, forKey: key(run, database)) }
        previous?.close()
    }

    /// Whether `database`'s snapshot of `run` is still held.
    func isHeld(run: String, database: String) -> Bool {
        lock.withLock { held[key(run, database)]?.isOpen ?? false }
    }

    /// Closes every connection held for `run` (the slots stay; only the snapshots end).
    func release(run: String) {
        let connections = lock.withLock {
            let mine = held.filter { $0.key.hasPrefix(run + "/") }
            mine.keys.forEach { held.removeValue(forKey: $0) }
            return Array(mine.values)
        }
        connections.forEach { $0.close() }
    }
}
