import Foundation
import UpshiftWire
import Glibc
import UpshiftPostgres

/// Pulls the primary's old and new data directories into this standby's parent directory in ONE rsync
/// transfer, as the docs' line (--archive --delete --hard-links --size-only --no-inc-recursive), so that the
/// new directory's relation files become hard links of the standby's own old files; then each tablespace's
/// two version folders into this standby's location of it.
///
/// Left out of the transfer: the old cluster's pg_wal contents (the standby has its own, and the segments
/// it lacks are never needed again), postmaster.pid and postmaster.opts, and both clusters' pg_tblspc
/// links: the standby keeps its own old links and gets new ones pointing where its old ones point, so a
/// standby whose tablespaces live elsewhere than the primary's (pg_basebackup -T) stays right.
/// Nothing else in either parent folder is touched. Primary and standby must both be stopped.
struct StandbySyncPull {
    /// The primary's rsync daemon.
    let host: String
    /// Its port.
    let port: Int
    /// The one-time secret, passed to rsync in RSYNC_PASSWORD, never in its arguments.
    let secret: String
    /// This host's data directories, named as on the primary.
    let layout: SyncLayout
    /// The primary's tablespaces; this standby's old cluster must link exactly these OIDs.
    let tablespaces: [SyncTablespace]
    /// How rsync is started (as the postgres user).
    let launcher: ProgramLauncher

    /// A pull from `primary` into `destinationParent/oldName` and `destinationParent/newName`.
    init(primary: (host: String, port: Int, secret: String), oldName: String, newName: String,
         destinationParent: String, tablespaces: [SyncTablespace] = [], launcher: ProgramLauncher = .direct) {
        host = primary.host
        port = primary.port
        secret = primary.secret
        layout = SyncLayout(parent: destinationParent, oldName: oldName, newName: newName)
        self.tablespaces = tablespaces
        self.launcher = launcher
    }

    /// The filters of the data directories' transfer, anchored at the parent folder.
    var excludes: [String] {
        // The old pg_wal (a folder or a link to a relocated WAL volume) is neither sent nor touched: each
        // standby keeps its own, which its old cluster needs if the run rolls back.
        ["/\(layout.oldName)/pg_wal", "/\(layout.oldName)/pg_tblspc/*", "/\(layout.newName)/pg_tblspc/*"]
            + [layout.oldName, layout.newName].flatMap { ["/\($0)/postmaster.pid", "/\($0)/postmaster.opts"] }
    }

    /// Runs the transfers, reporting rsync's progress lines (one series per transfer); returns the totals.
    func run(onProgress: (RsyncProgress) -> Void) throws -> RsyncStats {
        let checked = try SyncLayout(oldPgdata: layout.oldPgdata, newPgdata: layout.newPgdata)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: checked.oldPgdata, isDirectory: &isDirectory),
              isDirectory.boolValue else {
            throw SyncError.missingDirectory(checked.oldPgdata, role: "this standby's old data directory")
        }
        try checked.checkNewWALNotRelocated()
        let locations = try localTablespaceLocations()

        var total = try transfer(module: RsyncSender.module, sources: [checked.oldName, checked.newName],
                                 into: checked.parent, excludes: excludes, onProgress: onProgress)
        for tablespace in tablespaces {
            let stats = try transfer(module: tablespace.moduleName, sources: [tablespace.oldSubdir, tablespace.newSubdir],
                                     into: locations[tablespace.oid]!, excludes: [], onProgress: onProgress)
            total.add(stats)
        }
        for (oid, location) in locations { try link(oid: oid, to: location) }
        return total
    }

    /// This standby's location of each tablespace, read from its old cluster's pg_tblspc links.
    private func localTablespaceLocations() throws -> [UInt32: String] {
        let links = try tablespaceLinks(pgdata: layout.oldPgdata)
        let expected = Set(tablespaces.map(\.oid))
        if let extra = links.keys.sorted().first(where: { !expected.contains($0) }) {
            throw SyncError.tablespace(oid: extra, problem: "this standby's \(layout.oldPgdata) links it to "
                + "\(links[extra]!), but the primary sent no such tablespace")
        }
        if let missing = expected.sorted().first(where: { links[$0] == nil }) {
            throw SyncError.tablespace(oid: missing, problem: "the primary has it, but this standby's "
                + "\(layout.oldPgdata)/pg_tblspc has no link for it")
        }
        for (oid, location) in links {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: location, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw SyncError.tablespace(oid: oid, problem: "this standby's location \(location) is not a directory")
            }
        }
        return links
    }

    private func transfer(module: String, sources: [String], into destination: String, excludes: [String],
                          onProgress: (RsyncProgress) -> Void) throws -> RsyncStats {
        let urlHost = host.contains(":") ? "[\(host)]" : host
        let base = "rsync://\(RsyncSender.user)@\(urlHost):\(port)/\(module)/"
        var invocation = RsyncOptions(sources: sources.map { base + $0 }, destination: destination + "/",
                                      excludes: excludes).invocation()
        invocation.arguments.insert("--contimeout=15", at: 0)
        invocation.environment["RSYNC_PASSWORD"] = secret
        let result = try withoutActuallyEscaping(onProgress) { report in
            try launcher.run(invocation) { line in
                if line.isComplete, line.stream == .stdout, let progress = RsyncOutput.progress(of: line.text) {
                    report(progress)
                }
            }
        }
        if result.status == 5, result.stderr.contains("auth failed") {
            throw SyncError.authenticationFailed(host: host, port: port)
        }
        // The daemon serves only modules it wrote; one it calls unknown is hidden from this host by `hosts allow`.
        if result.status == 5, result.stderr.contains("access denied") || result.stderr.contains("Unknown module") {
            throw SyncError.addressRefused(host: host, port: port)
        }
        return try RsyncOutput.stats(in: result.requireSuccess().stdout)
    }

    /// Points the new cluster's pg_tblspc link at this standby's location (replaced atomically).
    private func link(oid: UInt32, to location: String) throws {
        let path = "\(layout.newPgdata)/pg_tblspc/\(oid)"
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) == location { return }
        let temporary = path + ".upshift"
        unlink(temporary)
        guard symlink(location, temporary) == 0, rename(temporary, path) == 0 else {
            throw SyncError.tablespace(oid: oid, problem: "cannot link \(path) to \(location): \(String(cString: strerror(errno)))")
        }
        try matchOwner(of: path, to: layout.newPgdata)
    }
}

extension RsyncStats {
    /// Adds another transfer's counts.
    mutating func add(_ other: RsyncStats) {
        files += other.files
        other.filesByKind.forEach { filesByKind[$0.key, default: 0] += $0.value }
        regularFilesTransferred += other.regularFilesTransferred
        totalFileSize += other.totalFileSize
        transferredFileSize += other.transferredFileSize
    }
}

/// Gives `path` (not following a link) the owner of `reference`: an agent running as root must leave the
/// data directory wholly the server user's.
func matchOwner(of path: String, to reference: String) throws {
    var owner = stat()
    guard geteuid() == 0 else { return }
    guard stat(reference, &owner) == 0, lchown(path, owner.st_uid, owner.st_gid) == 0 else {
        throw AgentError("cannot give \(path) the owner of \(reference): \(String(cString: strerror(errno)))")
    }
}
