import Foundation
import Glibc
import UpshiftPostgres

/// A long-running child (a daemon kept in the foreground) whose stdout and stderr go to a file;
/// the program runners of UpshiftPostgres wait for their child, this one is left running until stopped.
final class BackgroundChild {
    /// The child's pid (the launcher's prefix, e.g. runuser, when there is one).
    let pid: pid_t
    private var status: Int32?

    /// Starts `argv` (looked up in PATH) with `environment` over this process's, stdin from /dev/null, no
    /// other inherited descriptors, default signal dispositions, output appended to the open `outputFD`.
    init(argv: [String], environment: [String: String], outputFD: Int32) throws {
        var env = ProcessInfo.processInfo.environment
        environment.forEach { env[$0.key] = $0.value }
        pid = try spawnProcess(argv[0], Array(argv.dropFirst()), environment: env, stdout: outputFD, stderr: outputFD)
    }

    /// The exit status (128 + N when killed by signal N) once the child has exited; nil while it runs.
    func exitStatus() -> Int32? {
        if let status { return status }
        var raw: Int32 = 0
        var reaped = waitpid(pid, &raw, WNOHANG)
        while reaped < 0 && errno == EINTR { reaped = waitpid(pid, &raw, WNOHANG) }
        guard reaped == pid else { return reaped < 0 ? -1 : nil }
        let signal = raw & 0x7f
        status = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
        return status
    }

    /// Waits up to `timeout` for the child to exit; its status, or nil if it still runs.
    func waitForExit(timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = exitStatus() { return status }
            usleep(10_000)
        }
        return exitStatus()
    }
}

/// Calls `body` with a NULL-terminated C array of `strings`, valid only during the call.
/// The processes of this machine as /proc shows them.
enum ProcessTable {
    /// Live (not zombie) processes whose program is `program` (argv[0]'s last component) and whose
    /// arguments include `argument` exactly: how a daemon and its per-connection children are recognised.
    static func pids(program: String, argument: String) -> [pid_t] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { pid_t($0) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let argv = data.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            guard let first = argv.first, first.split(separator: "/").last.map(String.init) == program,
                  argv.contains(argument) else { return false }
            return isLive(pid)
        }.sorted()
    }

    /// Whether `pid` exists and is not a zombie waiting for its parent.
    static func isLive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].first { !$0.isWhitespace }
        return state != nil && state != "Z" && state != "X"
    }
}
