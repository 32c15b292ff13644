import Foundation
import UpshiftPlan
import UpshiftPostgres
import UpshiftWire

/// `new-pgdata` and `disk`: where the new cluster will be made.
struct StorageChecks {
    let plan: Plan
    let host: PlanHost
    let newPgdata: String
    let launcher: ProgramLauncher

    /// Whether the new data directory is filled by hard links to the old one's files (pg_upgrade
    /// --link/--clone/--swap on the primary, the rsync hard-link sync on a standby).
    var linksOldFiles: Bool {
        host.role == .primary ? plan.options.transfer != .copy : plan.options.standbys == .rsync
    }

    /// The mode named in details: `link`, `copy`, `rsync`, `basebackup`, ….
    var modeName: String {
        host.role == .primary ? plan.options.transfer.rawValue : plan.options.standbys.rawValue
    }

    /// `new-pgdata`: new_pgdata does not exist or is empty, the directory initdb writes in is writable by the
    /// servers' OS user, and (linking modes) it is on the old cluster's filesystem.
    func newPgdataCheck() -> CheckResult {
        let name = "new-pgdata"
        let remedy = "point new_pgdata of \(host.name) at an empty or missing directory the servers' OS user can create"
        return CheckResult.guarded(name, remedy: remedy) {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: newPgdata, isDirectory: &isDirectory)
            if exists {
                guard isDirectory.boolValue else { return .fail(name, "\(newPgdata) is a file", remedy: remedy) }
                let entries = try FileManager.default.contentsOfDirectory(atPath: newPgdata)
                guard entries.isEmpty else {
                    return .fail(name, "\(newPgdata) already holds \(entries.count) entries (\(listed(entries.sorted(), limit: 3)))",
                                 remedy: "empty or remove \(newPgdata) (a previous attempt?) or choose another new_pgdata")
                }
            }
            let place = try nearestExistingDirectory(newPgdata)
            let test = try launcher.run(ProgramInvocation("test", ["-w", place, "-a", "-x", place]))
            guard test.succeeded else {
                return .fail(name, "\(place) is not writable by the servers' OS user", remedy: "chown \(place) to the servers' OS user")
            }
            var detail = exists ? "\(newPgdata) is empty" : "\(newPgdata) does not exist yet"
            detail += "; \(place) is writable"
            if linksOldFiles {
                guard try deviceID(place) == deviceID(host.pgdata) else {
                    return .fail(name, detail + ", but it is not on the filesystem of \(host.pgdata), which \(modeName) needs",
                                 remedy: "put new_pgdata on the old cluster's filesystem, or use transfer: copy")
                }
                detail += " and on the filesystem of \(host.pgdata) (\(modeName))"
            }
            return .pass(name, detail)
        }
    }

    /// `disk`: free space on new_pgdata's filesystem against what the mode writes there: the catalogs and
    /// WAL when files are linked, the whole cluster when they are copied.
    func diskCheck(old: OldCluster) -> CheckResult {
        let name = "disk"
        let remedy = "free space on the filesystem of \(newPgdata) or choose a larger one"
        return CheckResult.guarded(name, remedy: remedy) {
            let walMargin = Int64(try old.value("select pg_size_bytes(current_setting('max_wal_size'))") ?? "") ?? 0
            let data: Int64
            let what: String
            if linksOldFiles {
                data = try catalogBytes(old)
                what = "catalogs \(sizeText(data))"
            } else {
                data = Int64(try old.value("select sum(pg_database_size(oid))::bigint from pg_database") ?? "") ?? 0
                what = "databases \(sizeText(data))"
            }
            let needed = data + walMargin
            let place = try nearestExistingDirectory(newPgdata)
            let free = try freeBytes(place)
            let detail = "\(modeName) needs ~\(sizeText(needed)) (\(what) + WAL margin \(sizeText(walMargin)) = max_wal_size); \(sizeText(free)) free at \(place)"
            return free >= needed ? .pass(name, detail) : .fail(name, detail, remedy: remedy)
        }
    }

    /// The system catalogs of every database (shared ones once); databases that refuse connections
    /// (template0) are counted whole, which for them is all catalog.
    private func catalogBytes(_ old: OldCluster) throws -> Int64 {
        let perDatabase = try old.queryEachDatabase("""
            select coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint from pg_class c
            where c.relnamespace = 'pg_catalog'::regnamespace and c.relkind in ('r', 'm') and not c.relisshared
            """)
        let local = perDatabase.reduce(Int64(0)) { $0 + (Int64($1.rows.first?.first.flatMap { $0 } ?? "") ?? 0) }
        let shared = Int64(try old.value("""
            select coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint from pg_class c
            where c.relnamespace = 'pg_catalog'::regnamespace and c.relkind = 'r' and c.relisshared
            """) ?? "") ?? 0
        let closed = Int64(try old.value(
            "select coalesce(sum(pg_database_size(oid)), 0)::bigint from pg_database where not datallowconn") ?? "") ?? 0
        return local + shared + closed
    }
}

/// `path` itself when it exists, else its closest existing parent (initdb creates the missing ones).
func nearestExistingDirectory(_ path: String) throws -> String {
    var current = URL(fileURLWithPath: path).standardizedFileURL
    while true {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: current.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw AgentError("\(current.path) is a file, not a directory") }
            return current.path
        }
        guard current.path != "/" else { throw AgentError("no directory of \(path) exists") }
        current.deleteLastPathComponent()
    }
}

private func deviceID(_ path: String) throws -> UInt {
    var info = stat()
    guard stat(path, &info) == 0 else { throw AgentError("stat \(path): \(String(cString: strerror(errno)))") }
    return UInt(info.st_dev)
}

/// Bytes an unprivileged user may still write there (root's reserve left out).
private func freeBytes(_ path: String) throws -> Int64 {
    var info = statvfs()
    guard statvfs(path, &info) == 0 else { throw AgentError("statvfs \(path): \(String(cString: strerror(errno)))") }
    return Int64(info.f_bavail) * Int64(info.f_frsize)
}
