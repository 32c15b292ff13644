import Foundation
import UpshiftPostgres

extension InplaceContext {
    /// `basebackup-standbys`: rebuild this standby's new data directory from the new primary.
    func basebackupStandby() throws {
        let pgdata = try newPgdata
        if let contents = try? FileManager.default.contentsOfDirectory(atPath: pgdata), !contents.isEmpty {
            throw AgentError("\(pgdata) already exists and is not empty: move it away (the standby is rebuilt there)")
        }
        let primary = try self.primary
        let superuser = installUser(on: primary.name)
        let source = ConnectionTarget(host: primary.agentHost, port: primary.port, user: superuser)
        let options = BasebackupOptions(source: source, pgdata: pgdata)
        try run(options.invocation(try newBinaries)) { line in
            if let progress = BasebackupOptions.progress(of: line.text) {
                emit(.progress(done: Double(progress.doneKB), total: Double(progress.totalKB), unit: "kB"))
            }
        }
        log("rebuilt \(pgdata) from \(primary.name) with pg_basebackup")
        // The primary was verified table by table; this proves the standby is an intact copy of it.
        _ = try run(options.verification(try newBinaries))
        log("pg_verifybackup: every file matches the backup manifest's checksums and the WAL it needs is there")
    }
}
