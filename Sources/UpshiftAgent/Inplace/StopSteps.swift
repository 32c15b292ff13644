import Foundation
import UpshiftPostgres
import UpshiftWire

extension InplaceContext {
    /// `stop-primary`: fence writes, take what verify proves against (the tables' checksums, or under
    /// `verify: structural` the relation list), stop cleanly; reports the shutdown checkpoint.
    func stopPrimary() throws {
        let old = try connectOld()
        defer { old.close() }
        let replication: ReplicationShape, reference: StepOutput, audit: FenceAudit
        do {
            try oldFence.raise(old)
            replication = try ReplicationShape.read(connect: { try connectOld(database: $0) })
            switch plan.options.verify {
            case .fenced:
                reference = .tableChecksums(checksums: try takeChecksums(connect: { try connectOld(database: $0) }, includeUnlogged: true))
            case .structural, .online:
                let relations = try StructuralProof.relations(connect: { try connectOld(database: $0) })
                log("\(relations.count) relations listed for the structural proof")
                reference = .relationFiles(relations: relations)
            }
            audit = try FenceAudit.begin(old)
        } catch {
            try? WriteFence.clearFromConfig(old)
            throw error
        }
        try WriteFence.clearFromConfig(old)
        let control = try stopCleanly(try oldBinaries, pgdata: host.pgdata)
        try audit.check(control)
        output(reference)
        output(.shutdownCheckpoint(lsn: control.latestCheckpointLocation))
        output(.replication(moment: .before, shape: replication))
        log("stopped at checkpoint \(control.latestCheckpointLocation)")
    }

    /// `detach-keep-old`: the rollback standby stops following the primary once it has everything the
    /// primary wrote before it stopped, and stays up, read-only, on the old version.
    func detachKeepOld() throws {
        let checkpoint = try fact("shutdown checkpoint", on: try primary.name, \.shutdownCheckpoint)
        let old = try connectOld()
        defer { old.close() }
        try wait(upTo: 120, for: "\(host.name) to replay the primary's shutdown checkpoint \(checkpoint)") {
            try replayed(past: checkpoint, on: old)
        }
        if let slot = try old.query("select current_setting('primary_slot_name')").rows.first?[0] ?? nil, !slot.isEmpty {
            output(.standbySlot(name: slot))
        }
        _ = try old.simpleQuery("alter system set primary_conninfo = ''")
        _ = try old.simpleQuery("select pg_reload_conf()")
        log("detached at \(checkpoint); \(host.name) stays on PostgreSQL \(try versions.from.version) as the rollback target")
    }

    /// `stop-standbys`: wait until the standby has replayed the primary's shutdown checkpoint, save its own
    /// settings (the rsync brings the primary's configuration), stop it, and check the checkpoints match.
    func stopStandby() throws {
        let checkpoint = try fact("shutdown checkpoint", on: try primary.name, \.shutdownCheckpoint)
        let old = try connectOld()
        try wait(upTo: 120, every: 0.01, for: "\(host.name) to replay the primary's shutdown checkpoint \(checkpoint)") {
            try replayed(past: checkpoint, on: old)
        }
        let own = try old.query("""
            select name, current_setting(name) from pg_settings
            where name in ('port', 'listen_addresses', 'unix_socket_directories', 'primary_conninfo', 'primary_slot_name',
                           'hot_standby', 'cluster_name')
            """).rows.compactMap { row in row[0].flatMap { name in row[1].map { (name, $0) } } }
        old.close()
        let saved = Dictionary(uniqueKeysWithValues: own)
        if let slot = saved["primary_slot_name"], !slot.isEmpty { output(.standbySlot(name: slot)) }
        try JSONEncoder().encode(saved).write(to: URL(fileURLWithPath: try workDirectory() + "/standby-settings.json"))
        let control = try stopCleanly(try oldBinaries, pgdata: host.pgdata)
        guard control.latestCheckpointLocation == checkpoint else {
            throw AgentError("\(host.name) stopped at checkpoint \(control.latestCheckpointLocation), the primary at \(checkpoint): it is not caught up, so it cannot be synced")
        }
        log("stopped at the primary's checkpoint \(checkpoint)")
    }

    /// True once the standby's replay is past `lsn` (the checkpoint record itself replayed).
    func replayed(past lsn: String, on connection: PostgresConnection) throws -> Bool {
        let result = try connection.query("select pg_wal_lsn_diff(pg_last_wal_replay_lsn(), $1::pg_lsn) > 0", [lsn])
        return result.rows.first?.first == "t"
    }

    /// The standby's own settings saved by `stop-standbys`.
    func savedStandbySettings() throws -> [String: String] {
        let path = try workDirectory() + "/standby-settings.json"
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        return try JSONDecoder().decode([String: String].self, from: data)
    }
}
