/// Why a standby sync could not run; each case names the paths or the address involved.
enum SyncError: Error, CustomStringConvertible, Equatable {
    /// A path is not absolute, or holds a character rsync's config or filters cannot carry.
    case unusablePath(String, reason: String)
    /// The primary's old and new data directories are not in one folder.
    case differentParents(old: String, new: String)
    /// The standby's data directory names differ from the primary's.
    case namesDiffer(primary: String, standby: String)
    /// A data directory (or a tablespace location) is missing.
    case missingDirectory(String, role: String)
    /// pg_wal is a symlink to another volume: the rsync line would copy the link, not the WAL.
    case relocatedWAL(pgdata: String, target: String)
    /// A tablespace on one side is not described, or not laid out as pg_upgrade leaves it.
    case tablespace(oid: UInt32, problem: String)
    /// The one-time secret cannot be written to rsync's secrets file.
    case unusableSecret(reason: String)
    /// `rsync --daemon` exited or did not answer; the last lines of its logs.
    case senderDidNotStart(address: String, port: Int, log: [String])
    /// The primary's daemon refused the secret.
    case authenticationFailed(host: String, port: Int)
    /// The primary's daemon refused this standby's address (`hosts allow` lists the plan's upgraded standbys only).
    case addressRefused(host: String, port: Int)
    /// Processes of the daemon survived SIGTERM and SIGKILL.
    case senderStillRunning(pids: [Int32])

    var description: String {
        switch self {
        case .unusablePath(let path, let reason):
            return "cannot use \(path) for the standby sync: \(reason)"
        case .differentParents(let old, let new):
            return "the old data directory \(old) and the new \(new) are not in the same folder; the rsync standby "
                + "procedure sends both in one transfer so that hard links carry over: make the new one a sibling"
        case .namesDiffer(let primary, let standby):
            return "the standby's data directory \(standby) does not have the primary's name (\(primary)); the rsync "
                + "standby procedure needs the same names under each host's data folder"
        case .missingDirectory(let path, let role):
            return "\(role) \(path) does not exist or is not a directory"
        case .relocatedWAL(let pgdata, let target):
            return "pg_wal of the new cluster \(pgdata) is a symlink to \(target); the rsync standby procedure sends the "
                + "new cluster's WAL with it: keep it inside the data directory until the upgrade is done, or rebuild "
                + "standbys with pg_basebackup (options.standbys: basebackup)"
        case .tablespace(let oid, let problem):
            return "tablespace \(oid): \(problem)"
        case .unusableSecret(let reason):
            return "the one-time rsync secret is unusable: \(reason)"
        case .senderDidNotStart(let address, let port, let log):
            let tail = log.isEmpty ? "" : ": " + log.joined(separator: " | ")
            return "rsync --daemon on \(address):\(port) did not start\(tail)"
        case .authenticationFailed(let host, let port):
            return "the primary's rsync daemon at \(host):\(port) refused the one-time secret (auth failed)"
        case .addressRefused(let host, let port):
            return "the primary's rsync daemon at \(host):\(port) refused this host's address: it serves the "
                + "addresses of the plan's upgraded standbys only; check this host's `agent:` address in the plan"
        case .senderStillRunning(let pids):
            return "rsync daemon processes \(pids.map(String.init).joined(separator: ", ")) did not stop"
        }
    }
}
