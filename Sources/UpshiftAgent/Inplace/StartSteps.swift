import Foundation
import UpshiftPostgres

extension InplaceContext {
    /// `start-primary` (the point of no return in link mode): the new primary starts, fenced read-only until `verify`.
    func startPrimary() throws {
        stopSyncSender()
        let pgdata = try newPgdata
        try appendLines(["default_transaction_read_only = on  # upshift: lifted by the verify step"], to: pgdata + "/postgresql.auto.conf")
        try start(try newBinaries, pgdata: pgdata, logName: "new-primary")
        let connection = try connectNew()
        defer { connection.close() }
        let version = try connection.query("select current_setting('server_version'), pg_is_in_recovery()").rows[0]
        guard version[1] == "f" else { throw AgentError("the new primary came up in recovery") }
        log("PostgreSQL \(version[0] ?? "?") is up on \(host.name), read-only until verify")
    }

    /// `start-standbys`: the synced new data directory becomes a standby of the new primary, with this host's
    /// own port and addresses; waits until it streams.
    func startStandby() throws {
        let pgdata = try newPgdata
        let primary = try self.primary
        let saved = try savedStandbySettings()
        let superuser = (try? fact(primary.name, "superuser")) ?? "postgres"
        let conninfo = Conninfo.make(["host": primary.agentHost, "port": String(primary.port), "user": superuser,
                                      "application_name": host.name])
        var lines = ["# upshift: this host's own settings as a standby of \(primary.name)"]
        lines.append("port = \(host.port)")
        for name in ["listen_addresses", "unix_socket_directories", "hot_standby", "cluster_name"] {
            if let value = saved[name] { lines.append("\(name) = '\(value.replacingOccurrences(of: "'", with: "''"))'") }
        }
        lines.append("primary_conninfo = '\(conninfo.replacingOccurrences(of: "'", with: "''"))'")
        lines.append("default_transaction_read_only = off")
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
    }

    /// `verify`: this host's tables against the old primary's checksums; on the primary, lifts the fence after.
    func verify() throws {
        let primary = try self.primary
        let expected = try TableChecksums.decode(try fact(primary.name, "checksums"))
        let isPrimary = host.name == primary.name
        if !isPrimary {
            // Replay must have reached everything the fenced primary holds before comparing.
            let primaryConnection = try PostgresConnection(conninfo: Conninfo.make(["host": primary.agentHost, "port": String(primary.port), "dbname": "postgres"]))
            let lsn = try primaryConnection.query("select pg_current_wal_lsn()::text").rows[0][0] ?? "0/0"
            primaryConnection.close()
            let standby = try connectNew()
            try wait(upTo: 120, for: "\(host.name) to replay up to \(lsn)") {
                try standby.query("select pg_wal_lsn_diff(pg_last_wal_replay_lsn(), $1::pg_lsn) >= 0", [lsn]).rows.first?.first == "t"
            }
            standby.close()
        }
        let found = try TableChecksums.take(connect: { try connectNew(database: $0) }, includeUnlogged: isPrimary, probeSchema: plan.probe.schema)
        var reference = expected
        if !isPrimary {
            // Unlogged tables are not replicated: a standby holds none of their rows by design.
            let logged = Set(found.tables.keys)
            reference.tables = reference.tables.filter { logged.contains($0.key) }
        }
        let differences = found.differences(from: reference)
        for (table, entry) in found.tables.sorted(by: { $0.key < $1.key }) {
            let old = expected.tables[table]
            output("verify.\(table)", "\(old?.rows ?? -1) \(entry.rows) \(old == entry ? "match" : "differ")")
        }
        guard differences.isEmpty else {
            throw AgentError("verify found \(differences.count) tables that differ from the old primary: " + differences.prefix(10).joined(separator: "; "))
        }
        log("\(found.tables.count) tables match the old primary (row counts and content checksums)")
        if isPrimary {
            let connection = try connectNew()
            defer { connection.close() }
            try liftFence(connection)
            log("writes accepted on \(host.name)")
        }
    }

    /// `statistics`: planner statistics for the new cluster (18 keeps pg_upgrade's and fills in only what is
    /// missing), then the extension updates pg_upgrade asked for.
    func statistics() throws {
        let cluster = try LocalCluster.running(pgdata: try newPgdata)
        let target = ConnectionTarget(host: cluster.socketDirectory ?? cluster.listenAddress ?? "127.0.0.1", port: cluster.port,
                                      user: (try? fact(host.name, "superuser")) ?? "postgres", database: nil)
        let binaries = try newBinaries
        let major = try versions.to.version
        var invocation = VacuumDB.analyzeInStages(binaries, target: target, jobs: plan.options.jobs)
        if major >= 18 {
            invocation.arguments = invocation.arguments.filter { $0 != "--analyze-in-stages" } + ["--analyze-only", "--missing-stats-only"]
        }
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
