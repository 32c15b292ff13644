import Foundation
import UpshiftPostgres

/// Starting, stopping and fencing servers, as the in-place steps need them.
extension InplaceContext {
    /// Stops the cluster at `pgdata` (fast mode) and returns its control data, which must say it shut down cleanly.
    func stopCleanly(_ binaries: PostgresBinaries, pgdata: String) throws -> ControlData {
        if let cluster = try? LocalCluster.running(pgdata: pgdata) {
            // Inside the write window: watched every 5 ms, where `pg_ctl stop -w` looks every 100 ms. The
            // postmaster removes its pid file last, once the shutdown checkpoint is written and its children are gone.
            try run(PgCtl(binaries, pgdata: pgdata).signalStop(mode: .fast))
            try wait(upTo: 300, every: 0.005, for: "the server on \(pgdata) to stop") {
                !FileManager.default.fileExists(atPath: pgdata + "/postmaster.pid") || (kill(cluster.pid, 0) != 0 && errno == ESRCH)
            }
        } else if case .running = try PgCtl.parseStatus(launcher.run(PgCtl(binaries, pgdata: pgdata).status())) {
            try run(PgCtl(binaries, pgdata: pgdata).stop(mode: .fast, timeoutSeconds: 300))
        }
        let control = try ControlData.read(binaries, pgdata: pgdata, launcher: launcher)
        guard control.clusterState.hasPrefix("shut down") else {
            throw AgentError("\(pgdata) is '\(control.clusterState)' after stopping, not shut down")
        }
        return control
    }

    /// Starts the cluster at `pgdata` and waits until it accepts connections.
    func start(_ binaries: PostgresBinaries, pgdata: String, logName: String) throws {
        if case .running = try PgCtl.parseStatus(launcher.run(PgCtl(binaries, pgdata: pgdata).status())) { return }
        let log = try workDirectory() + "/\(logName).log"
        var attempt = 1
        while true {
            let logged = (try? FileManager.default.attributesOfItem(atPath: log)[.size] as? Int) ?? 0
            do {
                try run(PgCtl(binaries, pgdata: pgdata).start(logFile: log, timeoutSeconds: 300))
                return
            } catch {
                // pg_ctl only says to look at the log: bring this attempt's last lines into the error the report shows.
                let text = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").utf8.dropFirst(logged)
                let attemptLines = String(decoding: Array(text), as: UTF8.self).split(separator: "\n")
                let lines = attemptLines.suffix(4)
                // The port can be held for a moment by a client's outgoing connection that the system gave the same
                // number (server ports inside the ephemeral range): try again rather than fail past the point of no return.
                if attempt < 10, attemptLines.contains(where: { $0.contains("Address already in use") }) {
                    self.log("port \(host.port) is busy for a moment (address already in use); starting again", level: "warning")
                    attempt += 1
                    try control.checkStopped()
                    Thread.sleep(forTimeInterval: 0.5)
                    continue
                }
                throw AgentError("\(error)" + (lines.isEmpty ? "" : "; server log: " + lines.joined(separator: " | ")))
            }
        }
    }

    /// Makes new sessions read-only, holds autovacuum off (its ANALYZE takes transaction ids, which the fence
    /// audit counts) and ends the other client sessions, so nothing writes while we look.
    ///
    /// The settings go into postgresql.auto.conf and are reloaded; every process re-reads the files when it
    /// handles the reload, so they stay in the file until `clearFenceFromConfig` (just before the server stops,
    /// long after every process has handled the reload) or `liftFence`. A restart after a rollback comes up
    /// writable either way.
    func fenceWrites(_ connection: PostgresConnection) throws {
        _ = try connection.simpleQuery("alter system set default_transaction_read_only = on")
        _ = try connection.simpleQuery("alter system set autovacuum = off")
        _ = try connection.simpleQuery("select pg_reload_conf()")
        try wait(upTo: 60, every: 0.01, for: "the write fence to reach new sessions") {
            let probe = try connectOld()
            defer { probe.close() }
            return try probe.query("select current_setting('default_transaction_read_only') || current_setting('autovacuum')").rows.first?.first == "onoff"
        }
        _ = try connection.simpleQuery("""
            select pg_terminate_backend(pid) from pg_stat_activity
            where backend_type in ('client backend', 'autovacuum worker') and pid <> pg_backend_pid()
            """)
        // A worker the launcher started just before it handled the reload is ended too (and one that slips
        // past this still shows in the fence audit's transaction count).
        var quiet = 0
        try wait(upTo: 30, every: 0.01, for: "autovacuum workers to stop") {
            let workers = try connection.query("""
                select count(pg_terminate_backend(pid)) from pg_stat_activity where backend_type = 'autovacuum worker'
                """).rows.first?.first ?? "0"
            quiet = workers == "0" ? quiet + 1 : 0
            return quiet >= 3
        }
    }

    /// Takes the fence's settings out of postgresql.auto.conf without a reload: the running server stays fenced
    /// until it stops (or `liftFence`), and the stopped cluster starts writable, as it was.
    func clearFenceFromConfig(_ connection: PostgresConnection) throws {
        _ = try connection.simpleQuery("alter system reset default_transaction_read_only")
        _ = try connection.simpleQuery("alter system reset autovacuum")
    }

    /// Lifts a fence set by `fenceWrites` or by a read-only auto.conf line: writes are accepted again.
    func liftFence(_ connection: PostgresConnection) throws {
        _ = try connection.simpleQuery("alter system reset default_transaction_read_only")
        _ = try connection.simpleQuery("alter system reset autovacuum")
        _ = try connection.simpleQuery("select pg_reload_conf()")
    }

    /// Polls `condition` every `interval` seconds until it holds or `seconds` pass.
    func wait(upTo seconds: Double, every interval: Double = 0.1, for what: String, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            try control.checkStopped()
            if try condition() { return }
            if Date() > deadline { throw AgentError("timed out after \(Int(seconds)) s waiting for \(what)") }
            Thread.sleep(forTimeInterval: interval)
        }
    }
}
