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

    /// Makes new sessions read-only and ends the other client sessions, so nothing writes while we look.
    /// The setting is reset in postgresql.auto.conf at once but not reloaded: it holds until the server stops
    /// or `lift` reloads, and a restart after a rollback comes up writable.
    func fenceWrites(_ connection: PostgresConnection) throws {
        // Autovacuum is held off too (its ANALYZE takes transaction ids, which the fence audit counts).
        _ = try connection.simpleQuery("alter system set default_transaction_read_only = on")
        _ = try connection.simpleQuery("alter system set autovacuum = off")
        _ = try connection.simpleQuery("select pg_reload_conf()")
        _ = try connection.simpleQuery("alter system reset default_transaction_read_only")
        _ = try connection.simpleQuery("alter system reset autovacuum")
        _ = try connection.simpleQuery("""
            select pg_terminate_backend(pid) from pg_stat_activity
            where backend_type in ('client backend', 'autovacuum worker') and pid <> pg_backend_pid()
            """)
        // Sessions that were mid-transaction are gone; the reload reaches the rest within a moment.
        Thread.sleep(forTimeInterval: 0.1)
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
