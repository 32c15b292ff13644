import Foundation
import UpshiftPostgres

/// A throwaway new-version cluster under the agent's scratch directory, for `pg_upgrade --check` and the
/// schema restore. Its files belong to the servers' OS user; it listens on a private socket directory only.
final class ScratchCluster {
    /// `SCRATCH/pf-XXXXXX`, removed by `remove()`.
    let root: String
    let binaries: PostgresBinaries
    let launcher: ProgramLauncher
    /// Its port: only names the socket, since it listens on no TCP address; differs from the old cluster's
    /// because pg_upgrade refuses equal ports for a live check.
    let port: Int
    private(set) var isRunning = false

    var pgdata: String { root + "/data" }
    var socketDirectory: String { root + "/s" }
    /// pg_upgrade's working directory (it writes there).
    var workDirectory: String { root + "/w" }
    var logFile: String { root + "/server.log" }

    /// Makes the directories (not the cluster yet); fails when the socket path would be too long for unix sockets.
    init(in scratchDirectory: String, binaries: PostgresBinaries, oldPort: Int, launcher: ProgramLauncher) throws {
        self.binaries = binaries
        self.launcher = launcher
        port = oldPort == 50432 ? 50433 : 50432
        let made = try launcher.run(ProgramInvocation("mktemp", ["-d", "-p", scratchDirectory, "pf-XXXXXX"]))
        guard made.succeeded else {
            throw AgentError("cannot make a scratch directory in \(scratchDirectory): \(ProgramError(result: made).lastLines.joined(separator: " "))")
        }
        root = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let socketPath = "\(root)/s/.s.PGSQL.\(port)"
        guard socketPath.utf8.count <= 107 else {
            try? FileManager.default.removeItem(atPath: root)
            throw AgentError("scratch directory \(scratchDirectory) is too deep for a unix socket path (\(socketPath.utf8.count) > 107 bytes)")
        }
        try launcher.run(ProgramInvocation("mkdir", ["-m", "0700", socketDirectory, workDirectory])).requireSuccess()
    }

    deinit { try? remove() }

    /// Runs initdb with `options` (their pgdata replaced by this cluster's); returns the result to judge.
    func initdb(_ options: InitDBOptions, major: Int) throws -> ProgramResult {
        var options = options
        options.pgdata = pgdata
        options.authMethod = "trust"    // reachable only through the 0700 socket directory
        options.extraArguments.append("--no-sync")    // thrown away afterwards: no need to wait for the disk
        return try launcher.run(options.invocation(binaries, major: major))
    }

    /// Appends settings to its postgresql.conf (the old cluster's, which init-new carries to the real new cluster).
    func appendConfiguration(_ settings: [(name: String, value: String)]) throws {
        guard !settings.isEmpty else { return }
        let lines = settings.map { "\($0.name) = '\($0.value.replacingOccurrences(of: "'", with: "''"))'" }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: pgdata + "/postgresql.conf"))
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data(((["", "# carried from the old cluster for the checks"] + lines).joined(separator: "\n") + "\n").utf8))
    }

    /// Starts it on its socket directory only.
    func start() throws {
        let options = ["-c", "listen_addresses=", "-c", "unix_socket_directories=\(socketDirectory)",
                       "-c", "port=\(port)", "-c", "fsync=off"]
        let result = try launcher.run(PgCtl(binaries, pgdata: pgdata).start(logFile: logFile, serverOptions: options))
        guard result.succeeded else {
            let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
            let tail = log.split(whereSeparator: \.isNewline).suffix(3).joined(separator: " | ")
            throw AgentError("the scratch cluster did not start: \(ProgramError(result: result)); log: \(tail)")
        }
        isRunning = true
    }

    /// Where client programs reach it as `user`.
    func target(user: String) -> ConnectionTarget {
        ConnectionTarget(host: socketDirectory, port: port, user: user)
    }

    /// Stops it if it runs and deletes every file of it; safe to call twice.
    func remove() throws {
        if isRunning {
            try launcher.run(PgCtl(binaries, pgdata: pgdata).stop(mode: .immediate)).requireSuccess()
            isRunning = false
        }
        guard FileManager.default.fileExists(atPath: root) else { return }
        do {
            try FileManager.default.removeItem(atPath: root)
        } catch {
            throw AgentError("cannot remove the scratch cluster \(root): \(error.localizedDescription)")
        }
    }
}
