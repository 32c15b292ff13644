import Foundation
import Testing
import UpshiftPostgres
import UpshiftTestSupport

/// initdb, pg_controldata, pg_ctl, pg_basebackup: the real programs of the installed builds.
@Suite struct ServerProgramTests {
    @Test func initdbChecksumAndSegmentSettingsShowInControlData() throws {
        let dir = try ScratchDir(prefix: "up-init")
        defer { dir.remove() }
        let pg18 = try TestPostgres.binaries("18")
        let pg15 = try TestPostgres.binaries("15")
        let cases: [(PostgresBinaries, Int, Bool?, Int?, Int, Int)] = [
            (pg18, 18, false, nil, 0, 16 << 20),
            (pg18, 18, nil, nil, 1, 16 << 20),
            (pg15, 15, nil, 32, 0, 32 << 20),
        ]
        for (index, (binaries, major, checksums, segment, wantChecksums, wantSegment)) in cases.enumerated() {
            let options = InitDBOptions(pgdata: "\(dir.path)/c\(index)", encoding: "UTF8", locale: "C",
                                        dataChecksums: checksums, walSegmentSizeMB: segment, username: "postgres")
            try postgresLauncher.run(options.invocation(binaries, major: major)).requireSuccess()
            let control = try ControlData.read(binaries, pgdata: options.pgdata, launcher: postgresLauncher)
            #expect(control.dataChecksumVersion == wantChecksums, "case \(index)")
            #expect(control.walSegmentSize == wantSegment, "case \(index)")
            #expect(control.clusterState == "shut down" && control.isCleanlyShutDown)
            #expect(control.latestCheckpointLocation.contains("/"))
        }
    }

    @Test func pgCtlStartsStopsAndReportsStatus() throws {
        try withTestCluster("18") { cluster in
            let ctl = PgCtl(cluster.binaries, pgdata: cluster.pgdata)
            let running = try PgCtl.parseStatus(postgresLauncher.run(ctl.status()))
            let pidFile = try String(contentsOfFile: cluster.pgdata + "/postmaster.pid", encoding: .utf8)
            #expect(running == .running(pid: Int(pidFile.split(separator: "\n")[0])!))
            try cluster.stop()
            #expect(try PgCtl.parseStatus(postgresLauncher.run(ctl.status())) == .notRunning)
            #expect(throws: PostgresError.self) { try cluster.connect() }
            try cluster.start()
            #expect(try cluster.psql("SELECT 1 + 1") == "2")
            let missing = PgCtl(cluster.binaries, pgdata: cluster.pgdata + "-nope").status()
            #expect(try PgCtl.parseStatus(postgresLauncher.run(missing)) == .noDataDirectory)
        }
    }

    @Test func basebackupBuildsAStandbyThatPromotes() throws {
        try withTestCluster("17") { primary in
            try primary.psql("CREATE TABLE t AS SELECT generate_series(1, 100) AS id")
            let dir = try ScratchDir(prefix: "up-sb")
            defer { dir.remove() }
            let standbyData = "\(dir.path)/standby"
            var progress: [(doneKB: Int, totalKB: Int)] = []
            let backup = BasebackupOptions(source: primary.target, pgdata: standbyData)
            try postgresLauncher.run(backup.invocation(primary.binaries)) { line in
                if line.isComplete, let step = BasebackupOptions.progress(of: line.text) { progress.append(step) }
            }.requireSuccess()
            #expect(progress.last.map { $0.doneKB == $0.totalKB && $0.totalKB > 1000 } == true)
            #expect(FileManager.default.fileExists(atPath: standbyData + "/standby.signal"))

            let port = try freePort()
            let ctl = PgCtl(primary.binaries, pgdata: standbyData)
            try postgresLauncher.run(ctl.start(logFile: "\(dir.path)/standby.log", serverOptions: [
                "-c", "port=\(port)", "-c", "unix_socket_directories=\(dir.path)", "-c", "listen_addresses=",
            ])).requireSuccess()
            defer { _ = try? postgresLauncher.run(ctl.stop(mode: .immediate)) }
            let standby = try PostgresConnection(conninfo: "host=\(dir.path) port=\(port) user=postgres dbname=postgres")
            #expect(try standby.query("SELECT pg_is_in_recovery(), count(*) FROM t").rows == [["t", "100"]])
            try postgresLauncher.run(ctl.promote()).requireSuccess()
            #expect(try standby.query("SELECT pg_is_in_recovery()").rows == [["f"]])
            try postgresLauncher.run(ctl.stop(mode: .fast)).requireSuccess()
            let control = try ControlData.read(primary.binaries, pgdata: standbyData, launcher: postgresLauncher)
            #expect(control.timeline == 2, "promotion starts a new timeline")
        }
    }
}
