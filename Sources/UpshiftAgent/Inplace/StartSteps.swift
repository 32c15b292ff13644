import Foundation
import UpshiftWire
import UpshiftPostgres

extension InplaceContext {
    /// `start-primary` (the point of no return in link mode): the new primary starts, fenced read-only until `verify`.
    func startPrimary() throws {
        stopSyncSender()
        let pgdata = try newPgdata
        if plan.options.verify != .fenced, pointOfNoReturn.crossedAt == nil,
           !FileManager.default.fileExists(atPath: pgdata + "/postmaster.pid") {
            // Until the new primary starts, the files are pg_upgrade's work alone: prove it carried them all.
            let relations = try fact("relation list", on: host.name, \.relationFiles)
            let coverage = try StructuralProof.check(relations, oldPgdata: host.pgdata, newPgdata: pgdata,
                                                     mode: plan.options.transfer, newMajor: try versions.to.version)
            output(.structuralProof(proof: coverage))
            log("structural proof: all \(coverage.relations) relations of the old catalog carried (\(coverage.files) files, "
                + "\(coverage.bytes) bytes, \(coverage.match?.described ?? "checked"))")
        }
        try appendLines(["default_transaction_read_only = on  # upshift: lifted by the verify step"], to: pgdata + "/postgresql.auto.conf")
        if sharesFilesWithTheOldCluster {
            try pointOfNoReturn.cross(emit: emit)
            log("point of no return: the new primary may start on the files the old cluster's data now lives in")
        }
        try start(try newBinaries, pgdata: pgdata, logName: "new-primary")
        let connection = try connectNew()
        defer { connection.close() }
        let version = try connection.query("select current_setting('server_version'), pg_is_in_recovery()").rows[0]
        guard version[1] == "f" else { throw AgentError("the new primary came up in recovery") }
        try carryReplicationSlots()
        log("PostgreSQL \(version[0] ?? "?") is up on \(host.name), read-only until verify")
    }

    /// `start-standbys`: the synced new data directory becomes a standby of the new primary, with this host's
    /// own port and addresses; waits until it streams.
    func startStandby() throws {
        let pgdata = try newPgdata
        let primary = try self.primary
        let saved = try savedStandbySettings()
        let superuser = installUser(on: primary.name)
        let conninfo = Conninfo.make(["host": primary.agentHost, "port": String(primary.port), "user": superuser,
                                      "application_name": host.name])
        var lines = ["# upshift: this host's own settings as a standby of \(primary.name)"]
        lines.append("port = \(host.port)")
        for name in ["listen_addresses", "unix_socket_directories", "hot_standby", "cluster_name"] {
            if let value = saved[name] { lines.append("\(name) = '\(value.replacingOccurrences(of: "'", with: "''"))'") }
        }
        lines.append("primary_conninfo = '\(conninfo.replacingOccurrences(of: "'", with: "''"))'")
        // start-primary made this standby's slot on the new primary before any standby started.
        if let slot = saved["primary_slot_name"], !slot.isEmpty {
            lines.append("primary_slot_name = '\(slot.replacingOccurrences(of: "'", with: "''"))'")
        }
        lines.append("default_transaction_read_only = off")
        if plan.options.verify == .online {
            // The new side's reference: no commit is applied here until verify-standbys has compared this
            // standby, so its tables stay as the new primary had them when writes resumed (WAL still streams in).
            lines.append("recovery_min_apply_delay = '\(Self.onlineHold)'  # upshift: lifted by verify-standbys")
        }
        // The primary's auto.conf came along with the sync; its fence line must not stay on the standby.
        let auto = pgdata + "/postgresql.auto.conf"
        let kept = ((try? String(contentsOfFile: auto, encoding: .utf8)) ?? "").split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("default_transaction_read_only") }
        try (kept.joined(separator: "\n") + "\n").write(toFile: auto, atomically: true, encoding: .utf8)
        try appendLines(lines, to: auto)
        _ = FileManager.default.createFile(atPath: pgdata + "/standby.signal", contents: nil)
        try start(try newBinaries, pgdata: pgdata, logName: "new-standby")
        let connection = try connectNew()
        defer { connection.close() }
        try wait(upTo: 120, for: "\(host.name) to stream from \(primary.name)") {
            try connection.query("select status from pg_stat_wal_receiver").rows.first?.first == "streaming"
        }
        log("streaming from \(primary.name)")
        if plan.options.standbys == .rsync, plan.options.verify == .fenced {
            // verify-standbys compares this host with the old primary's checksums while the new primary
            // already takes writes again: hold replay at the fenced primary's state until then.
            let lsn = try replayThroughFencedPrimary(connection)
            try pauseReplay(connection)
            log("replay paused at \(lsn), the fenced primary's state, until verify-standbys")
        }
    }

    /// Waits until this standby has replayed everything the (still fenced) new primary has written.
    private func replayThroughFencedPrimary(_ standby: PostgresConnection) throws -> String {
        let primary = try self.primary
        let primaryConnection = try PostgresConnection(conninfo: Conninfo.make(["host": primary.agentHost, "port": String(primary.port), "dbname": "postgres"]))
        // The write position can sit past the last record (a page boundary) until the next record comes, which
        // may be 15 s away: switching segments ends the WAL with a record the standby replays up to that point.
        let lsn = try primaryConnection.query("select pg_switch_wal()::text").rows[0][0] ?? "0/0"
        primaryConnection.close()
        try wait(upTo: 120, for: "\(host.name) to replay up to \(lsn)") {
            try standby.query("select pg_wal_lsn_diff(pg_last_wal_replay_lsn(), $1::pg_lsn) >= 0", [lsn]).rows.first?.first == "t"
        }
        return lsn
    }

    private func pauseReplay(_ standby: PostgresConnection) throws {
        _ = try standby.query("select pg_wal_replay_pause()")
        try wait(upTo: 60, for: "\(host.name) to pause replay") {
            try standby.query("select pg_get_wal_replay_pause_state()").rows.first?.first == "paused"
        }
    }

    /// `verify` (the primary): its tables against the old primary's checksums (under `verify: structural`, its
    /// catalog against the old relation list), then the write fence is lifted.
    func verify() throws {
        let primary = try self.primary
        guard host.name == primary.name else { return try verifyStandby() }
        switch plan.options.verify {
        case .fenced:
            let expected = try fact("table checksums", on: primary.name, \.tableChecksums)
            let found = try takeChecksums(connect: { try connectNew(database: $0) }, includeUnlogged: true, following: expected)
            try compare(found, with: expected)
        case .structural, .online:
            let relations = try fact("relation list", on: primary.name, \.relationFiles)
            let missing = try StructuralProof.missing(relations, connect: { try connectNew(database: $0) })
            guard missing.isEmpty else {
                throw AgentError("the new catalog lacks \(missing.count) relations of the old one: " + missing.prefix(10).joined(separator: ", "))
            }
            output(.structuralProof(proof: StructuralProofResult(stage: .catalog, relations: relations.count)))
            log("the new catalog names all \(relations.count) relations of the old one (structural proof; row contents not compared)")
        }
        let connection = try connectNew()
        defer { connection.close() }
        try WriteFence.lift(connection)
        log("writes accepted on \(host.name)")
    }

    /// How long `verify: online` holds an upgraded standby's commits at most (lifted as soon as it is compared).
    static let onlineHold = "7d"

    /// `checksum-keep-old` (`verify: online`): the keep_old standby, detached at the old primary's shutdown
    /// checkpoint and unchanged since, gives the old side's table checksums after writes resumed on the new primary.
    func checksumKeepOld() throws {
        let checkpoint = try fact("shutdown checkpoint", on: try primary.name, \.shutdownCheckpoint)
        let old = try connectOld()
        defer { old.close() }
        guard try old.query("select pg_is_in_recovery()").rows.first?.first == "t", try replayed(past: checkpoint, on: old) else {
            throw AgentError("\(host.name) is no longer the old primary's state at checkpoint \(checkpoint) (promoted or behind): "
                             + "it cannot be the old side of the comparison")
        }
        let checksums = try takeChecksums(connect: { try connectOld(database: $0) }, includeUnlogged: false)
        output(.tableChecksums(checksums: checksums))
        log("\(checksums.tables.count) tables checksummed on \(host.name), the old primary's state at checkpoint \(checkpoint)")
    }

    /// `verify-standbys`: this standby, held at the new primary's state when its writes resumed, against the old
    /// side's checksums (the old primary's under `verify: fenced`, the keep_old standby's under `online`); then
    /// replay goes on.
    func verifyStandby() throws {
        let online = plan.options.verify == .online
        let reference = online ? try keptOldReference.name : try primary.name
        let expected = try fact("table checksums", on: reference, \.tableChecksums)
        let standby = try connectNew()
        defer { standby.close() }
        let release = {
            if online {
                _ = try standby.simpleQuery("alter system reset recovery_min_apply_delay")
                _ = try standby.simpleQuery("select pg_reload_conf()")
            } else {
                _ = try standby.query("select pg_wal_replay_resume()")
            }
        }
        // Run again after an agent restart: the comparison had already passed, only replay was left to resume.
        let verified = try workDirectory() + "/verify-standbys.passed"
        if FileManager.default.fileExists(atPath: verified) {
            try release()
            log("already compared before the agent restarted; replay resumed")
            return
        }
        if !online, try standby.query("select pg_get_wal_replay_pause_state()").rows.first?.first != "paused" {
            // Not held (a standby started by an older agent): catch up and hold now, which is exact only
            // while the primary is still fenced.
            log("replay was not held; catching up with the primary and holding it now", level: "warning")
            _ = try replayThroughFencedPrimary(standby)
            try pauseReplay(standby)
        }
        defer { try? release() }
        let found = try takeChecksums(connect: { try connectNew(database: $0) }, includeUnlogged: false, following: expected)
        // Unlogged tables are not replicated: a standby holds none of their rows by design. Every other table
        // of the old primary must be here (a missing one is a difference).
        let unlogged = try TableChecksums.unloggedTables(connect: { try connectNew(database: $0) })
        var old = expected
        old.tables = old.tables.filter { !unlogged.contains($0.key) }
        try compare(found, with: old, reference: online ? "the keep_old standby \(reference)" : "the old primary")
        _ = FileManager.default.createFile(atPath: verified, contents: nil, attributes: [.posixPermissions: 0o600])
        try release()
        log("replay resumed")
    }

    /// `statistics`: planner statistics for the new cluster (18 keeps pg_upgrade's and fills in only what is
    /// missing), then the extension updates pg_upgrade asked for.
    func statistics() throws {
        let cluster = try LocalCluster.running(pgdata: try newPgdata)
        let target = ConnectionTarget(host: cluster.socketDirectory ?? cluster.listenAddress ?? "127.0.0.1", port: cluster.port,
                                      user: installUser(on: host.name), database: nil)
        let binaries = try newBinaries
        let major = try versions.to.version
        let invocation = major >= 18 ? VacuumDB.analyzeMissing(binaries, target: target, jobs: plan.options.jobs)
                                     : VacuumDB.analyzeInStages(binaries, target: target, jobs: plan.options.jobs)
        try run(invocation) { line in
            guard line.isComplete, let stage = VacuumDB.stage(of: line.text) else { return }
            emit(.progress(done: Double(stage.stage), total: 3, unit: "stages (\(stage.database))"))
        }
        let script = try workDirectory() + "/pg_upgrade/update_extensions.sql"
        if FileManager.default.fileExists(atPath: script) {
            try run(ProgramInvocation(binaries.path("psql"), target.clientArguments + ["-X", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-f", script]))
            log("ran pg_upgrade's update_extensions.sql")
        }
    }
}
