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

    /// The old cluster's write fence (`WriteFence`).
    var oldFence: WriteFence { WriteFence(connect: { try connectOld() }, control: control) }

}
