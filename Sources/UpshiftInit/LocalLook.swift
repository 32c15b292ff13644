import Foundation
import UpshiftPostgres

/// What `upshift init` can see of the fleet from the machine it runs on, when that is a database host (or the
/// whole fleet, as in a local fleet): the new build's extensions, file systems, CPUs.
public enum LocalLook {
    /// The extensions of `names` the build in `bindir` has no control file for; nil when its `pg_config` is not here.
    public static func missingExtensions(_ names: [String], bindir: String) -> [String]? {
        guard FileManager.default.isExecutableFile(atPath: bindir + "/pg_config"),
              let result = try? ProgramRunner.run(bindir + "/pg_config", ["--sharedir"]), result.status == 0 else { return nil }
        let share = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return names.filter { !FileManager.default.fileExists(atPath: "\(share)/extension/\($0).control") }
    }

    /// Whether `path` and `other` (or their nearest existing folders) are on one file system; nil if `path` is not here.
    public static func sameFileSystem(_ path: String, _ other: String) -> Bool? {
        guard let first = device(of: path), let second = device(of: other) else { return nil }
        return first == second
    }

    /// The CPU count when the data directory is on this machine, else nil.
    public static func processors(ifHere pgdata: String) -> Int? {
        FileManager.default.fileExists(atPath: URL(fileURLWithPath: pgdata).deletingLastPathComponent().path)
            ? ProcessInfo.processInfo.activeProcessorCount : nil
    }

    private static func device(of path: String) -> UInt64? {
        var current = URL(fileURLWithPath: path)
        while current.path != "/" {
            var info = stat()
            if stat(current.path, &info) == 0 { return UInt64(info.st_dev) }
            current.deleteLastPathComponent()
        }
        return nil
    }

    /// The `host` of a keyword/value conninfo when it is a network address (not a socket folder).
    public static func networkHost(of conninfo: String) -> String? {
        for word in conninfo.split(separator: " ") where word.hasPrefix("host=") {
            let value = word.dropFirst(5).trimmingCharacters(in: CharacterSet(charactersIn: "'"))
            return value.hasPrefix("/") || value.isEmpty ? nil : value
        }
        return nil
    }
}
