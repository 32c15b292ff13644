import Testing
@testable import UpshiftPostgres

/// Parsers on text copied from the real programs' output on this machine.
@Suite struct OutputParsingTests {
    @Test func pgUpgradePhases() {
        let step = PgUpgradeOutput.phase(of: "Checking cluster versions                                     ok")
        #expect(step == PgUpgradePhase(kind: .step, name: "Checking cluster versions", outcome: "ok"))
        let running = PgUpgradeOutput.phase(of: "Copying user relation files                                  ")
        #expect(running == PgUpgradePhase(kind: .step, name: "Copying user relation files", outcome: nil))
        let failed = PgUpgradeOutput.phase(of: "Checking for presence of required libraries                   fatal")
        #expect(failed?.outcome == "fatal")
        #expect(PgUpgradeOutput.phase(of: "Performing Upgrade")
            == PgUpgradePhase(kind: .section, name: "Performing Upgrade", outcome: nil))
        #expect(PgUpgradeOutput.phase(of: "*Clusters are compatible*")?.name == "Clusters are compatible")
        #expect(PgUpgradeOutput.phase(of: "If pg_upgrade fails after this point, you must re-initdb the") == nil)
        #expect(PgUpgradeOutput.phase(of: "------------------") == nil)
        #expect(PgUpgradeOutput.phase(of: "    /opt/upshift/pg/17/bin/vacuumdb --all --analyze-in-stages") == nil)
        #expect(PgUpgradeOutput.phase(of: "") == nil)
    }

    @Test func pgUpgradeFailureLog() {
        let output = """
        Consult the last few lines of "/d/new/pg_upgrade_output.d/20250101T000000.000/log/pg_upgrade_dump_5.log" for
        the probable cause of the failure.
        """
        #expect(PgUpgradeOutput.failureLog(in: output)
            == "/d/new/pg_upgrade_output.d/20250101T000000.000/log/pg_upgrade_dump_5.log")
        #expect(PgUpgradeOutput.failureLog(in: "Upgrade Complete") == nil)
    }

    @Test func vacuumdbStages() {
        let line = #"vacuumdb: processing database "shop": Generating minimal optimizer statistics (1 target)"#
        #expect(VacuumDB.stage(of: line) == VacuumdbStage(
            database: "shop", stage: 1, description: "Generating minimal optimizer statistics (1 target)"))
        #expect(VacuumDB.stage(of: #"vacuumdb: processing database "a": b": Generating medium optimizer statistics (10 targets)"#)?.database == "a")
        #expect(VacuumDB.stage(of: #"vacuumdb: processing database "x": Generating default (full) optimizer statistics"#)?.stage == 3)
        #expect(VacuumDB.stage(of: "vacuumdb: vacuuming database \"x\"") == nil)
    }

    @Test func rsyncProgressLines() {
        let line = "        600,000  66%  540.95MB/s    0:00:00 (xfr#2, to-chk=3/6)"
        #expect(RsyncOutput.progress(of: line) == RsyncProgress(
            bytes: 600_000, percent: 66, rate: "540.95MB/s", filesTransferred: 2, filesRemaining: 3, filesTotal: 6))
        let first = RsyncOutput.progress(of: "         32,768   3%    0.00kB/s    0:00:00  ")
        #expect(first?.bytes == 32_768 && first?.percent == 3 && first?.filesTransferred == nil)
        let incremental = RsyncOutput.progress(of: "  1,234,567  45%  12.34MB/s    0:00:01 (xfr#3, ir-chk=1000/2000)")
        #expect(incremental?.filesRemaining == 1000 && incremental?.filesTotal == 2000)
        #expect(RsyncOutput.progress(of: "Number of files: 6 (reg: 4, dir: 2)") == nil)
        #expect(RsyncOutput.progress(of: "sent 900,530 bytes  received 105 bytes  1,801,270.00 bytes/sec") == nil)
    }

    @Test func rsyncStats() throws {
        let output = """
        \r         32,768   3%    0.00kB/s    0:00:00  \r        900,003 100%  827.06MB/s    0:00:00 (xfr#4, to-chk=0/6)

        Number of files: 1,006 (reg: 1,000, dir: 5, link: 1)
        Number of created files: 6 (reg: 4, dir: 2)
        Number of regular files transferred: 4
        Total file size: 1,900,003 bytes
        Total transferred file size: 900,003 bytes
        """
        let stats = try RsyncOutput.stats(in: output)
        #expect(stats == RsyncStats(files: 1006, filesByKind: ["reg": 1000, "dir": 5, "link": 1],
                                    regularFilesTransferred: 4, totalFileSize: 1_900_003,
                                    transferredFileSize: 900_003))
        #expect(throws: OutputParseError.self) { try RsyncOutput.stats(in: "sent 1 bytes") }
    }

    @Test func basebackupProgress() {
        let progress = BasebackupOptions.progress(of: "22816/22816 kB (100%), 1/1 tablespace")
        #expect(progress?.doneKB == 22816 && progress?.totalKB == 22816)
        #expect(BasebackupOptions.progress(of: "    1024/22816 kB (4%), 0/1 tablespace (…/base/5/1259)")?.doneKB == 1024)
        #expect(BasebackupOptions.progress(of: "waiting for checkpoint") == nil)
    }

    @Test func controlDataNeedsItsKeyLines() throws {
        let output = """
        Database system identifier:           7710775872489074995
        Database cluster state:               in production
        Latest checkpoint location:           0/1500708
        Latest checkpoint's TimeLineID:       1
        Bytes per WAL segment:                16777216
        Data page checksum version:           1
        Catalog version number:               202209061
        """
        let data = try ControlData.parse(output)
        #expect(data.clusterState == "in production" && !data.isCleanlyShutDown)
        #expect(data.systemIdentifier == "7710775872489074995")
        #expect(data.dataChecksumVersion == 1 && data.walSegmentSize == 16 << 20)
        #expect(data.catalogVersion == 202209061 && data.timeline == 1)
        #expect(data.raw["Latest checkpoint's TimeLineID"] == "1")
        let missing = #expect(throws: OutputParseError.self) {
            try ControlData.parse(output.replacingOccurrences(of: "Database cluster state", with: "Zustand"))
        }
        #expect(missing?.description.contains("Database cluster state") == true)
    }
}
