import Foundation

/// The process groups of the programs steps are running, kept as files under the state directory, so an
/// agent that starts after one was killed stops what its predecessor left running before it touches
/// anything (a pg_upgrade or rsync with no owner would race the rollback).
final class ChildLedger: @unchecked Sendable {
    private let directory: String

    init(stateDirectory: String) throws {
        directory = stateDirectory + "/children"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }

    /// Records a started child (its pid is its process group) with its start time, which tells it apart from a
    /// later process that reuses the pid.
    func started(_ pid: pid_t) {
        guard let start = Self.startTime(of: pid) else { return }
        _ = FileManager.default.createFile(atPath: "\(directory)/\(pid)", contents: Data(start.utf8), attributes: [.posixPermissions: 0o600])
    }

    /// Forgets a child that has been reaped.
    func ended(_ pid: pid_t) {
        try? FileManager.default.removeItem(atPath: "\(directory)/\(pid)")
    }

    /// Kills every recorded process group whose leader is still the process that was recorded, waits until
    /// each is gone, and forgets them all; returns the pids it stopped.
    func stopLeftovers() -> [pid_t] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var stopped: [pid_t] = []
        for name in names {
            defer { try? FileManager.default.removeItem(atPath: "\(directory)/\(name)") }
            guard let pid = pid_t(name), let recorded = try? String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8),
                  Self.startTime(of: pid) == recorded else { continue }
            kill(-pid, SIGKILL)
            let deadline = Date().addingTimeInterval(10)
            while Self.startTime(of: pid) == recorded, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            stopped.append(pid)
        }
        return stopped
    }

    /// Field 22 of /proc/PID/stat (start time in clock ticks since boot), nil when there is no such process
    /// or it is a zombie waiting to be reaped.
    static func startTime(of pid: pid_t) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, fields[0] != "Z" else { return nil }
        return String(fields[19])
    }
}
