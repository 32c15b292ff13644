import CLibPQ
import Foundation
import Glibc

/// Runs a program without a shell, streaming stdout/stderr lines to a callback; returns status and captured output.
public struct ProgramRunner {
    /// How long a stopped program has between SIGTERM and SIGKILL.
    static let gracePeriod = Duration.seconds(5)

    /// Runs `executable` (a path, or a name looked up in PATH) with `arguments`, stdin from /dev/null, as the
    /// leader of a new process group. `environment` is merged over this process's environment. `onLine` is
    /// called on this thread as lines arrive. Captured stdout and stderr each keep at most `outputLimit` bytes
    /// (the first and last halves). Returns whatever the exit status; throws `ProgramError` when the program
    /// cannot be started and `ProgramStopped` once `control` stopped it (and it has been reaped).
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           currentDirectory: String? = nil, control: ProgramControl? = nil,
                           outputLimit: Int = 8 << 20,
                           onLine: ((ProgramOutputLine) -> Void)? = nil) throws -> ProgramResult {
        try run(executable, arguments, environment: environment, currentDirectory: currentDirectory,
                control: control, outputLimit: outputLimit, name: executable, onLine: onLine)
    }

    /// `run`, naming the program `name` when it is stopped (the launcher's program, not runuser).
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]?,
                    currentDirectory: String?, control: ProgramControl?, outputLimit: Int, name: String,
                    onLine: ((ProgramOutputLine) -> Void)?) throws -> ProgramResult {
        let programName = name.split(separator: "/").last.map(String.init) ?? name
        if let reason = control?.stopReason { throw ProgramStopped(reason: "\(programName) stopped: \(reason)") }
        let started = ContinuousClock.now
        var env = ProcessInfo.processInfo.environment
        environment?.forEach { env[$0.key] = $0.value }
        let child = try spawn(executable, arguments, environment: env, currentDirectory: currentDirectory)
        control?.started(child.pid)
        var out = OutputCollector(stream: .stdout, fd: child.stdout, limit: outputLimit, onLine: onLine)
        var err = OutputCollector(stream: .stderr, fd: child.stderr, limit: outputLimit, onLine: onLine)
        var stop = StopState()
        // Read until the child exits: a daemon it started (a postmaster) may keep the pipes open for ever,
        // and a child that closed them may still run, so the child's exit, not EOF, ends the run.
        while !hasExited(child.pid) {
            if let control, let reason = control.stopReason {
                stop.advance(child.pid, reason: reason, control: control)
            }
            var polls = [out, err].filter { !$0.closed }.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&polls, nfds_t(polls.count), polls.isEmpty ? 10 : 100)
            if ready < 0 && errno != EINTR { usleep(10_000) }
            for entry in polls where entry.revents != 0 {
                if entry.fd == out.fd { out.readAvailable(once: true) } else { err.readAvailable(once: true) }
            }
        }
        // A cancel from another thread may have signalled the child before this loop saw the control stopped.
        if let control, control.exited(child.pid), stop.reason == nil {
            stop.reason = control.stopReason ?? "cancelled"
        }
        // The exited leader still holds its group id: what it left behind in the group can be killed safely.
        if stop.reason != nil { kill(-child.pid, SIGKILL) }
        let exitStatus = reap(child.pid)
        control?.reaped(child.pid)
        out.readAvailable(once: false)
        err.readAvailable(once: false)
        out.finish()
        err.finish()
        if let reason = stop.reason { throw ProgramStopped(reason: "\(programName) stopped: \(reason)") }
        return ProgramResult(executable: executable, arguments: arguments, status: exitStatus,
                             stdout: out.text, stderr: err.text, duration: ContinuousClock.now - started)
    }

    /// Whether `pid` has exited, leaving it unreaped (a zombie keeps its pid and group id reserved).
    private static func hasExited(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) < 0 {
            if errno != EINTR { return true }
        }
        // Linux zeroes `info` when no child is waitable.
        return info.si_signo == SIGCHLD
    }

    /// The exit status of `pid` (128 + N when killed by signal N), waiting for it.
    private static func reap(_ pid: pid_t) -> Int32 {
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) != pid {
            if errno != EINTR { return -1 }
        }
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }
}

/// Where stopping a child has got to: SIGTERM to its group first, SIGKILL once the grace period is over.
private struct StopState {
    var reason: String?
    var terminatedAt: ContinuousClock.Instant?
    var killed = false

    mutating func advance(_ pid: pid_t, reason: String, control: ProgramControl) {
        if self.reason == nil { self.reason = reason }
        guard let terminatedAt else {
            control.terminate(pid)
            terminatedAt = .now
            return
        }
        if !killed && ContinuousClock.now - terminatedAt >= ProgramRunner.gracePeriod {
            kill(-pid, SIGKILL)
            killed = true
        }
    }
}
