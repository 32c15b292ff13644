import Foundation
import UpshiftPlan
import UpshiftPostgres
import UpshiftWire

/// `verify: structural`: a proof the size of the catalog, not the data, that pg_upgrade carried every relation.
///
/// `stop-primary` lists every user relation with storage and its file path; before the new primary may start,
/// each relation's files (every segment of its main fork; sequences aside, which pg_upgrade restores through
/// SQL) must be in the new data directory under the same
/// file number, which pg_upgrade keeps since PostgreSQL 15: the same inode in link mode, the same size after a
/// clone or copy, present after a swap (which moves them). After writes resume, `verify` checks that the new
/// catalog still names every relation of the old one.
enum StructuralProof {
    /// Every user relation with storage in every database that takes connections, named `database.schema.relation`.
    static func relations(connect: (String) throws -> PostgresConnection) throws -> [RelationFile] {
        let first = try connect("postgres")
        let databases = try first.query("select datname from pg_database where datallowconn and datname <> 'template0' order by 1")
            .rows.compactMap { $0[0] }
        first.close()
        var relations: [RelationFile] = []
        for database in databases {
            let connection = try connect(database)
            defer { connection.close() }
            // User relations only (oid 16384 and up): pg_upgrade makes the catalogs anew and carries the rest.
            let rows = try connection.query("""
                select n.nspname, c.relname, c.relkind::text, pg_relation_filepath(c.oid)
                from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where c.oid >= 16384 and c.relpersistence <> 't' and pg_relation_filepath(c.oid) is not null
                order by 1, 2
                """).rows
            for row in rows {
                guard let schema = row[0], let name = row[1], let kind = row[2], let path = row[3] else { continue }
                relations.append(RelationFile(name: "\(database).\(schema).\(name)", kind: kind, path: path))
            }
        }
        return relations
    }

    /// How each transfer mode leaves a relation's files: the old inode itself, a copy of the old size, or moved.
    static func match(for mode: UpshiftPlan.TransferMode) -> StructuralProofResult.Match {
        switch mode {
        case .link: .sameFile
        case .swap: .present
        case .clone, .copy: .sameSize
        }
    }

    /// Checks every relation's files in `newPgdata` against `oldPgdata` and returns what the check covered;
    /// throws naming the relations whose files are missing or are not the old ones.
    static func check(_ relations: [RelationFile], oldPgdata: String, newPgdata: String, mode: UpshiftPlan.TransferMode,
                      newMajor: Int) throws -> StructuralProofResult {
        let match = match(for: mode)
        var coverage = StructuralProofResult(stage: .files, relations: 0, match: match)
        var problems: [String] = []
        var tablespaceFolders: [String: String] = [:]
        for relation in relations where relation.filesCarried {
            guard let newPath = try newRelativePath(relation.path, newPgdata: newPgdata, newMajor: newMajor, cache: &tablespaceFolders) else {
                problems.append("\(relation.name): no PostgreSQL \(newMajor) folder in its tablespace (\(relation.path))")
                continue
            }
            coverage.relations += 1
            var segment = 0
            while true {
                let suffix = segment == 0 ? "" : ".\(segment)"
                let old = oldPgdata + "/" + relation.path + suffix
                let new = newPgdata + "/" + newPath + suffix
                let oldFile = FileFacts(path: old)
                let newFile = FileFacts(path: new)
                // The old cluster's segments say how many there are; a swap moved them, so then the new ones do.
                let exists = match == .present ? newFile != nil : oldFile != nil
                if !exists {
                    if segment == 0 { problems.append("\(relation.name): \(match == .present ? new : old) is missing") }
                    break
                }
                guard let newFile else {
                    problems.append("\(relation.name): \(newPath + suffix) is missing in the new cluster")
                    break
                }
                if let oldFile {
                    if match == .sameFile, oldFile.identity != newFile.identity {
                        problems.append("\(relation.name): \(newPath + suffix) is not the old cluster's file (another inode)")
                    } else if match != .sameFile, oldFile.size != newFile.size {
                        problems.append("\(relation.name): \(newPath + suffix) holds \(newFile.size) bytes, the old file \(oldFile.size)")
                    }
                }
                coverage.files += 1
                coverage.bytes += newFile.size
                segment += 1
            }
        }
        guard problems.isEmpty else {
            throw AgentError("the structural proof found \(problems.count) relations not carried into the new cluster: "
                             + problems.prefix(10).joined(separator: "; "))
        }
        return coverage
    }

    /// `relation.path` as the new cluster names it: the same, but for a tablespace's version folder.
    private static func newRelativePath(_ path: String, newPgdata: String, newMajor: Int, cache: inout [String: String]) throws -> String? {
        let parts = path.split(separator: "/").map(String.init)
        guard parts.first == "pg_tblspc", parts.count > 3 else { return path }
        let oid = parts[1]
        if cache[oid] == nil {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "\(newPgdata)/pg_tblspc/\(oid)")) ?? []
            cache[oid] = entries.first { $0.hasPrefix("PG_\(newMajor)_") }
        }
        guard let folder = cache[oid] else { return nil }
        return (["pg_tblspc", oid, folder] + parts.dropFirst(3)).joined(separator: "/")
    }

    /// The names of the old relations the new catalog lacks (checked after writes resume).
    static func missing(_ relations: [RelationFile], connect: (String) throws -> PostgresConnection) throws -> [String] {
        let present = Set(try Self.relations(connect: connect).map(\.name))
        return relations.map(\.name).filter { !present.contains($0) }
    }
}

/// A file's device, inode and size, or nil when there is no such file.
private struct FileFacts {
    let identity: [UInt64]
    let size: Int64

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        identity = [UInt64(info.st_dev), UInt64(info.st_ino)]
        size = Int64(info.st_size)
    }
}
