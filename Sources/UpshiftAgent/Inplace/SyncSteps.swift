import Foundation
import UpshiftPlan
import UpshiftPostgres
import UpshiftWire

/// The rsync senders this agent serves, by run: they outlive the `pg-upgrade` step that starts them and
/// are stopped by `start-primary` or `rollback`.
private final class SyncSenders: @unchecked Sendable {
    static let shared = SyncSenders()
    private let lock = NSLock()
    private var senders: [String: RsyncSender] = [:]

    /// Keeps `sender` for `run`; past `lifetime` it is stopped whatever happened to the run.
    func keep(_ sender: RsyncSender, for run: String, lifetime: Duration) {
        lock.lock()
        senders[run] = sender
        lock.unlock()
        Timers.after(lifetime) { [weak sender] in
            guard let sender, self.lock.withLock({ self.senders[run] === sender }) else { return }
            self.take(run)?.stop()
        }
    }

    func take(_ run: String) -> RsyncSender? {
        lock.lock()
        defer { lock.unlock() }
        return senders.removeValue(forKey: run)
    }
}

extension InplaceContext {
    private var syncScratch: String { get throws { try workDirectory() + "/sync" } }

    /// After pg_upgrade on the primary: serve the old and new data directories read-only to the standbys,
    /// with the run's one-time secret, and report where.
    func serveSync() throws {
        guard plan.options.standbys == .rsync, plan.hosts.contains(where: { $0.role == .standby && $0.isUpgraded }) else { return }
        let layout = try SyncLayout(oldPgdata: host.pgdata, newPgdata: try newPgdata)
        let tablespaces = try SyncTablespace.discover(in: layout)
        let scratch = try syncScratch
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let standbys = plan.hosts.filter { $0.role == .standby && $0.isUpgraded }.map(\.agentHost)
        let sender = try RsyncSender(layout: layout, tablespaces: tablespaces, address: host.agentHost,
                                     secret: try secrets.syncSecret, scratchDirectory: scratch,
                                     allowedHosts: try ResolvedAddresses.of(standbys), launcher: .direct)
        // It serves until start-primary or a rollback stops it, and never longer than the sync may take.
        SyncSenders.shared.keep(sender, for: request.runID, lifetime: .seconds(plan.options.stepTimeoutS(for: BuiltinStep.syncStandbys.id) + 3600))
        output(.syncEndpoint(port: sender.port, tablespaces: tablespaces))
        log("serving \(layout.oldName) and \(layout.newName) to the standbys on \(host.agentHost):\(sender.port)")
    }

    /// `sync-standbys` on a standby: pull the primary's upgraded directories so the new one is made of hard
    /// links to this standby's own old files (the pg_upgrade documentation's rsync procedure).
    func syncStandby() throws {
        let primary = try self.primary
        guard let primaryNew = primary.newPgdata else { throw AgentError("the primary has no new_pgdata") }
        let primaryLayout = try SyncLayout(oldPgdata: primary.pgdata, newPgdata: primaryNew)
        let layout = try SyncLayout.standby(oldPgdata: host.pgdata, newPgdata: try newPgdata, matching: primaryLayout)
        let (port, tablespaces) = try fact("rsync daemon's address", on: primary.name, \.syncEndpoint)
        let pull = StandbySyncPull(primary: (primary.agentHost, port, try secrets.syncSecret), oldName: layout.oldName,
                                   newName: layout.newName, destinationParent: layout.parent, tablespaces: tablespaces, launcher: launcher)
        let stats = try pull.run { progress in
            if let total = progress.filesTotal, let remaining = progress.filesRemaining {
                emit(.progress(done: Double(total - remaining), total: Double(total), unit: "files checked"))
            }
        }
        log("synced \(stats.files) files: \(stats.regularFilesTransferred) sent (\(stats.transferredFileSize / 1024) kB), the rest hard-linked or unchanged")
    }

    /// Stops this run's rsync sender, including one a previous agent process left running.
    func stopSyncSender() {
        SyncSenders.shared.take(request.runID)?.stop()
        if let scratch = try? syncScratch { _ = try? RsyncSender.stopLeftover(scratchDirectory: scratch) }
    }
}
