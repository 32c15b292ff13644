import Foundation
import UpshiftPostgres
import UpshiftWire

extension InplaceContext {
    /// `preflight`: the binaries are the versions the plan names and the old cluster answers.
    func preflight() throws {
        var failed: [String] = []
        func report(_ check: CheckResult) {
            emit(.check(check))
            if check.verdict == .fail { failed.append(check.name) }
        }
        let versions = try self.versions
        var wanted = [("old-bindir", versions.from)]
        if host.isUpgraded { wanted.append(("new-bindir", versions.to)) }
        for (name, install) in wanted {
            if let found = try? PostgresBinaries(bindir: install.bindir).version(launcher: launcher) {
                report(CheckResult(name: name, verdict: found.major == install.version ? .pass : .fail, detail: "\(install.bindir): \(found.full)",
                                   remedy: found.major == install.version ? nil : "point the plan at a PostgreSQL \(install.version) bindir"))
            } else {
                report(CheckResult(name: name, verdict: .fail, detail: "\(install.bindir): no working postgres", remedy: "install PostgreSQL \(install.version) there"))
            }
        }
        do {
            let old = try connectOld()
            let version = try old.query("select current_setting('server_version')").rows[0][0] ?? "?"
            old.close()
            report(CheckResult(name: "old-cluster-running", verdict: .pass, detail: "\(host.pgdata): PostgreSQL \(version)"))
        } catch {
            report(CheckResult(name: "old-cluster-running", verdict: .fail, detail: "\(error)", remedy: "start the old cluster"))
        }
        if !failed.isEmpty { throw AgentError("preflight failed: \(failed.joined(separator: ", "))") }
    }

    func serveSync() throws {}
    func syncStandby() throws { throw AgentError("sync-standbys is not built yet") }
    func stopSyncSender() {}
}
