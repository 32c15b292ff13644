import Foundation
import Glibc
import Testing
import UpshiftWire
@testable import UpshiftAgent
import UpshiftPostgres
import UpshiftTestSupport

/// The pg_upgrade docs' standby procedure, end to end on real servers: a 15 primary and its streaming
/// standby, pg_upgrade --link to 17 on the primary, the one-time daemon on the primary, the pull on the standby.
@Suite struct SyncStandbyTests {
    @Test func upgradedStandbyLinksItsOwnFilesAndStreamsFromTheNewPrimary() throws {
        let primaryHost = try ScratchDir(prefix: "up-sp")
        let standbyHost = try ScratchDir(prefix: "up-ss")
        defer { standbyHost.remove(); primaryHost.remove() }
        let bin15 = try TestPostgres.bindir("15"), bin17 = try TestPostgres.bindir("17")

        // The old primary: pgbench data, and a table in a tablespace outside the data directory.
        let primaryTablespace = try primaryHost.subdirectory("ts")
        let oldPrimary = try TestCluster(version: "15", in: primaryHost, name: "old")
        try oldPrimary.psql("CREATE TABLESPACE extra LOCATION '\(primaryTablespace)'")
        try oldPrimary.psql("CREATE TABLE in_extra (n int) TABLESPACE extra; INSERT INTO in_extra SELECT generate_series(1, 500)")
        try runAsPostgres(["\(bin15)/pgbench", "-i", "-s", "1", "-q", "-h", oldPrimary.socketDir, "-p", "\(oldPrimary.port)",
                           "-U", "postgres", "postgres"]).requireSuccess()
        let accountsFile = try oldPrimary.psql("SELECT pg_relation_filepath('pgbench_accounts')")

        // Its streaming standby, whose tablespace lives elsewhere (pg_basebackup -T).
        let standbyTablespace = try standbyHost.subdirectory("ts")
        let oldStandby = try SyncTestServer(bindir: bin15, pgdata: "\(standbyHost.path)/old",
                                            socketDir: try standbyHost.subdirectory("old.s"), logFile: "\(standbyHost.path)/old.log")
        var backup = BasebackupOptions(source: oldPrimary.target, pgdata: oldStandby.pgdata).invocation(try TestPostgres.binaries("15"))
        backup.arguments += ["-T", "\(primaryTablespace)=\(standbyTablespace)"]
        try postgresLauncher.run(backup).requireSuccess()
        try oldStandby.start()
        try waitUntil("the 15 standby to stream") {
            try oldPrimary.psql("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") == "1"
        }

        // The docs: stop the primary, then the standby once it has replayed everything; checkpoints must match.
        try oldPrimary.stop()
        let binaries15 = try TestPostgres.binaries("15")
        let primaryCheckpoint = try ControlData.read(binaries15, pgdata: oldPrimary.pgdata, launcher: postgresLauncher)
            .latestCheckpointLocation
        try waitUntil("the standby to replay the shutdown checkpoint") {
            try oldStandby.value("SELECT pg_last_wal_replay_lsn() > '\(primaryCheckpoint)'::pg_lsn") == "t"
        }
        try oldStandby.stop()
        #expect(try ControlData.read(binaries15, pgdata: oldStandby.pgdata, launcher: postgresLauncher)
            .latestCheckpointLocation == primaryCheckpoint)

        // pg_upgrade --link on the primary.
        let newPgdata = "\(primaryHost.path)/new"
        try postgresLauncher.run(InitDBOptions(pgdata: newPgdata, encoding: "UTF8", locale: "C", username: "postgres",
                                               authMethod: "trust").invocation(try TestPostgres.binaries("17"), major: 17))
            .requireSuccess()
        let upgrade = PgUpgradeOptions(oldBindir: bin15, newBindir: bin17, oldDatadir: oldPrimary.pgdata, newDatadir: newPgdata,
                                       mode: .link, oldPort: try freePort(), newPort: try freePort(), username: "postgres",
                                       socketDir: try primaryHost.subdirectory("up.s"))
        try postgresLauncher.run(upgrade.invocation(workingDirectory: try primaryHost.subdirectory("upgrade"))).requireSuccess()

        // What the standby has before the sync, to tell its own files from sent ones afterwards.
        try writeFiles(["primary-only.txt": "not data"], under: primaryHost.path)
        try writeFiles(["standby-only.txt": "kept"], under: standbyHost.path)
        let ownAccountsInode = try #require(fileStatus("\(oldStandby.pgdata)/\(accountsFile)")).st_ino
        let ownWAL = entries(under: "\(oldStandby.pgdata)/pg_wal")

        // The sync: the daemon on the primary, the pull on the standby.
        let layout = try SyncLayout(oldPgdata: oldPrimary.pgdata, newPgdata: newPgdata)
        let tablespaces = try SyncTablespace.discover(in: layout)
        let tablespace = try #require(tablespaces.first)
        #expect(tablespaces.count == 1 && tablespace.location == primaryTablespace)
        let secret = RsyncSender.makeSecret()
        let sender = try RsyncSender(layout: layout, tablespaces: tablespaces, address: "127.0.0.1", secret: secret,
                                     scratchDirectory: try primaryHost.subdirectory("rsyncd"), launcher: postgresLauncher)
        defer { sender.stop() }
        let standby = try SyncLayout.standby(oldPgdata: oldStandby.pgdata, newPgdata: "\(standbyHost.path)/new", matching: layout)
        var progress: [RsyncProgress] = []
        let stats = try StandbySyncPull(primary: (host: "127.0.0.1", port: sender.port, secret: secret),
                                        oldName: standby.oldName, newName: standby.newName,
                                        destinationParent: standby.parent, tablespaces: tablespaces,
                                        launcher: postgresLauncher).run { progress.append($0) }
        sender.stop()
        #expect(!tcpPortAccepts(address: "127.0.0.1", port: sender.port))
        #expect(progress.last?.filesRemaining == 0)

        // Every file pg_upgrade linked on the primary is linked on the standby too: new and old share an inode.
        // (pgbench's four tables and three indexes; in_extra's heap and free space map.)
        let linkedSets = [(layout.parent, standby.parent, [layout.oldName, layout.newName], 7),
                          (primaryTablespace, standbyTablespace, [tablespace.oldSubdir, tablespace.newSubdir], 2)]
        for (root, standbyRoot, folders, atLeast) in linkedSets {
            let groups = hardLinkGroups(under: root, within: folders)
            #expect(groups.count >= atLeast, "pg_upgrade --link left linked relation files under \(root)")
            for group in groups {
                let inodes = Set(group.map { fileStatus("\(standbyRoot)/\($0)")?.st_ino })
                #expect(inodes.count == 1 && !inodes.contains(nil), "\(group) on the standby")
            }
        }
        let newAccounts = try #require(fileStatus("\(standby.newPgdata)/\(accountsFile)"))
        #expect(newAccounts.st_ino == ownAccountsInode, "pgbench_accounts is the standby's own file, not a copy")

        // The old cluster's WAL was neither sent nor deleted, and nothing else of either parent moved.
        let primaryOldWAL = entries(under: "\(layout.oldPgdata)/pg_wal")
        #expect(!primaryOldWAL.isEmpty)
        #expect(entries(under: "\(standby.oldPgdata)/pg_wal") == ownWAL)
        func listed(_ root: String, skipping: Set<String>) -> Int {
            entries(under: root, skipping: skipping).filter { !$0.hasPrefix("postmaster.") }.count + 1
        }
        // The old pg_wal folder itself is left out too (each standby keeps its own, link or folder).
        let expectedFiles = listed(layout.oldPgdata, skipping: ["pg_wal", "pg_tblspc"]) - 1
            + listed(layout.newPgdata, skipping: ["pg_tblspc"])
            + listed("\(primaryTablespace)/\(tablespace.oldSubdir)", skipping: [])
            + listed("\(primaryTablespace)/\(tablespace.newSubdir)", skipping: [])
        #expect(stats.files == expectedFiles, "the file list holds no old WAL segment")
        #expect(!FileManager.default.fileExists(atPath: "\(standby.parent)/primary-only.txt"))
        #expect(FileManager.default.fileExists(atPath: "\(standby.parent)/standby-only.txt"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(standby.newPgdata)/pg_tblspc/\(tablespace.oid)")
            == standbyTablespace)

        // The new primary starts; the new standby follows it and answers.
        let newPrimary = try SyncTestServer(bindir: bin17, pgdata: newPgdata, socketDir: try primaryHost.subdirectory("new.s"),
                                            logFile: "\(primaryHost.path)/new.log")
        try newPrimary.start()
        let newStandby = try SyncTestServer(bindir: bin17, pgdata: standby.newPgdata,
                                            socketDir: try standbyHost.subdirectory("new.s"), logFile: "\(standbyHost.path)/new.log")
        try writeFiles(["standby.signal": "",
                        "postgresql.auto.conf": "primary_conninfo = 'host=\(newPrimary.socketDir) port=\(newPrimary.port) "
                            + "user=postgres application_name=standby1'\n"], under: standby.newPgdata)
        try newStandby.start()
        try waitUntil("the upgraded standby to stream from the new primary") {
            try newPrimary.value("SELECT count(*) FROM pg_stat_replication WHERE application_name = 'standby1' AND state = 'streaming'") == "1"
        }
        #expect(try newStandby.value("SELECT pg_is_in_recovery()") == "t")
        #expect(try newStandby.value("SELECT count(*) FROM pgbench_accounts") == "100000")
        #expect(try newStandby.value("SELECT sum(n) FROM in_extra") == "125250")
        _ = try newPrimary.value("INSERT INTO in_extra VALUES (1000) RETURNING n")
        try waitUntil("a new write to reach the standby") {
            try newStandby.value("SELECT count(*) FROM in_extra WHERE n = 1000") == "1"
        }
        try newStandby.stop()
        try newPrimary.stop()
    }
}
