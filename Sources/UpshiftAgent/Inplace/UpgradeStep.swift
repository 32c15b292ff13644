import Foundation
import UpshiftPostgres

extension InplaceContext {
    /// `pg-upgrade`: runs pg_upgrade on the primary, its phases streamed as progress.
    func pgUpgrade() throws {
        let versions = try self.versions
        let work = try workDirectory() + "/pg_upgrade"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let superuser = installUser(on: host.name)
        var options = PgUpgradeOptions(oldBindir: versions.from.bindir, newBindir: versions.to.bindir,
                                       oldDatadir: host.pgdata, newDatadir: try newPgdata)
        options.mode = UpshiftPostgres.TransferMode(rawValue: plan.options.transfer.rawValue)
        options.jobs = plan.options.jobs
        options.username = superuser
        let sockets = try shortSocketDirectory()
        defer { try? FileManager.default.removeItem(atPath: sockets) }
        options.socketDir = sockets
        options.oldPort = try freeLoopbackPort()
        options.newPort = try freeLoopbackPort()
        // One syncfs per file system rather than an fsync of every file: in link mode that is every data file,
        // so the flush would otherwise grow with the data inside the write window.
        if versions.to.version >= 17 { options.syncMethod = "syncfs" }
        var phases = 0
        log("pg_upgrade \(options.arguments.joined(separator: " "))")
        let result = try launcher.run(options.invocation(workingDirectory: work)) { line in
            guard line.isComplete, let phase = PgUpgradeOutput.phase(of: line.text) else { return }
            phases += 1
            emit(.progress(done: Double(phases), total: nil, unit: phase.name))
        }
        guard result.succeeded else {
            let why = PgUpgradeOutput.failureLog(in: result.stdout) ?? result.stdout.split(separator: "\n").suffix(8).joined(separator: "\n")
            throw AgentError("pg_upgrade failed (exit \(result.status)): \(why)")
        }
        log("pg_upgrade done in \(result.duration)")
    }
}

/// A TCP port nothing listens on right now (bind to 0 on loopback and read it back).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw AgentError("socket(): \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    guard bound == 0 else { throw AgentError("bind(): \(errno)") }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}
