import CLibPQ
import Foundation
import Glibc

/// Runs a program without a shell, streaming stdout/stderr lines to a callback; returns status and captured output.
public struct ProgramRunner {
    /// Runs `executable` (a path, or a name looked up in PATH) with `arguments`, stdin from /dev/null.
    /// `environment` is merged over this process's environment. `onLine` is called on this thread as lines arrive.
    /// Returns whatever the exit status; throws only when the program cannot be started.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           currentDirectory: String? = nil,
                           onLine: ((ProgramOutputLine) -> Void)? = nil) throws -> ProgramResult {
        let started = ContinuousClock.now
        var env = ProcessInfo.processInfo.environment
        environment?.forEach { env[$0.key] = $0.value }
        let child = try spawn(executable, arguments, environment: env, currentDirectory: currentDirectory)
        var out = OutputCollector(stream: .stdout, fd: child.stdout, onLine: onLine)
        var err = OutputCollector(stream: .stderr, fd: child.stderr, onLine: onLine)
        var status: Int32?
        // Read until both pipes close or the child exits: a daemon it started (a postmaster) may keep
        // the pipes open for ever, so the child's exit, not EOF, ends the run.
        while !(out.closed && err.closed) && status == nil {
            var polls = [out, err].filter { !$0.closed }.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&polls, nfds_t(polls.count), 100)
            if ready < 0 && errno != EINTR { break }
            for entry in polls where entry.revents != 0 {
                if entry.fd == out.fd { out.readAvailable(once: true) } else { err.readAvailable(once: true) }
            }
            status = reap(child.pid, block: false)
        }
        out.readAvailable(once: false)
        err.readAvailable(once: false)
        out.finish()
        err.finish()
        let exitStatus = status ?? reap(child.pid, block: true) ?? -1
        return ProgramResult(executable: executable, arguments: arguments, status: exitStatus,
                             stdout: out.text, stderr: err.text, duration: ContinuousClock.now - started)
    }

    /// The exit status of `pid` (128 + N when killed by signal N), or nil while it still runs.
    private static func reap(_ pid: pid_t, block: Bool) -> Int32? {
        var raw: Int32 = 0
        while true {
            let result = waitpid(pid, &raw, block ? 0 : WNOHANG)
            if result == pid { break }
            if result == 0 { return nil }
            if errno == EINTR { continue }
            return -1
        }
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }
}

/// Collects one pipe's bytes and cuts them into lines for the callback.
private struct OutputCollector {
    let stream: ProgramOutputLine.Stream
    let fd: Int32
    let onLine: ((ProgramOutputLine) -> Void)?
    var closed = false
    var captured: [UInt8] = []
    var pending: [UInt8] = []
    var afterCarriageReturn = false

    init(stream: ProgramOutputLine.Stream, fd: Int32, onLine: ((ProgramOutputLine) -> Void)?) {
        self.stream = stream
        self.fd = fd
        self.onLine = onLine
    }

    var text: String { String(decoding: captured, as: UTF8.self) }

    /// Reads what the pipe holds now (one chunk, or until it would block); closes it at EOF.
    mutating func readAvailable(once: Bool) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !closed {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                consume(buffer[0..<count])
                if !pending.isEmpty {
                    onLine?(ProgramOutputLine(stream: stream, text: String(decoding: pending, as: UTF8.self),
                                              isComplete: false))
                }
                if once { return }
            } else if count < 0 && errno == EINTR {
                continue
            } else if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                return
            } else {
                close(fd)
                closed = true
            }
        }
    }

    mutating func consume(_ bytes: ArraySlice<UInt8>) {
        captured.append(contentsOf: bytes)
        for byte in bytes {
            if byte == UInt8(ascii: "\n") && afterCarriageReturn {
                afterCarriageReturn = false
                continue
            }
            afterCarriageReturn = byte == UInt8(ascii: "\r")
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                emit()
            } else {
                pending.append(byte)
            }
        }
    }

    /// Flushes a last unterminated line and closes the pipe if a daemon still holds it.
    mutating func finish() {
        if !pending.isEmpty { emit() }
        if !closed {
            close(fd)
            closed = true
        }
    }

    private mutating func emit() {
        onLine?(ProgramOutputLine(stream: stream, text: String(decoding: pending, as: UTF8.self)))
        pending.removeAll(keepingCapacity: true)
    }
}
