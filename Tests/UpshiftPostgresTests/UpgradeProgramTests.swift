import Foundation
import Testing
@testable import UpshiftPostgres
import UpshiftTestSupport

/// pg_upgrade, vacuumdb, pg_dump/pg_restore on real clusters of the installed builds.
@Suite struct UpgradeProgramTests {
    /// Runs pg_upgrade as postgres from `dir`, collecting the phases it announces.
    func upgrade(_ options: PgUpgradeOptions, in dir: ScratchDir) throws -> (ProgramResult, [PgUpgradePhase]) {
        var phases: [PgUpgradePhase] = []
        let result = try postgresLauncher.run(options.invocation(workingDirectory: dir.path)) { line in
            if let phase = PgUpgradeOutput.phase(of: line.text) { phases.append(phase) }
        }
        return (result, phases)
    }

    func options(_ old: TestCluster, _ new: TestCluster, in dir: ScratchDir) throws -> PgUpgradeOptions {
        PgUpgradeOptions(oldBindir: old.bindir, newBindir: new.bindir, oldDatadir: old.pgdata, newDatadir: new.pgdata,
                         oldPort: try freePort(), newPort: try freePort(), username: "postgres", socketDir: dir.path)
    }

    @Test func checkPassesFrom15To17AndChangesNothing() throws {
        let dir = try ScratchDir(prefix: "up-chk")
        defer { dir.remove() }
        let old = try TestCluster(version: "15", in: dir, name: "old")
        let new = try TestCluster(version: "17", in: dir, name: "new")
        try old.stop()
        try new.stop()
        var check = try options(old, new, in: dir)
        check.check = true
        let (result, phases) = try upgrade(check, in: dir)
        try result.requireSuccess()
        #expect(phases.contains(PgUpgradePhase(kind: .step, name: "Checking cluster versions", outcome: "ok")))
        // A step seen while running (its unfinished line) is the step that then finishes.
        for (index, phase) in phases.enumerated() where phase.kind == .step && phase.outcome == nil {
            #expect(phases[index + 1].name == phase.name && phases[index + 1].outcome == "ok")
        }
        #expect(phases.first == PgUpgradePhase(kind: .section, name: "Performing Consistency Checks", outcome: nil))
        #expect(phases.last?.name == "Clusters are compatible")
        #expect(try ControlData.read(old.binaries, pgdata: old.pgdata, launcher: postgresLauncher).isCleanlyShutDown)
    }

    @Test func checkRefusesAChecksumMismatchAndTheErrorSaysWhy() throws {
        let dir = try ScratchDir(prefix: "up-mis")
        defer { dir.remove() }
        let old = try TestCluster(version: "15", in: dir, name: "old")
        let new = try TestCluster(version: "18", in: dir, name: "new")  // 18's default: checksums on
        try old.stop()
        try new.stop()
        var check = try options(old, new, in: dir)
        check.check = true
        let (result, _) = try upgrade(check, in: dir)
        let error = #expect(throws: ProgramError.self) { try result.requireSuccess() }
        #expect(error?.description.contains("pg_upgrade exited with status 1") == true)
        #expect(error?.description.contains("checksums") == true)
    }

    @Test func linkUpgradeFrom15To17KeepsRowsAndAnalyzeInStagesRuns() throws {
        let dir = try ScratchDir(prefix: "up-lnk")
        defer { dir.remove() }
        let old = try TestCluster(version: "15", in: dir, name: "old")
        try old.psql("CREATE TABLE orders AS SELECT g AS id, md5(g::text) AS note FROM generate_series(1, 5000) g")
        let new = try TestCluster(version: "17", in: dir, name: "new")
        try old.stop()
        try new.stop()
        var link = try options(old, new, in: dir)
        link.mode = .link
        link.jobs = 2
        let (result, phases) = try upgrade(link, in: dir)
        try result.requireSuccess()
        let names = phases.filter { $0.outcome == "ok" }.map(\.name)
        #expect(names.contains("Linking user relation files"))
        #expect(names.firstIndex(of: "Checking cluster versions")! < names.firstIndex(of: "Linking user relation files")!)
        #expect(phases.contains { $0.kind == .section && $0.name == "Upgrade Complete" })

        try new.start()
        #expect(try new.psql("SELECT count(*), max(id) FROM orders") == "5000|5000")
        var stages: [VacuumdbStage] = []
        try postgresLauncher.run(VacuumDB.analyzeInStages(new.binaries, target: new.target)) { line in
            if line.isComplete, let stage = VacuumDB.stage(of: line.text) { stages.append(stage) }
        }.requireSuccess()
        #expect(stages.filter { $0.database == "postgres" }.map(\.stage) == [1, 2, 3])
        #expect(try new.psql("SELECT count(*) > 0 FROM pg_stats WHERE tablename = 'orders'") == "t")
        try new.stop()
    }

    @Test func schemaRestoreRehearsalCatchesWhatCheckMisses() throws {
        // Debian's 15.20 stores pg_attver in column options; 17 rejects them when the schema is restored.
        let dir = try ScratchDir(prefix: "up-dmp")
        defer { dir.remove() }
        let good = try TestCluster(version: "15", in: dir, name: "good")
        let bad = try TestCluster(version: "15-debian", in: dir, name: "bad")
        let scratch = try TestCluster(version: "17", in: dir, name: "scratch")
        defer { [good, bad, scratch].forEach { try? $0.stop() } }
        for (index, old) in [good, bad].enumerated() {
            try old.psql("CREATE TABLE t (id int PRIMARY KEY, name text)")
            try scratch.psql("CREATE DATABASE rehearsal\(index)")
            let file = "\(dir.path)/schema\(index).dump"
            try postgresLauncher.run(PgDump.schemaOnly(scratch.binaries, source: old.target, database: "postgres",
                                                       file: file)).requireSuccess()
            let restore = try postgresLauncher.run(PgDump.restore(scratch.binaries, target: scratch.target,
                                                                  database: "rehearsal\(index)", file: file))
            if old === good {
                try restore.requireSuccess()
            } else {
                #expect(!restore.succeeded)
                #expect(restore.stderr.contains(#"unrecognized parameter "pg_attver""#))
            }
        }
    }
}
