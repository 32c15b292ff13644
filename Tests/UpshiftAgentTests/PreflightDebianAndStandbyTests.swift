import Foundation
import Testing
@testable import UpshiftAgent
import UpshiftPostgres
import UpshiftTestSupport
import UpshiftWire

/// What only a rehearsal finds (Debian 15.20's `pg_attver`), what a new build lacks, and standbys.
@Suite struct PreflightDebianAndStandbyTests {
    @Test func debian15ClusterPassesTheCheckButNotTheSchemaRestoreAndLacksPgcryptoIn18() throws {
        let dir = try ScratchDir(prefix: "pf-deb")
        defer { dir.remove() }
        let old = try TestCluster(version: "15-debian", in: dir, name: "old",
                                  settings: ["shared_preload_libraries": "pgcrypto"])
        try old.psql("create extension pgcrypto; create table accounts(id int primary key, secret bytea)")
        let scratch = try dir.subdirectory("scratch")

        let to17 = try runPreflight(try inplacePlan(from: "15-debian", to: "17", hosts: [primaryHost(old, in: dir)]),
                                    host: "db1", scratch: scratch)
        #expect(to17["pg_upgrade-check"]?.verdict == .pass, "\(to17.listing)")
        #expect(to17["extensions"]?.verdict == .pass, "\(to17.listing)")
        let restore = try #require(to17["schema-restore"])
        #expect(restore.verdict == .fail)
        #expect(restore.detail.contains("unrecognized parameter \"pg_attver\""), "\(restore.detail)")
        #expect(restore.detail.contains("CREATE TABLE public.accounts"), "\(restore.detail)")

        var quick = PreflightLimits()
        quick.schemaRestore = false
        let to18 = try runPreflight(try inplacePlan(from: "15-debian", to: "18", hosts: [primaryHost(old, in: dir)]),
                                    host: "db1", scratch: scratch, limits: quick)
        let extensions = try #require(to18["extensions"])
        #expect(extensions.verdict == .fail)
        #expect(extensions.detail.contains("pgcrypto (in postgres)"), "\(extensions.detail)")
        let preload = try #require(to18["shared-preload-libraries"])
        #expect(preload.verdict == .fail)
        #expect(preload.detail.contains("no module for pgcrypto"), "\(preload.detail)")
        // pg_upgrade finds the library missing too, and the file it names is quoted.
        let check = try #require(to18["pg_upgrade-check"])
        #expect(check.verdict == .fail)
        #expect(check.detail.contains("loadable_libraries.txt: could not load library \"$libdir/pgcrypto\""), "\(check.detail)")
        #expect(try entries(scratch).isEmpty)
    }

    @Test func aStreamingStandbyPassesAndFailsReplayLagOncePausedBehind() throws {
        let dir = try ScratchDir(prefix: "pf-sb")
        defer { dir.remove() }
        let primary = try TestCluster(version: "15", in: dir, name: "pri")
        let standby = try StartedStandby(of: primary, in: dir)
        defer { standby.stop() }
        let plan = try inplacePlan(from: "15", to: "17", hosts: [
            primaryHost(primary, in: dir),
            TestHost(name: "db2", role: "standby", pgdata: standby.pgdata, port: standby.port, newPgdata: dir.path + "/sb17"),
        ])
        let scratch = try dir.subdirectory("scratch")

        let caughtUp = try runPreflight(plan, host: "db2", scratch: scratch)
        #expect(caughtUp.names == ["old-bindir", "new-bindir", "new-pgdata", "old-cluster-running", "disk",
                                   "standby-streaming", "replay-lag"])
        #expect(caughtUp.all.allSatisfy { $0.verdict == .pass }, "\(caughtUp.listing)")
        #expect(caughtUp["replay-lag"]?.detail.contains("behind the primary's current WAL position") == true)

        try standby.psql("select pg_wal_replay_pause()")
        try primary.psql("create table filler as select g, repeat('x', 200) pad from generate_series(1, 2000) g")
        try waitUntil { try standby.psql("select pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()") == "t" }
        var strict = PreflightLimits()
        strict.maxReplayLagBytes = 64 << 10
        let behind = try runPreflight(plan, host: "db2", scratch: scratch, limits: strict)
        #expect(behind["standby-streaming"]?.verdict == .pass)
        let lag = try #require(behind["replay-lag"])
        #expect(lag.verdict == .fail, "\(lag.detail)")
        #expect(lag.remedy != nil)

        // The plan calling the primary a standby is caught before anything else is read.
        let swapped = try inplacePlan(from: "15", to: "17", hosts: [
            TestHost(name: "db1", role: "standby", pgdata: primary.pgdata, port: primary.port, newPgdata: dir.path + "/x"),
            TestHost(name: "db2", role: "primary", pgdata: standby.pgdata, port: standby.port, newPgdata: dir.path + "/y"),
        ])
        let misnamed = try runPreflight(swapped, host: "db1", scratch: scratch)
        #expect(misnamed["old-cluster-running"]?.verdict == .fail)
        #expect(misnamed["old-cluster-running"]?.detail.contains("not in recovery (a primary); the plan says standby") == true)
        #expect(misnamed["standby-streaming"] == nil)
    }
}

/// A streaming standby of `primary` made with pg_basebackup -R, started on its own port and socket directory.
final class StartedStandby {
    let pgdata: String
    let port: Int
    let socketDir: String
    let binaries: PostgresBinaries

    init(of primary: TestCluster, in dir: ScratchDir) throws {
        binaries = primary.binaries
        pgdata = dir.path + "/sb"
        socketDir = try dir.subdirectory("sb.s")
        port = try freePort()
        try postgresLauncher.run(ProgramInvocation(binaries.path("pg_basebackup"), [
            "-h", "127.0.0.1", "-p", String(primary.port), "-U", "postgres", "-D", pgdata, "-R", "-X", "stream",
        ])).requireSuccess()
        let options = ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=\(socketDir)",
                       "-c", "port=\(port)", "-c", "fsync=off"]
        try postgresLauncher.run(PgCtl(binaries, pgdata: pgdata).start(logFile: dir.path + "/sb.log", serverOptions: options))
            .requireSuccess()
        try waitUntil { try self.psql("select count(*) from pg_stat_wal_receiver where status = 'streaming'") == "1" }
    }

    @discardableResult
    func psql(_ sql: String) throws -> String {
        let connection = try PostgresConnection(conninfo: "host=\(socketDir) port=\(port) user=postgres dbname=postgres")
        defer { connection.close() }
        return try connection.simpleQuery(sql).rows.map { $0.map { $0 ?? "" }.joined(separator: "|") }.joined(separator: "\n")
    }

    func stop() {
        _ = try? postgresLauncher.run(PgCtl(binaries, pgdata: pgdata).stop(mode: .immediate))
    }
}

/// Polls `condition` every 50 ms for up to 10 s; throws when it never holds.
func waitUntil(_ condition: () throws -> Bool) throws {
    let deadline = ContinuousClock.now + .seconds(10)
    while ContinuousClock.now < deadline {
        if try condition() { return }
        Thread.sleep(forTimeInterval: 0.05)
    }
    throw TestSetupError("a condition the test waits for did not hold within 10 s")
}
