import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// File writes for key material: created with their final mode (never chmod-ed after, so a key is
/// never readable by others even for a moment) and swapped in atomically by rename.
public enum SecureFiles {
    /// Writes `text` to `path` with `mode` from the first byte, fsync'd and renamed into place.
    public static func write(_ text: String, to path: String, mode: mode_t) throws {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw WireError.fileAccess(path: path, reason: "cannot create: \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: Data(text.utf8))
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            unlink(temporary)
            throw WireError.fileAccess(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw WireError.fileAccess(path: path, reason: "cannot move into place: \(reason)")
        }
    }

    /// Creates `path` (and parents) with `mode` if missing; an existing directory is left as it is.
    static func makeDirectory(_ path: String, mode: Int) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw WireError.fileAccess(path: path, reason: "exists and is not a directory")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
        } catch {
            throw WireError.fileAccess(path: path, reason: "cannot create directory: \(error.localizedDescription)")
        }
    }

    static func readText(_ path: String) throws -> String {
        let bytes = try PEMFiles.readBytes(path)
        return String(decoding: bytes, as: UTF8.self)
    }
}
