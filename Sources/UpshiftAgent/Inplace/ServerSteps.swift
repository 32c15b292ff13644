import Foundation
import UpshiftPostgres

/// Starting, stopping and fencing servers, as the in-place steps need them.
extension InplaceContext {
    /// Stops the cluster at `pgdata` (fast mode) and returns its control data, which must say it shut down cleanly.
    func stopCleanly(_ binaries: PostgresBinaries, pgdata: String) throws -> ControlData {
        if case .running = try PgCtl.parseStatus(launcher.run(PgCtl(binaries, pgdata: pgdata).status())) {
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
        do {
            try run(PgCtl(binaries, pgdata: pgdata).start(logFile: log, timeoutSeconds: 300))
        } catch {
            // pg_ctl only says to look at the log: bring its last lines into the error the report shows.
            let lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").suffix(4)
            throw AgentError("\(error)" + (lines.isEmpty ? "" : "; server log: " + lines.joined(separator: " | ")))
        }
    }

    /// Makes new sessions read-only, holds autovacuum off (its ANALYZE takes transaction ids, which the fence
    /// audit counts) and ends the other client sessions, so nothing writes while we look.
    ///
    /// The settings go into postgresql.auto.conf and are reloaded; every process re-reads the files when it
    /// handles the reload, so they are reset in the file only once new sessions start with them (the
    /// postmaster has applied them). They then hold until the server stops or `liftFence` reloads, and a
    /// restart after a rollback comes up writable.
    func fenceWrites(_ connection: PostgresConnection) throws {
        _ = try connection.simpleQuery("alter system set default_transaction_read_only = on")
        _ = try connection.simpleQuery("alter system set autovacuum = off")
        _ = try connection.simpleQuery("select pg_reload_conf()")
        defer {
            _ = try? connection.simpleQuery("alter system reset default_transaction_read_only")
            _ = try? connection.simpleQuery("alter system reset autovacuum")
        }
        try wait(upTo: 60, for: "the write fence to reach new sessions") {
            let probe = try connectOld()
            defer { probe.close() }
            return try probe.query("select current_setting('default_transaction_read_only') || current_setting('autovacuum')").rows.first?.first == "onoff"
        }
        // The autovacuum launcher handles the reload on its own; give it a moment before the file is reset.
        Thread.sleep(forTimeInterval: 0.3)
        _ = try connection.simpleQuery("""
            select pg_terminate_backend(pid) from pg_stat_activity
            where backend_type in ('client backend', 'autovacuum worker') and pid <> pg_backend_pid()
            """)
        // A worker the launcher started just before it stopped is ended too.
        var quiet = 0
        try wait(upTo: 30, for: "autovacuum workers to stop") {
            let workers = try connection.query("""
                select count(pg_terminate_backend(pid)) from pg_stat_activity where backend_type = 'autovacuum worker'
                """).rows.first?.first ?? "0"
            quiet = workers == "0" ? quiet + 1 : 0
            return quiet >= 3
        }
    }

    /// Lifts a fence set by `fenceWrites` or by a read-only auto.conf line: writes are accepted again.
    func liftFence(_ connection: PostgresConnection) throws {
        _ = try connection.simpleQuery("alter system reset default_transaction_read_only")
        _ = try connection.simpleQuery("select pg_reload_conf()")
    }

    /// Polls `condition` every 100 ms until it holds or `seconds` pass.
    func wait(upTo seconds: Double, for what: String, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            try control.checkStopped()
            if try condition() { return }
            if Date() > deadline { throw AgentError("timed out after \(Int(seconds)) s waiting for \(what)") }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }
}
