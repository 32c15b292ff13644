import Foundation
import UpshiftWire
import Glibc
import UpshiftPostgres

/// A running `rsync --daemon --no-detach` for one upgrade: read-only module `upshift` rooted at the primary's
/// data parent directory, auth user `upshift` with a one-time secret, bound to `address` on a free port,
/// config and secrets 0600 in an agent-owned scratch directory; stopped (SIGKILL, then wait) by `stop()` and
/// on deinit. rsync writes its pid to `rsyncd.pid` there, and `stopLeftover(scratchDirectory:)` finds and
/// stops a daemon that an earlier agent process left behind.
final class RsyncSender: @unchecked Sendable {
    /// The module serving the data parent directory.
    static let module = "upshift"
    /// The one user the daemon accepts.
    static let user = "upshift"

    /// The address the daemon listens on.
    let address: String
    /// The port the daemon listens on.
    let port: Int
    /// Where its config, secrets, pid and logs are.
    let files: RsyncDaemonFiles
    private let child: BackgroundChild
    private let lock = NSLock()
    private var stopped = false

    /// Serves `root` (and each tablespace location as module `upshift-ts-OID`); when `exposing` is given,
    /// only those top-level names of `root` can be fetched. Waits until the daemon answers.
    /// `allowedHosts` are the only client addresses served (empty: any).
    init(root: String, address: String, secret: String, scratchDirectory: String, exposing: [String]? = nil,
         tablespaces: [SyncTablespace] = [], allowedHosts: [String] = [], launcher: ProgramLauncher = .direct) throws {
        try Self.checkSecret(secret)
        for path in [root, scratchDirectory] + tablespaces.map(\.location) {
            guard path.hasPrefix("/") else { throw SyncError.unusablePath(path, reason: "it is not an absolute path") }
            try checkConfigSafe(path)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SyncError.missingDirectory(root, role: "the folder to serve")
        }
        try FileManager.default.createDirectory(atPath: scratchDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        // One daemon per scratch directory: one that a crashed agent left behind goes first.
        try Self.stopLeftover(scratchDirectory: scratchDirectory)
        files = RsyncDaemonFiles(directory: scratchDirectory)
        let modules = [RsyncDaemonFiles.Module(name: Self.module, path: root, exposing: exposing)]
            + tablespaces.map { .init(name: $0.moduleName, path: $0.location, exposing: [$0.oldSubdir, $0.newSubdir]) }
        try files.write(modules: modules, user: Self.user, secret: secret, allowedHosts: allowedHosts)
        self.address = address
        do {
            (child, port) = try Self.start(files: files, address: address, launcher: launcher)
        } catch {
            unlink(files.secrets)
            throw error
        }
    }

    /// Serves the two data directories of `layout` (after checking that neither has a relocated pg_wal)
    /// and `tablespaces`.
    convenience init(layout: SyncLayout, tablespaces: [SyncTablespace], address: String, secret: String,
                     scratchDirectory: String, allowedHosts: [String] = [], launcher: ProgramLauncher = .direct) throws {
        try layout.checkNewWALNotRelocated()
        try self.init(root: layout.parent, address: address, secret: secret, scratchDirectory: scratchDirectory,
                      exposing: [layout.oldName, layout.newName], tablespaces: tablespaces, allowedHosts: allowedHosts,
                      launcher: launcher)
    }

    deinit {
        stop()
    }

    /// The daemon's pid as rsync wrote it, while it runs.
    var daemonPID: pid_t? {
        (try? String(contentsOfFile: files.pidFile, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Stops the daemon and any transfer still being served (SIGKILL: it only ever reads, and rsync's own exit
    /// on SIGTERM takes 0.4 s, spent inside the write window by `start-primary`) and deletes the secret.
    /// Safe to call more than once.
    func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        let pids = ProcessTable.pids(program: "rsync", argument: files.configArgument)
        // Before rsync runs there is only the launcher's prefix to stop. A reaped child's pid may be reused:
        // it is signalled only while exitStatus() says it has not exited.
        if pids.isEmpty, child.exitStatus() == nil { kill(child.pid, SIGKILL) }
        pids.forEach { kill($0, SIGKILL) }
        if child.waitForExit(timeout: .seconds(5)) == nil || !Self.waitUntilGone(pids, timeout: .seconds(5)) {
            Self.forceStop(child: child, files: files)
        }
        unlink(files.pidFile)
        unlink(files.secrets)
    }

    /// Stops a daemon (and its transfers) started with `scratchDirectory` by an earlier agent process,
    /// found by the config on its command line; returns how many processes were stopped.
    @discardableResult
    static func stopLeftover(scratchDirectory: String) throws -> Int {
        let files = RsyncDaemonFiles(directory: scratchDirectory)
        let pids = ProcessTable.pids(program: "rsync", argument: files.configArgument)
        pids.forEach { kill($0, SIGKILL) }
        guard waitUntilGone(pids, timeout: .seconds(5)) else {
            throw SyncError.senderStillRunning(pids: pids.filter(ProcessTable.isLive))
        }
        unlink(files.pidFile)
        unlink(files.secrets)
        return pids.count
    }

    /// A fresh one-time secret: 32 random bytes from the system's generator, in hex.
    static func makeSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }

    static func checkSecret(_ secret: String) throws {
        guard !secret.isEmpty, secret.count <= 256 else {
            throw SyncError.unusableSecret(reason: "it must have 1 to 256 characters")
        }
        guard secret.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 }) else {
            throw SyncError.unusableSecret(reason: "it may hold printable ASCII only, no blanks")
        }
    }

    /// Starts the daemon on a free port; another process may grab the port first, so a bind failure
    /// is retried on a new one.
    private static func start(files: RsyncDaemonFiles, address: String,
                              launcher: ProgramLauncher) throws -> (BackgroundChild, Int) {
        for attempt in 1...3 {
            let port = try freeTCPPort(address: address)
            let outputFrom = files.size(of: files.output), logFrom = files.size(of: files.log)
            let output = try files.openOutput()
            let argv = launcher.prefix + ["rsync", "--daemon", "--no-detach", files.configArgument,
                                          "--address=\(address)", "--port=\(port)"]
            let child: BackgroundChild
            do {
                defer { close(output) }
                child = try BackgroundChild(argv: argv, environment: ["LC_ALL": "C"], outputFD: output)
            }
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                if child.exitStatus() != nil { break }
                if rsyncDaemonAnswers(address: address, port: port) { return (child, port) }
                usleep(20_000)
            }
            if child.exitStatus() == nil { Self.forceStop(child: child, files: files) }
            let log = files.lastLines(count: 5, outputFrom: outputFrom, logFrom: logFrom)
            if attempt < 3, log.contains(where: { $0.contains("Address already in use") }) { continue }
            throw SyncError.senderDidNotStart(address: address, port: port, log: log)
        }
        throw SyncError.senderDidNotStart(address: address, port: 0, log: [])
    }

    /// SIGKILL to the daemon's processes and to the child, then reaps the child.
    private static func forceStop(child: BackgroundChild, files: RsyncDaemonFiles) {
        ProcessTable.pids(program: "rsync", argument: files.configArgument).forEach { Glibc.kill($0, SIGKILL) }
        if child.exitStatus() == nil { Glibc.kill(child.pid, SIGKILL) }
        _ = child.waitForExit(timeout: .seconds(2))
    }

    private static func waitUntilGone(_ pids: [pid_t], timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while pids.contains(where: ProcessTable.isLive) {
            guard ContinuousClock.now < deadline else { return false }
            usleep(10_000)
        }
        return true
    }
}
