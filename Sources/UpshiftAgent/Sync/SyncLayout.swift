import Foundation

/// Where one host keeps the two data directories the rsync standby procedure sends as one transfer:
/// `parent/oldName` (the old cluster) and `parent/newName` (made by initdb, filled by pg_upgrade --link).
struct SyncLayout: Sendable, Equatable {
    /// The folder holding both data directories.
    let parent: String
    /// The old data directory's name inside `parent`.
    let oldName: String
    /// The new data directory's name inside `parent`.
    let newName: String

    /// The old data directory's path.
    var oldPgdata: String { parent == "/" ? "/\(oldName)" : "\(parent)/\(oldName)" }
    /// The new data directory's path.
    var newPgdata: String { parent == "/" ? "/\(newName)" : "\(parent)/\(newName)" }

    /// A standby's layout, which must use the primary's names (the transfer recreates them under `parent`).
    static func standby(oldPgdata: String, newPgdata: String, matching primary: SyncLayout) throws -> SyncLayout {
        let old = try split(oldPgdata)
        let new = try split(newPgdata)
        guard old.name == primary.oldName else {
            throw SyncError.namesDiffer(primary: primary.oldPgdata, standby: oldPgdata)
        }
        guard new.name == primary.newName else {
            throw SyncError.namesDiffer(primary: primary.newPgdata, standby: newPgdata)
        }
        guard old.parent == new.parent else { throw SyncError.differentParents(old: oldPgdata, new: newPgdata) }
        return SyncLayout(parent: old.parent, oldName: old.name, newName: new.name)
    }

    /// Refuses a new cluster whose pg_wal is a symlink: its WAL must travel with it. (The old cluster's pg_wal
    /// may live anywhere: the transfer leaves it out, and each standby keeps its own, link or folder.)
    func checkNewWALNotRelocated() throws {
        let wal = newPgdata + "/pg_wal"
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: wal) {
            throw SyncError.relocatedWAL(pgdata: newPgdata, target: target)
        }
    }

    /// Splits an absolute path into its folder and name, refusing what rsync filters would read as patterns.
    fileprivate static func split(_ path: String) throws -> (parent: String, name: String) {
        guard path.hasPrefix("/") else { throw SyncError.unusablePath(path, reason: "it is not an absolute path") }
        let parts = path.split(separator: "/").map(String.init)
        guard let name = parts.last, !parts.contains("."), !parts.contains("..") else {
            throw SyncError.unusablePath(path, reason: "it names no directory below /, or holds . or ..")
        }
        try checkFilterSafe(name, in: path)
        try checkConfigSafe(path)
        return ("/" + parts.dropLast().joined(separator: "/"), name)
    }
}

extension SyncLayout {
    /// The layout of two data directories (the primary's); throws unless they are siblings: one rsync run
    /// must see both trees, or the standby's new files cannot become hard links of its old ones.
    init(oldPgdata: String, newPgdata: String) throws {
        let old = try Self.split(oldPgdata)
        let new = try Self.split(newPgdata)
        guard old.parent == new.parent else { throw SyncError.differentParents(old: oldPgdata, new: newPgdata) }
        guard old.name != new.name else {
            throw SyncError.unusablePath(newPgdata, reason: "it is the old data directory itself")
        }
        self.init(parent: old.parent, oldName: old.name, newName: new.name)
    }
}

/// Names go into rsync filter rules, where `*?[\` are wildcards and escapes.
func checkFilterSafe(_ name: String, in path: String) throws {
    if name.contains(where: { "*?[\\".contains($0) }) {
        throw SyncError.unusablePath(path, reason: "its name holds one of * ? [ \\, which rsync filters read as patterns")
    }
}

/// Paths go into rsyncd.conf: one `key = value` a line, surrounding blanks trimmed, `%VAR%` expanded.
func checkConfigSafe(_ path: String) throws {
    if path.contains(where: { $0.isNewline || $0 == "\0" || $0 == "%" })
        || path != path.trimmingCharacters(in: .whitespaces) {
        throw SyncError.unusablePath(path, reason: "it holds a line break or a %, or starts or ends with a blank")
    }
}
