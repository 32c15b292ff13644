import CLibPQ
import Glibc

/// A started child and the read ends of its stdout and stderr pipes.
struct SpawnedChild {
    let pid: pid_t
    let stdout: Int32
    let stderr: Int32
}

/// posix_spawn with stdin from /dev/null, stdout/stderr to fresh pipes, no other descriptors inherited,
/// default signal dispositions and mask (Swift ignores SIGPIPE, and ignored signals survive exec), in a new
/// process group.
func spawn(_ executable: String, _ arguments: [String], environment: [String: String],
           currentDirectory: String?) throws -> SpawnedChild {
    var outPipe: [Int32] = [-1, -1]
    var errPipe: [Int32] = [-1, -1]
    guard pipe2(&outPipe, O_CLOEXEC) == 0 else { throw launchError(executable, arguments, "pipe") }
    guard pipe2(&errPipe, O_CLOEXEC) == 0 else {
        outPipe.forEach { close($0) }
        throw launchError(executable, arguments, "pipe")
    }
    defer {
        close(outPipe[1])
        close(errPipe[1])
    }
    let pid: pid_t
    do {
        pid = try spawnProcess(executable, arguments, environment: environment, currentDirectory: currentDirectory,
                               stdout: outPipe[1], stderr: errPipe[1])
    } catch {
        close(outPipe[0])
        close(errPipe[0])
        throw error
    }
    for fd in [outPipe[0], errPipe[0]] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    return SpawnedChild(pid: pid, stdout: outPipe[0], stderr: errPipe[0])
}

/// Starts a program (looked up in PATH when it has no slash) with exactly `environment`, stdin from
/// /dev/null, stdout and stderr on the given descriptors, no other descriptors inherited, and default
/// signal dispositions and mask; returns its pid without waiting. The one spawn every runner uses.
/// With `newProcessGroup` the child leads a new process group (its id is the pid): a signal to our terminal's
/// group does not reach it, and `kill(-pid, …)` reaches everything it starts that stays in its group.
public func spawnProcess(_ executable: String, _ arguments: [String], environment: [String: String],
                         currentDirectory: String? = nil, stdout: Int32, stderr: Int32,
                         newProcessGroup: Bool = true) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, stdout, 1)
    posix_spawn_file_actions_adddup2(&actions, stderr, 2)
    if let currentDirectory { posix_spawn_file_actions_addchdir_np(&actions, currentDirectory) }
    posix_spawn_file_actions_addclosefrom_np(&actions, 3)

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD].forEach { sigaddset(&defaults, $0) }
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
    if newProcessGroup {
        posix_spawnattr_setpgroup(&attributes, 0)
        flags |= POSIX_SPAWN_SETPGROUP
    }
    posix_spawnattr_setflags(&attributes, Int16(flags))

    var pid: pid_t = 0
    let envStrings = environment.map { "\($0.key)=\($0.value)" }
    let result = withCStringArray([executable] + arguments) { argv in
        withCStringArray(envStrings) { envp in
            posix_spawnp(&pid, executable, &actions, &attributes,
                         UnsafeMutablePointer(mutating: UnsafeRawPointer(argv).assumingMemoryBound(to: UnsafeMutablePointer<CChar>?.self)),
                         UnsafeMutablePointer(mutating: UnsafeRawPointer(envp).assumingMemoryBound(to: UnsafeMutablePointer<CChar>?.self)))
        }
    }
    guard result == 0 else {
        let where_ = currentDirectory.map { " (in \($0))" } ?? ""
        throw launchError(executable, arguments, String(cString: strerror(result)) + where_)
    }
    return pid
}

private func launchError(_ executable: String, _ arguments: [String], _ reason: String) -> ProgramError {
    ProgramError(executable: executable, arguments: arguments, launchFailure: reason)
}
