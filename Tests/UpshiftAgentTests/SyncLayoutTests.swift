import Foundation
import Testing
@testable import UpshiftAgent
import UpshiftTestSupport

/// What the standby sync refuses, and how it says so.
@Suite struct SyncLayoutTests {
    @Test func standbyNamesMustMatchThePrimarysAndTheErrorNamesBothPaths() throws {
        let primary = try SyncLayout(oldPgdata: "/srv/pg/15", newPgdata: "/srv/pg/17")
        #expect(primary == SyncLayout(parent: "/srv/pg", oldName: "15", newName: "17"))
        #expect(try SyncLayout.standby(oldPgdata: "/data/15", newPgdata: "/data/17/", matching: primary).parent == "/data")

        let error = try #require(throws: SyncError.self) {
            try SyncLayout.standby(oldPgdata: "/data/main", newPgdata: "/data/17", matching: primary)
        }
        #expect(error == .namesDiffer(primary: "/srv/pg/15", standby: "/data/main"))
        #expect(error.description.contains("/srv/pg/15") && error.description.contains("/data/main"))
        #expect(throws: SyncError.namesDiffer(primary: "/srv/pg/17", standby: "/data/17-new")) {
            try SyncLayout.standby(oldPgdata: "/data/15", newPgdata: "/data/17-new", matching: primary)
        }
    }

    @Test func primaryDirectoriesMustBeSiblingsWithPlainNames() throws {
        let error = try #require(throws: SyncError.self) {
            try SyncLayout(oldPgdata: "/var/lib/postgresql/15/main", newPgdata: "/var/lib/postgresql/17/main")
        }
        #expect(error.description.contains("/var/lib/postgresql/15/main") && error.description.contains("/var/lib/postgresql/17/main"))
        #expect(throws: SyncError.self) { try SyncLayout(oldPgdata: "relative/old", newPgdata: "relative/new") }
        #expect(throws: SyncError.self) { try SyncLayout(oldPgdata: "/srv/pg/old*", newPgdata: "/srv/pg/new") }
        #expect(throws: SyncError.self) { try SyncLayout(oldPgdata: "/srv/pg/same", newPgdata: "/srv/pg/same") }
    }

    @Test func aRelocatedNewWALIsRefused() throws {
        let dir = try ScratchDir(prefix: "up-sl")
        defer { dir.remove() }
        try writeFiles(["p/old/PG_VERSION": "15\n", "p/old/pg_wal/000000010000000000000001": "wal",
                        "wal-volume/000000010000000000000001": "wal"], under: dir.path)
        try FileManager.default.createDirectory(atPath: "\(dir.path)/p/new", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: "\(dir.path)/p/new/pg_wal", withDestinationPath: "\(dir.path)/wal-volume")
        let layout = try SyncLayout(oldPgdata: "\(dir.path)/p/old", newPgdata: "\(dir.path)/p/new")
        let expected = SyncError.relocatedWAL(pgdata: layout.newPgdata, target: "\(dir.path)/wal-volume")
        #expect(throws: expected) {
            try RsyncSender(layout: layout, tablespaces: [], address: "127.0.0.1", secret: "s3cret",
                            scratchDirectory: try dir.subdirectory("rsyncd"), launcher: postgresLauncher)
        }
        #expect(expected.description.contains("pg_basebackup"))
        let pull = StandbySyncPull(primary: (host: "127.0.0.1", port: 1, secret: "s3cret"), oldName: "old", newName: "new",
                                   destinationParent: "\(dir.path)/p", launcher: postgresLauncher)
        #expect(throws: expected) { try pull.run { _ in } }
    }

    @Test func standbyWithoutItsOldDirectoryOrWithAnUnknownTablespaceIsRefused() throws {
        let dir = try ScratchDir(prefix: "up-sl")
        defer { dir.remove() }
        try writeFiles(["s/old/PG_VERSION": "15\n", "elsewhere/PG_15_202209061/5/100": "relation"], under: dir.path)
        try FileManager.default.createDirectory(atPath: "\(dir.path)/s/old/pg_tblspc", withIntermediateDirectories: true)
        let missing = StandbySyncPull(primary: (host: "127.0.0.1", port: 1, secret: "s3cret"), oldName: "main",
                                      newName: "new", destinationParent: "\(dir.path)/s", launcher: postgresLauncher)
        let error = try #require(throws: SyncError.self) { try missing.run { _ in } }
        #expect(error == .missingDirectory("\(dir.path)/s/main", role: "this standby's old data directory"))

        try FileManager.default.createSymbolicLink(atPath: "\(dir.path)/s/old/pg_tblspc/16400",
                                                   withDestinationPath: "\(dir.path)/elsewhere")
        let unknown = StandbySyncPull(primary: (host: "127.0.0.1", port: 1, secret: "s3cret"), oldName: "old",
                                      newName: "new", destinationParent: "\(dir.path)/s", launcher: postgresLauncher)
        let tablespaceError = try #require(throws: SyncError.self) { try unknown.run { _ in } }
        #expect(tablespaceError.description.contains("16400") && tablespaceError.description.contains("\(dir.path)/elsewhere"))
    }
}
