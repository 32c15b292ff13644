import Foundation
import Glibc

/// The files of one rsync daemon in its scratch directory: config, secrets, per-module filters, pid, logs.
struct RsyncDaemonFiles {
    /// One read-only module: a folder, and the only top-level names in it that clients may fetch.
    struct Module {
        /// The module's name in `rsync://host:port/NAME/…`.
        let name: String
        /// The folder it serves.
        let path: String
        /// Top-level entries a client may fetch; nil serves the whole folder.
        let exposing: [String]?
    }

    /// The agent-owned folder holding everything below.
    let directory: String

    var config: String { directory + "/rsyncd.conf" }
    var secrets: String { directory + "/rsyncd.secrets" }
    var pidFile: String { directory + "/rsyncd.pid" }
    /// rsync's own log (connections, transfers, auth failures).
    var log: String { directory + "/rsyncd.log" }
    /// The daemon's stdout and stderr (errors before its log is open).
    var output: String { directory + "/rsyncd.out" }

    /// The argument that names this config on the daemon's command line; how its processes are found.
    var configArgument: String { "--config=" + config }

    /// The daemon-side include list of `module`.
    func filterFile(_ module: Module) -> String { "\(directory)/rsyncd.\(module.name).include" }

    /// Writes the secrets file, the filter files and the config, each 0600.
    /// `allowedHosts` (addresses) are the only clients the daemon answers; empty allows any address.
    func write(modules: [Module], user: String, secret: String, allowedHosts: [String] = []) throws {
        try writePrivateFile(secrets, "\(user):\(secret)\n")
        var text = """
            # Written by upshift-agent for one standby sync; stopped and its secret removed when the sync ends.
            pid file = \(pidFile)
            log file = \(log)
            use chroot = no
            reverse lookup = no

            """
        for module in modules {
            text += """

                [\(module.name)]
                    path = \(module.path)
                    read only = yes
                    list = no
                    auth users = \(user)
                    secrets file = \(secrets)
                    strict modes = yes
                    numeric ids = yes
                    munge symlinks = no
                    timeout = 600

                """
            if !allowedHosts.isEmpty {
                // Only the standbys of the plan may connect, even with the secret.
                text += "    hosts allow = \(allowedHosts.joined(separator: " "))\n    hosts deny = *\n"
            }
            if let names = module.exposing {
                // Daemon-side filters: even a client with the secret can fetch nothing else from the folder.
                try writePrivateFile(filterFile(module), names.map { "/\($0)/\n" }.joined())
                text += "    include from = \(filterFile(module))\n    exclude = /*\n"
            }
        }
        try writePrivateFile(config, text)
    }

    /// Reads the last `count` lines rsync wrote to its output and its log since the given sizes.
    func lastLines(count: Int, outputFrom: Int, logFrom: Int) -> [String] {
        [(output, outputFrom), (log, logFrom)].flatMap { path, offset -> [String] in
            guard let data = FileManager.default.contents(atPath: path), data.count > offset else { return [] }
            return String(decoding: data.dropFirst(offset), as: UTF8.self).split(whereSeparator: \.isNewline)
                .suffix(count).map { String($0) }
        }
    }

    /// The current size of a file, 0 when missing.
    func size(of path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    /// Opens the output file for appending (0600, owned like the directory) for the daemon's stdout/stderr.
    func openOutput() throws -> Int32 {
        try openPrivateFile(output, flags: O_WRONLY | O_CREAT | O_APPEND)
    }

    /// Writes `contents` to a 0600 file owned like the directory: when the agent runs as root and the
    /// daemon as the directory's owner (tests run it as postgres), the daemon must still read it, and
    /// rsync refuses a secrets file that others can read.
    private func writePrivateFile(_ path: String, _ contents: String) throws {
        let fd = try openPrivateFile(path, flags: O_WRONLY | O_CREAT | O_TRUNC)
        defer { close(fd) }
        let bytes = Array(contents.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw AgentError("cannot write \(path): \(String(cString: strerror(errno)))") }
            written += count
        }
    }

    private func openPrivateFile(_ path: String, flags: Int32) throws -> Int32 {
        let fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw AgentError("cannot open \(path): \(String(cString: strerror(errno)))") }
        var owner = stat()
        guard fchmod(fd, 0o600) == 0, stat(directory, &owner) == 0,
              geteuid() != 0 || fchown(fd, owner.st_uid, owner.st_gid) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw AgentError("cannot make \(path) private to the owner of \(directory): \(reason)")
        }
        return fd
    }
}
