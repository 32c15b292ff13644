import Foundation
import UpshiftPostgres
import UpshiftWire

extension InplaceContext {
    /// `rollback`: before the point of no return, put this host back on its old cluster, intact and running.
    func rollback() throws {
        if host.role == .primary, let crossedAt = pointOfNoReturn.crossedAt {
            // Tell the coordinator first: the run has not rolled back, whatever else the hosts report.
            emit(.output(.pointOfNoReturn(at: crossedAt)))
            throw AgentError("the new primary on \(host.name) may already have started on the old cluster's files "
                             + "(\(plan.options.transfer.rawValue) mode), so the old cluster is not started again; "
                             + "take the plan's rollback route (a keep_old standby) or fix forward")
        }
        stopSyncSender()
        let oldBinaries = try self.oldBinaries
        if let newPgdata = host.newPgdata, FileManager.default.fileExists(atPath: newPgdata), isOurs(newPgdata) {
            if let cluster = try? LocalCluster.running(pgdata: newPgdata) {
                log("stopping the new cluster (pid \(cluster.pid))")
                _ = try? run(PgCtl(try newBinaries, pgdata: newPgdata).stop(mode: .fast))
            }
            let aside = "\(newPgdata).failed-\(request.runID)"
            try FileManager.default.moveItem(atPath: newPgdata, toPath: aside)
            log("moved the unfinished new cluster aside to \(aside)")
        }
        // A pg_upgrade that was killed may have left the old server running in binary-upgrade mode.
        if let cluster = try? LocalCluster.running(pgdata: host.pgdata),
           let opts = try? String(contentsOfFile: host.pgdata + "/postmaster.opts", encoding: .utf8), opts.contains(" \"-b\"") || opts.contains(" -b ") {
            log("stopping the old server left in binary-upgrade mode (pid \(cluster.pid))")
            try run(PgCtl(oldBinaries, pgdata: host.pgdata).stop(mode: .fast))
        }
        // In link mode pg_upgrade renames pg_control once it starts linking; until the new cluster starts
        // the old one is intact and renaming it back is all it takes (pg_upgrade's own advice).
        let control = host.pgdata + "/global/pg_control"
        if !FileManager.default.fileExists(atPath: control), FileManager.default.fileExists(atPath: control + ".old") {
            try FileManager.default.moveItem(atPath: control + ".old", toPath: control)
            log("restored global/pg_control from pg_control.old")
        }
        if host.keepOld {
            let old = try connectOld()
            defer { old.close() }
            _ = try old.simpleQuery("alter system reset primary_conninfo")
            _ = try old.simpleQuery("select pg_reload_conf()")
            log("re-attached to the old primary")
            return
        }
        if host.role == .standby {
            try restoreStandbyIdentity()
        }
        try start(oldBinaries, pgdata: host.pgdata, logName: "rollback-old")
        let old = try connectOld()
        defer { old.close() }
        if host.role == .primary {
            // stop-primary may have fenced writes on a server that was never stopped.
            try WriteFence.lift(old)
        }
        let state = try old.query("select current_setting('server_version'), pg_is_in_recovery()").rows[0]
        guard (host.role == .primary) == (state[1] == "f") else {
            throw AgentError("the old \(host.role.rawValue) on \(host.name) came back \(state[1] == "t" ? "in recovery" : "writable")")
        }
        log("the old cluster is running again on \(host.name): PostgreSQL \(state[0] ?? "?")")
    }

    /// In link and swap mode the new cluster uses the old one's files: once it may have started, the old
    /// cluster is no longer safe to start.
    var sharesFilesWithTheOldCluster: Bool {
        plan.options.transfer == .link || plan.options.transfer == .swap
    }

    /// Marks a new data directory as made by this run, so a rollback moves aside only what the run made
    /// (the sync and pg_basebackup carry the mark to the standbys).
    func markAsOurs(_ pgdata: String) throws {
        try request.runID.write(toFile: pgdata + "/upshift.run", atomically: true, encoding: .utf8)
    }

    func isOurs(_ pgdata: String) -> Bool {
        (try? String(contentsOfFile: pgdata + "/upshift.run", encoding: .utf8)) == request.runID
    }

    /// A standby whose old data directory was overwritten by the sync gets its own settings and standby.signal back.
    private func restoreStandbyIdentity() throws {
        let signal = host.pgdata + "/standby.signal"
        let saved = try savedStandbySettings()
        guard !FileManager.default.fileExists(atPath: signal) || saved["port"].map({ $0 != String(host.port) }) == true else { return }
        var lines = ["# upshift rollback: this host's own settings as a standby"]
        for name in ["port", "listen_addresses", "unix_socket_directories", "primary_conninfo", "primary_slot_name", "hot_standby", "cluster_name"] {
            if let value = saved[name], !value.isEmpty { lines.append("\(name) = '\(value.replacingOccurrences(of: "'", with: "''"))'") }
        }
        try appendLines(lines, to: host.pgdata + "/postgresql.auto.conf")
        _ = FileManager.default.createFile(atPath: signal, contents: nil)
    }
}
