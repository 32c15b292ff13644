import Foundation
import UpshiftPlan
import UpshiftPostgres

/// What a held snapshot is for.
enum HeldSnapshot: Hashable {
    /// The exported snapshot of `database`'s slot, which the copy reads at (a replication connection holds it from
    /// `snapshot` to `subscribe`).
    case copy(database: String)
    /// One side's snapshot of `database` taken by `cutover` once both sides hold the same rows, which `verify`
    /// compares after writes moved to the target (`verify: online`).
    case atSwitch(side: ClusterSide, database: String)
}

/// The sessions that keep a run's exported snapshots alive (a snapshot lives as long as the transaction, or the
/// replication session, that exported it). They live in this agent process only: an agent restart loses them, and
/// the steps that need them fail rather than read at another point.
final class SnapshotHolder: @unchecked Sendable {
    /// The agent's one holder.
    static let shared = SnapshotHolder()

    private let lock = NSLock()
    private var held: [String: [HeldSnapshot: (connection: PostgresConnection, id: String?)]] = [:]

    /// Keeps `connection` open as `run`'s `what` (exported as `id`, when the holder is asked for it), closing one held before.
    func hold(_ connection: PostgresConnection, id: String? = nil, run: String, _ what: HeldSnapshot) {
        let previous = lock.withLock { held[run, default: [:]].updateValue((connection, id), forKey: what) }
        previous?.connection.close()
    }

    /// Whether `run`'s `what` is still held.
    func isHeld(run: String, _ what: HeldSnapshot) -> Bool {
        lock.withLock { held[run]?[what]?.connection.isOpen ?? false }
    }

    /// The snapshot id of `run`'s `what` while it is held.
    func id(run: String, _ what: HeldSnapshot) -> String? {
        lock.withLock { held[run]?[what].flatMap { $0.connection.isOpen ? $0.id : nil } }
    }

    /// Closes the sessions held for `run` that `matching` picks (every one by default; slots stay, only snapshots end).
    func release(run: String, matching: (HeldSnapshot) -> Bool = { _ in true }) {
        let connections = lock.withLock { () -> [PostgresConnection] in
            let mine = (held[run] ?? [:]).filter { matching($0.key) }
            mine.keys.forEach { held[run]?.removeValue(forKey: $0) }
            if held[run]?.isEmpty == true { held[run] = nil }
            return mine.values.map(\.connection)
        }
        connections.forEach { $0.close() }
    }
}
