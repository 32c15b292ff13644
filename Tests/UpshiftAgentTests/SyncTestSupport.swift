import Foundation
import Glibc
import UpshiftPostgres
import UpshiftTestSupport

/// A server on a data directory the test made itself (a standby from pg_basebackup, a pg_upgrade result),
/// run as postgres on its own port and socket directory; stopped at once if the test forgets.
final class SyncTestServer {
    let binaries: PostgresBinaries
    let pgdata: String
    let socketDir: String
    let logFile: String
    let port: Int
    private(set) var isRunning = false

    init(bindir: String, pgdata: String, socketDir: String, logFile: String) throws {
        binaries = PostgresBinaries(bindir: bindir)
        self.pgdata = pgdata
        self.socketDir = socketDir
        self.logFile = logFile
        port = try freePort()
    }

    deinit {
        if isRunning { _ = try? postgresLauncher.run(PgCtl(binaries, pgdata: pgdata).stop(mode: .immediate)) }
    }

    var conninfo: String { "host=\(socketDir) port=\(port) user=postgres dbname=postgres" }

    func start() throws {
        let options = ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=\(socketDir)",
                       "-c", "port=\(port)", "-c", "fsync=off"]
        let result = try postgresLauncher.run(PgCtl(binaries, pgdata: pgdata).start(logFile: logFile, serverOptions: options))
        guard result.succeeded else {
            let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
            throw TestSetupError("\(pgdata) did not start: \(log.split(separator: "\n").suffix(5).joined(separator: " | "))")
        }
        isRunning = true
    }

    func stop() throws {
        try postgresLauncher.run(PgCtl(binaries, pgdata: pgdata).stop(mode: .fast)).requireSuccess()
        isRunning = false
    }

    /// The first column of the first row of `sql`'s result.
    func value(_ sql: String) throws -> String? {
        let connection = try PostgresConnection(conninfo: conninfo)
        defer { connection.close() }
        return try connection.simpleQuery(sql).rows.first?.first ?? nil
    }
}

/// Polls `condition` every 100 ms until it holds; throws with `what` after `seconds`.
func waitUntil(_ what: String, seconds: Double = 30, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if (try? condition()) == true { return }
        usleep(100_000)
    }
    throw TestSetupError("timed out after \(seconds) s waiting for \(what)")
}

/// stat(2) of a path (not following a last symlink).
func fileStatus(_ path: String) -> stat? {
    var info = stat()
    return lstat(path, &info) == 0 ? info : nil
}

/// Every entry below `root` (relative paths), skipping the contents of the relative folders in `skipping`.
func entries(under root: String, skipping: Set<String> = []) -> [String] {
    guard let names = try? FileManager.default.subpathsOfDirectory(atPath: root) else { return [] }
    return names.filter { name in !skipping.contains { name.hasPrefix($0 + "/") } }.sorted()
}

/// The sets of names (relative to `root`, inside the given top-level folders) that are one file: hard links.
func hardLinkGroups(under root: String, within folders: [String]) -> [[String]] {
    var byInode: [UInt: [String]] = [:]
    for folder in folders {
        for name in entries(under: "\(root)/\(folder)") {
            let path = "\(folder)/\(name)"
            if let info = fileStatus("\(root)/\(path)"), info.st_mode & S_IFMT == S_IFREG, info.st_nlink >= 2 {
                byInode[UInt(info.st_ino), default: []].append(path)
            }
        }
    }
    return byInode.values.filter { $0.count >= 2 }.map { $0.sorted() }
}

/// Writes small files (relative path → contents) below `root`, all owned by postgres.
func writeFiles(_ files: [String: String], under root: String) throws {
    for (name, contents) in files {
        let path = "\(root)/\(name)"
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
    }
    if geteuid() == 0 { try ProgramRunner.run("chown", ["-R", "postgres:postgres", root]).requireSuccess() }
}
