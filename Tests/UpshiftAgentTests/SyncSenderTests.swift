import Foundation
import Glibc
import Testing
@testable import UpshiftAgent
import UpshiftPostgres
import UpshiftTestSupport

/// The one-time rsync daemon and the pull against it, on small trees (no PostgreSQL needed).
@Suite struct SyncSenderTests {
    /// A primary-like folder: old/ and new/ sharing a hard-linked "relation", old WAL, and an unrelated file;
    /// and a standby-like folder holding only its own old/ (same relation size) and a file of its own.
    private func makeHosts(_ dir: ScratchDir) throws -> (primary: SyncLayout, standby: SyncLayout) {
        let primary = try dir.subdirectory("p")
        try writeFiles(["old/base/5/100": "relation", "old/PG_VERSION": "15\n", "old/postmaster.opts": "old opts",
                        "old/pg_wal/000000010000000000000001": "old wal", "new/PG_VERSION": "17\n",
                        "new/pg_wal/000000010000000000000002": "new wal", "primary-only.txt": "not data"], under: primary)
        try FileManager.default.createDirectory(atPath: "\(primary)/new/base/5", withIntermediateDirectories: true)
        try FileManager.default.linkItem(atPath: "\(primary)/old/base/5/100", toPath: "\(primary)/new/base/5/100")
        let standby = try dir.subdirectory("s")
        try writeFiles(["old/base/5/100": "RELATION", "old/PG_VERSION": "15\n", "old/pg_wal/000000010000000000000000": "own",
                        "keep-me.txt": "standby's own"], under: standby)
        for folder in ["\(primary)/old/pg_tblspc", "\(primary)/new/pg_tblspc", "\(standby)/old/pg_tblspc"] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        try writeFiles([:], under: dir.path)
        return (try SyncLayout(oldPgdata: "\(primary)/old", newPgdata: "\(primary)/new"),
                try SyncLayout(oldPgdata: "\(standby)/old", newPgdata: "\(standby)/new"))
    }

    private func pull(_ sender: RsyncSender, secret: String, into standby: SyncLayout) -> StandbySyncPull {
        StandbySyncPull(primary: (host: "127.0.0.1", port: sender.port, secret: secret), oldName: standby.oldName,
                        newName: standby.newName, destinationParent: standby.parent, launcher: postgresLauncher)
    }

    /// The daemon serves the plan's upgraded standbys only: any other address is refused, even with the secret.
    @Test func anAddressNotAmongTheStandbysIsRefusedWithTheRightSecret() throws {
        let dir = try ScratchDir(prefix: "up-sh")
        defer { dir.remove() }
        let (primary, standby) = try makeHosts(dir)
        let secret = RsyncSender.makeSecret()
        // 192.0.2.10 (TEST-NET-1) stands for the one standby; this test pulls from 127.0.0.1.
        let sender = try RsyncSender(layout: primary, tablespaces: [], address: "127.0.0.1", secret: secret,
                                     scratchDirectory: try dir.subdirectory("rsyncd"), allowedHosts: ["192.0.2.10"],
                                     launcher: postgresLauncher)
        defer { sender.stop() }
        #expect(throws: SyncError.addressRefused(host: "127.0.0.1", port: sender.port)) {
            try pull(sender, secret: secret, into: standby).run { _ in }
        }
        #expect(!FileManager.default.fileExists(atPath: standby.newPgdata), "nothing was sent")
        #expect(try String(contentsOfFile: "\(standby.oldPgdata)/base/5/100", encoding: .utf8) == "RELATION")
    }

    @Test func wrongSecretIsRefusedAndTheRightOneGetsHardLinkedDataDirectoriesOnly() throws {
        let dir = try ScratchDir(prefix: "up-sy")
        defer { dir.remove() }
        let (primary, standby) = try makeHosts(dir)
        let secret = RsyncSender.makeSecret()
        let sender = try RsyncSender(layout: primary, tablespaces: [], address: "127.0.0.1", secret: secret,
                                     scratchDirectory: try dir.subdirectory("rsyncd"), launcher: postgresLauncher)
        defer { sender.stop() }

        #expect(throws: SyncError.authenticationFailed(host: "127.0.0.1", port: sender.port)) {
            try pull(sender, secret: "not-the-secret", into: standby).run { _ in }
        }
        #expect(!FileManager.default.fileExists(atPath: standby.newPgdata))

        let ownInode = try #require(fileStatus("\(standby.oldPgdata)/base/5/100")).st_ino
        var progress: [RsyncProgress] = []
        let stats = try pull(sender, secret: secret, into: standby).run { progress.append($0) }
        let linked = try #require(fileStatus("\(standby.newPgdata)/base/5/100"))
        #expect(linked.st_ino == ownInode && linked.st_nlink == 2, "the new relation is the standby's own old file")
        #expect(try String(contentsOfFile: "\(standby.newPgdata)/pg_wal/000000010000000000000002", encoding: .utf8) == "new wal")
        #expect(entries(under: "\(standby.oldPgdata)/pg_wal") == ["000000010000000000000000"], "old WAL neither sent nor deleted")
        #expect(!FileManager.default.fileExists(atPath: "\(standby.oldPgdata)/postmaster.opts"))
        #expect(!FileManager.default.fileExists(atPath: "\(standby.parent)/primary-only.txt"))
        #expect(FileManager.default.fileExists(atPath: "\(standby.parent)/keep-me.txt"))
        #expect(try String(contentsOfFile: "\(standby.newPgdata)/base/5/100", encoding: .utf8) == "RELATION")
        // old, old/base, old/base/5, old/base/5/100, old/PG_VERSION, old/pg_tblspc (old/pg_wal is left out); new has its WAL.
        #expect(stats.files == 14 && stats.filesByKind["reg"] == 5)
        #expect(stats.regularFilesTransferred == 2, "new PG_VERSION and new WAL; the relation is linked, old WAL left out")
        #expect(progress.last?.filesRemaining == 0)
    }

    @Test func relocatedOldWALStaysWhereEachHostKeepsIt() throws {
        let dir = try ScratchDir(prefix: "up-sw")
        defer { dir.remove() }
        let (primary, standby) = try makeHosts(dir)
        // Both old clusters keep their WAL on a volume of their own, each at a different path.
        for (layout, volume) in [(primary, "wal-primary"), (standby, "wal-standby")] {
            let wal = "\(layout.oldPgdata)/pg_wal"
            try FileManager.default.moveItem(atPath: wal, toPath: "\(dir.path)/\(volume)")
            try FileManager.default.createSymbolicLink(atPath: wal, withDestinationPath: "\(dir.path)/\(volume)")
        }
        let secret = RsyncSender.makeSecret()
        let sender = try RsyncSender(layout: primary, tablespaces: [], address: "127.0.0.1", secret: secret,
                                     scratchDirectory: try dir.subdirectory("rsyncd"), launcher: postgresLauncher)
        defer { sender.stop() }
        _ = try pull(sender, secret: secret, into: standby).run { _ in }
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(standby.oldPgdata)/pg_wal") == "\(dir.path)/wal-standby")
        #expect(entries(under: "\(dir.path)/wal-standby") == ["000000010000000000000000"], "the standby's own old WAL is untouched")
        #expect(try String(contentsOfFile: "\(standby.newPgdata)/pg_wal/000000010000000000000002", encoding: .utf8) == "new wal")
        let linked = try #require(fileStatus("\(standby.newPgdata)/base/5/100"))
        #expect(linked.st_nlink == 2)
    }

    @Test func daemonServesNothingButTheNamedDirectories() throws {
        let dir = try ScratchDir(prefix: "up-sy")
        defer { dir.remove() }
        let (primary, _) = try makeHosts(dir)
        let secret = RsyncSender.makeSecret()
        let sender = try RsyncSender(layout: primary, tablespaces: [], address: "127.0.0.1", secret: secret,
                                     scratchDirectory: try dir.subdirectory("rsyncd"), launcher: postgresLauncher)
        defer { sender.stop() }
        let target = try dir.subdirectory("fetched")
        let url = "rsync://upshift@127.0.0.1:\(sender.port)/upshift/primary-only.txt"
        let result = try runAsPostgres(["rsync", url, target + "/"], environment: ["RSYNC_PASSWORD": secret])
        #expect(!result.succeeded)
        #expect(!FileManager.default.fileExists(atPath: target + "/primary-only.txt"))
        let config = try #require(fileStatus(sender.files.config)), secrets = try #require(fileStatus(sender.files.secrets))
        #expect(config.st_mode & 0o777 == 0o600 && secrets.st_mode & 0o777 == 0o600)
        #expect(!(try String(contentsOfFile: sender.files.config, encoding: .utf8)).contains(secret))
    }

    @Test func stoppedSenderClosesItsPortEndsItsProcessAndForgetsTheSecret() throws {
        let dir = try ScratchDir(prefix: "up-sy")
        defer { dir.remove() }
        let root = try dir.subdirectory("p")
        let sender = try RsyncSender(root: root, address: "127.0.0.1", secret: RsyncSender.makeSecret(),
                                     scratchDirectory: try dir.subdirectory("rsyncd"), launcher: postgresLauncher)
        let pid = try #require(sender.daemonPID)
        #expect(ProcessTable.isLive(pid) && rsyncDaemonAnswers(address: "127.0.0.1", port: sender.port))
        sender.stop()
        #expect(!tcpPortAccepts(address: "127.0.0.1", port: sender.port))
        #expect(!ProcessTable.isLive(pid))
        #expect(!FileManager.default.fileExists(atPath: sender.files.secrets))
        sender.stop()
    }

    @Test func releasingTheSenderStopsTheDaemon() throws {
        let dir = try ScratchDir(prefix: "up-sy")
        defer { dir.remove() }
        var sender: RsyncSender? = try RsyncSender(root: try dir.subdirectory("p"), address: "127.0.0.1",
                                                   secret: RsyncSender.makeSecret(),
                                                   scratchDirectory: try dir.subdirectory("rsyncd"), launcher: postgresLauncher)
        let port = try #require(sender?.port)
        let pid = try #require(sender?.daemonPID)
        sender = nil
        #expect(!tcpPortAccepts(address: "127.0.0.1", port: port) && !ProcessTable.isLive(pid))
    }

    @Test func aLaterAgentFindsAndStopsALeftoverDaemon() throws {
        let dir = try ScratchDir(prefix: "up-sy")
        defer { dir.remove() }
        let scratch = try dir.subdirectory("rsyncd")
        let sender = try RsyncSender(root: try dir.subdirectory("p"), address: "127.0.0.1",
                                     secret: RsyncSender.makeSecret(), scratchDirectory: scratch, launcher: postgresLauncher)
        defer { sender.stop() }
        let pid = try #require(sender.daemonPID)
        // What a restarted agent knows: only the scratch directory.
        // The daemon, plus the per-connection child of its readiness probe when a loaded machine has not reaped it yet.
        #expect(try RsyncSender.stopLeftover(scratchDirectory: scratch) >= 1)
        #expect(!ProcessTable.isLive(pid) && !tcpPortAccepts(address: "127.0.0.1", port: sender.port))
        #expect(!FileManager.default.fileExists(atPath: "\(scratch)/rsyncd.secrets"))
        #expect(try RsyncSender.stopLeftover(scratchDirectory: scratch) == 0)
    }

    @Test func unusableSecretsAndAddressesAreRefusedBeforeAnythingStarts() throws {
        let dir = try ScratchDir(prefix: "up-sy")
        defer { dir.remove() }
        let root = try dir.subdirectory("p"), scratch = try dir.subdirectory("rsyncd")
        #expect(throws: SyncError.self) {
            try RsyncSender(root: root, address: "127.0.0.1", secret: "two words", scratchDirectory: scratch)
        }
        #expect(throws: AgentError.self) {
            try RsyncSender(root: root, address: "primary.example", secret: "s3cret", scratchDirectory: scratch)
        }
        #expect(RsyncSender.makeSecret() != RsyncSender.makeSecret())
        let port = try freeTCPPort(address: "127.0.0.1")
        #expect(port > 0 && !tcpPortAccepts(address: "127.0.0.1", port: port))
    }
}
