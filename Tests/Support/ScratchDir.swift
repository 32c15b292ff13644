import Foundation
import Glibc

/// A scratch directory owned by postgres, removed on `remove()`; short path under /tmp.
public final class ScratchDir {
    /// The directory's absolute path, e.g. `/tmp/up-pg-a1B2c3`.
    public let path: String

    /// Makes `/tmp/PREFIX-XXXXXX`, owned by postgres when we are root; keep `prefix` short (socket paths).
    public init(prefix: String) throws {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TestSetupError("cannot make a scratch directory /tmp/\(prefix)-…: \(String(cString: strerror(errno)))")
        }
        path = String(cString: made)
        try handToPostgres(path)
    }

    /// Makes a subdirectory owned by postgres and returns its path.
    public func subdirectory(_ name: String) throws -> String {
        let sub = "\(path)/\(name)"
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        try handToPostgres(sub)
        return sub
    }

    /// Deletes the directory and everything in it, after stopping any cluster still running in it.
    public func remove() {
        cleanups.reversed().forEach { $0() }
        cleanups.removeAll()
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Runs `cleanup` at `remove()`, before the files go.
    func beforeRemoval(_ cleanup: @escaping () -> Void) {
        cleanups.append(cleanup)
    }

    private var cleanups: [() -> Void] = []
}

/// chown to postgres (when we are root, the servers' user) and mode 0700, as PostgreSQL wants its directories.
func handToPostgres(_ path: String) throws {
    guard chmod(path, 0o700) == 0 else {
        throw TestSetupError("chmod \(path): \(String(cString: strerror(errno)))")
    }
    guard geteuid() == 0 else { return }
    guard let user = getpwnam("postgres") else {
        throw TestSetupError("no postgres OS user; run scripts/bootstrap.sh as root")
    }
    guard chown(path, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
        throw TestSetupError("chown postgres \(path): \(String(cString: strerror(errno)))")
    }
}
