// CLibPQ's shim declares the _GNU_SOURCE spawn helpers that Swift's Glibc module hides (closefrom_np).
import CLibPQ
import Foundation
import Glibc

/// A long-running child (a daemon kept in the foreground) whose stdout and stderr go to a file;
/// the program runners of UpshiftPostgres wait for their child, this one is left running until stopped.
final class BackgroundChild {
    /// The child's pid (the launcher's prefix, e.g. runuser, when there is one).
    let pid: pid_t
    private var status: Int32?

    /// Starts `argv` (looked up in PATH) with `environment` over this process's, stdin from /dev/null, no
    /// other inherited descriptors, default signal dispositions, output appended to the open `outputFD`.
    init(argv: [String], environment: [String: String], outputFD: Int32) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputFD, 1)
        posix_spawn_file_actions_adddup2(&actions, outputFD, 2)
        posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Swift ignores SIGPIPE and ignored signals survive exec: give the daemon the defaults.
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD].forEach { sigaddset(&defaults, $0) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var env = ProcessInfo.processInfo.environment
        environment.forEach { env[$0.key] = $0.value }
        var child: pid_t = 0
        let result = withCStrings(argv) { argvPointers in
            withCStrings(env.map { "\($0.key)=\($0.value)" }) { envPointers in
                posix_spawnp(&child, argv[0], &actions, &attributes, argvPointers, envPointers)
            }
        }
        guard result == 0 else {
            throw AgentError("cannot start \(argv[0]): \(String(cString: strerror(result)))")
        }
        pid = child
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
private func withCStrings<T>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> T) -> T {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}

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
