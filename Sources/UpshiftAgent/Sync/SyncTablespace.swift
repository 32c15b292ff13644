import Foundation
import UpshiftWire

/// Finding the tablespaces to sync and naming their rsync modules (the value is a wire type).
extension SyncTablespace {
    /// The rsync daemon module that serves this location.
    var moduleName: String { "upshift-ts-\(oid)" }

    /// Reads the primary's tablespaces after pg_upgrade: every `pg_tblspc` link of the old cluster, whose
    /// location must hold one folder per version and to which the new cluster must link too.
    static func discover(in layout: SyncLayout) throws -> [SyncTablespace] {
        let oldLinks = try tablespaceLinks(pgdata: layout.oldPgdata)
        let newLinks = try tablespaceLinks(pgdata: layout.newPgdata)
        let oldMajor = try majorVersion(pgdata: layout.oldPgdata)
        let newMajor = try majorVersion(pgdata: layout.newPgdata)
        return try oldLinks.keys.sorted().map { oid in
            let location = oldLinks[oid]!
            guard newLinks[oid] == location else {
                throw SyncError.tablespace(oid: oid, problem: "the new cluster \(layout.newPgdata) has no pg_tblspc link "
                    + "to \(location); run pg_upgrade before the sync")
            }
            try checkConfigSafe(location)
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: location)) ?? []
            func versionFolder(_ major: String) throws -> String {
                let matches = entries.filter { $0.hasPrefix("PG_\(major)_") }
                guard matches.count == 1, let name = matches.first else {
                    throw SyncError.tablespace(oid: oid, problem: "\(location) holds \(matches.count) folders for "
                        + "version \(major) (PG_\(major)_*), not one")
                }
                try checkFilterSafe(name, in: location + "/" + name)
                return name
            }
            return SyncTablespace(oid: oid, location: location, oldSubdir: try versionFolder(oldMajor),
                                  newSubdir: try versionFolder(newMajor))
        }
    }
}

/// The `pg_tblspc` links of a data directory: OID → location. An in-place tablespace (a folder, not a
/// link) is refused: its files live inside the data directory, where the rsync line would copy them whole.
func tablespaceLinks(pgdata: String) throws -> [UInt32: String] {
    let folder = pgdata + "/pg_tblspc"
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
        throw SyncError.missingDirectory(folder, role: "the tablespace folder")
    }
    var links: [UInt32: String] = [:]
    for name in names {
        guard let oid = UInt32(name) else { continue }
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(folder)/\(name)") else {
            throw SyncError.tablespace(oid: oid, problem: "\(folder)/\(name) is not a symlink (an in-place "
                + "tablespace); the rsync standby procedure supports tablespaces at their own locations only")
        }
        guard target.hasPrefix("/") else {
            throw SyncError.tablespace(oid: oid, problem: "\(folder)/\(name) links to a relative path, \(target)")
        }
        links[oid] = target
    }
    return links
}

/// The major version in `PGDATA/PG_VERSION`, e.g. "15".
func majorVersion(pgdata: String) throws -> String {
    let file = pgdata + "/PG_VERSION"
    guard let text = try? String(contentsOfFile: file, encoding: .utf8),
          case let version = text.trimmingCharacters(in: .whitespacesAndNewlines), !version.isEmpty else {
        throw SyncError.missingDirectory(pgdata, role: "the data directory (no readable PG_VERSION)")
    }
    return version
}
