import Foundation
import Testing
import UpshiftPostgres
import UpshiftTestSupport

/// `upshift run` of the in-place strategy on real fleets: the new version answers everywhere it should,
/// standbys stream from the new primary, and the verify step's checksums match the old primary's.
extension EndToEnd {
@Suite(.serialized) struct InplaceUpgradeTests {
    func serverMajor(_ connection: PostgresConnection) throws -> Int {
        Int(try connection.query("show server_version_num").rows[0][0] ?? "0")! / 10000
    }

    @Test(arguments: [("15", "17", ["db2", "db3"]), ("15", "18", ["db2"]), ("16", "17", ["db2"]), ("16", "18", ["db2"]), ("17", "18", ["db2"])])
    func upgradesWithRsyncStandbys(from: String, to: String, standbys: [String]) throws {
        let fleet = try StreamingFleet(from: from, to: to, standbys: standbys, prefix: "e2e-rs\(from)\(to)")
        defer { fleet.tearDown() }
        try fleet.loadData()
        // Writes arriving the moment the primary's fence lifts must not reach the standbys' comparison.
        try fleet.writeHook("write.lua", """
            return function(ctx)
              upshift.sql("new", "insert into customers (name) select 'written as the fence lifts ' || g from generate_series(1, 100) g")
            end
            """)
        let plan = try fleet.writePlan(extra: "hooks:\n  - { at: after:verify, run: Hooks/write.lua, on: primary }")
        let marker = try fleet.connect(fleet.primary)
        _ = try marker.simpleQuery("do $$ begin raise log 'e2e: the run starts'; end $$")
        marker.close()
        let runDir = fleet.scratch.path + "/runs/rsync"
        let run = try Executables.runUpshift(["run", plan, "--yes", "--run-dir", runDir])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let major = try TestPostgres.major(to)
        let primary = try fleet.connect(fleet.hosts[0])
        defer { primary.close() }
        #expect(try serverMajor(primary) == major)
        _ = try primary.query("insert into customers (name) values ('after the upgrade')")
        let replicas = try primary.query("select application_name, state from pg_stat_replication order by 1").rows
        #expect(replicas == standbys.map { [$0, "streaming"] })
        for host in fleet.hosts.dropFirst() {
            let standby = try fleet.connect(host)
            defer { standby.close() }
            #expect(try serverMajor(standby) == major)
            #expect(try standby.query("select pg_is_in_recovery()").rows == [["t"]])
            try waitFor("\(host.name) to replay the write") {
                try standby.query("select count(*) from customers where name = 'after the upgrade'").rows == [["1"]]
            }
            #expect(try standby.query("select pg_get_wal_replay_pause_state()").rows == [["not paused"]])
            #expect(try standby.query("select count(*) from customers where name like 'written as the fence lifts %'").rows == [["100"]])
            // The sync hard-linked the standby's own old relation files into the new cluster.
            let relation = try primary.query("select pg_relation_filepath('pgbench_accounts')").rows[0][0]!
            var info = stat()
            #expect(stat(host.newPgdata + "/" + relation, &info) == 0 && info.st_nlink >= 2)
        }
        let verified = try JournalVerifiedTable.read(runDir: runDir)
        #expect(Set(verified.map(\.host)) == Set(fleet.hosts.map(\.name)))
        #expect(!verified.isEmpty && verified.allSatisfy { $0.matches && $0.oldRows == $0.newRows })
        try expectProbeFigures(runDir: runDir, hosts: fleet.hosts.map(\.name))
        #expect(try primary.query("select count(*) from pg_namespace where nspname = 'upshift_probe'").rows == [["0"]],
                "the probe's schema is dropped after the run")
        // init-new checkpointed the old primary while writes still flowed, so its shutdown checkpoint came after one.
        let oldLog = try String(contentsOfFile: "\(fleet.scratch.path)/\(fleet.primary.name)/\(from).log", encoding: .utf8)
        let sinceRun = oldLog.split(separator: "\n").drop { !$0.contains("e2e: the run starts") }
        let starts = sinceRun.filter { $0.contains("checkpoint starting:") }.map { String($0.split(separator: "checkpoint starting: ").last ?? "") }
        #expect(starts.count == 2 && starts[0].hasPrefix("immediate force wait") && starts[1].hasPrefix("shutdown"), "\(starts)")
    }

    // Read by one test at a time: the end-to-end suites run serialized.
    nonisolated(unsafe) static let iso: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()

    /// The probe ran through the upgrade: writes failed only inside the window the journal shows between the
    /// old primary's fence and the new primary accepting writes, reads were served by the standby the plan
    /// routes them to, and the HTML report draws it all.
    func expectProbeFigures(runDir: String, hosts: [String]) throws {
        let report = try Executables.runUpshift(["report", runDir, "--format", "json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any], "\(report.stderr)")
        let downtime = try #require(json["downtime"] as? [String: Any])
        let written = try #require((json["journal_windows"] as? [String: Any])?["writes_stopped"] as? [String: Any])
        let journalFrom = try #require(Self.iso.date(from: written["from"] as? String ?? ""))
        let journalTo = try #require(Self.iso.date(from: written["to"] as? String ?? ""))
        let probeFrom = try #require(Self.iso.date(from: downtime["write_window_from"] as? String ?? ""), "\(downtime)")
        let probeTo = try #require(Self.iso.date(from: downtime["write_window_to"] as? String ?? ""))
        let writeMS = try #require(downtime["write_ms"] as? Int)
        #expect(writeMS > 0 && (downtime["failed_transactions"] as? Int ?? 0) > 0, "\(downtime)")
        // A write in flight when the fence went up started up to one interval before it.
        #expect(probeFrom >= journalFrom.addingTimeInterval(-0.2), "probe window \(probeFrom)…\(probeTo), journal \(journalFrom)…\(journalTo)")
        #expect(probeTo <= journalTo.addingTimeInterval(0.5), "probe window \(probeFrom)…\(probeTo), journal \(journalFrom)…\(journalTo)")
        #expect(Double(writeMS) <= journalTo.timeIntervalSince(journalFrom) * 1000 + 700)
        #expect((downtime["writes_on_new_version"] as? Int ?? 0) > 0)
        #expect((downtime["reads_from_standby"] as? Int ?? 0) > 0 && downtime["reads_from_primary"] as? Int == 0, "\(downtime)")

        let htmlPath = runDir + "/report.html"
        let html = try Executables.runUpshift(["report", runDir, "--format", "html", "-o", htmlPath])
        #expect(html.status == 0, "\(html.stderr)")
        let page = try String(contentsOfFile: htmlPath, encoding: .utf8)
        #expect(page.contains("<svg") && page.contains("point of no return") && page.contains("writes failed or waited (probe)"))
        for host in hosts { #expect(page.contains(">\(host)</text>"), "a timeline lane for \(host)") }
    }

    @Test func anExtensionTheNewVersionLacksStopsTheRunBeforeAnythingChanges() throws {
        // The 18 build here ships no pgcrypto: pg_upgrade would fail restoring the schema.
        let fleet = try StreamingFleet(from: "15", to: "18", standbys: ["db2"], prefix: "e2e-ext")
        defer { fleet.tearDown() }
        try fleet.loadData()
        let primary = try fleet.connect(fleet.hosts[0])
        _ = try primary.simpleQuery("""
            create extension pgcrypto;
            create table secrets (id int primary key, digest bytea not null);
            insert into secrets select g, digest(g::text, 'sha256') from generate_series(1, 50) g
            """)
        let checksum = "select count(*), sum(hashtextextended(s::text, 0)::numeric) from secrets s"
        let before = try primary.query(checksum).rows
        primary.close()
        let run = try Executables.runUpshift(["run", try fleet.writePlan(), "--yes", "--run-dir", fleet.scratch.path + "/runs/ext"])
        #expect(run.status == 1, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("FAIL") && run.stdout.contains("pgcrypto"), "\(run.stdout)")
        #expect(!run.stdout.contains("pg-upgrade                       started"), "nothing past preflight ran")
        let after = try fleet.connect(fleet.hosts[0])
        defer { after.close() }
        #expect(try serverMajor(after) == 15)
        #expect(try after.query(checksum).rows == before)
        _ = try after.query("insert into secrets values (51, digest('51', 'sha256'))")
        #expect(!FileManager.default.fileExists(atPath: fleet.hosts[0].newPgdata + "/PG_VERSION"))
    }

    @Test func upgradesAFleetWhoseOldWALLivesOutsideTheDataDirectories() throws {
        let fleet = try StreamingFleet(standbys: ["db2"], prefix: "e2e-wal", relocatedWAL: true)
        defer { fleet.tearDown() }
        try fleet.loadData()
        let run = try Executables.runUpshift(["run", try fleet.writePlan(), "--yes", "--run-dir", fleet.scratch.path + "/runs/wal"])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let standby = try fleet.connect(fleet.hosts[1])
        defer { standby.close() }
        #expect(try serverMajor(standby) == 17)
        try waitFor("db2 to stream from the new primary") {
            try standby.query("select status from pg_stat_wal_receiver").rows == [["streaming"]]
        }
        let oldWAL = try FileManager.default.destinationOfSymbolicLink(atPath: fleet.hosts[1].pgdata + "/pg_wal")
        #expect(oldWAL == fleet.scratch.path + "/db2/wal", "the standby's old cluster keeps its own WAL volume")
        #expect(try FileManager.default.contentsOfDirectory(atPath: oldWAL).contains { $0.hasPrefix("0000") })
    }

    @Test func upgrades15To17WithABasebackupStandbyAndKeepsTheRollbackStandbyOn15() throws {
        let fleet = try StreamingFleet(standbys: ["db2", "db3"], keepOld: ["db3"], prefix: "e2e-bb")
        defer { fleet.tearDown() }
        try fleet.loadData()
        let plan = try fleet.writePlan(options: "  standbys: basebackup")
        let runDir = fleet.scratch.path + "/runs/bb"
        let run = try Executables.runUpshift(["run", plan, "--yes", "--run-dir", runDir])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")

        let primary = try fleet.connect(fleet.hosts[0])
        defer { primary.close() }
        #expect(try serverMajor(primary) == 17)
        #expect(try primary.query("select count(*) from pgbench_accounts").rows == [["100000"]])
        #expect(try primary.query("select count(*) from orders join customers on customers.id = customer_id").rows == [["2000"]])
        #expect(try primary.query("show default_transaction_read_only").rows == [["off"]], "verify lifts the write fence")
        _ = try primary.query("insert into customers (name) values ('after the upgrade')")

        let standby = try fleet.connect(fleet.hosts[1])
        defer { standby.close() }
        #expect(try serverMajor(standby) == 17)
        #expect(try standby.query("select status from pg_stat_wal_receiver").rows == [["streaming"]])

        let rollbackTarget = try fleet.connect(fleet.hosts[2])
        defer { rollbackTarget.close() }
        #expect(try serverMajor(rollbackTarget) == 15)
        #expect(try rollbackTarget.query("select count(*) from pgbench_accounts").rows == [["100000"]])

        #expect(run.stdout.contains("pg_verifybackup: every file matches the backup manifest's checksums"), "\(run.stdout)")
        let verified = try JournalVerifiedTable.read(runDir: runDir)
        #expect(verified.count >= 8)
        #expect(verified.allSatisfy { $0.matches })
        #expect(verified.contains(JournalVerifiedTable(host: "db1", table: "postgres.public.pgbench_accounts", oldRows: 100_000, newRows: 100_000,
                                                       matches: true)))
        let report = try Executables.runUpshift(["report", runDir, "--format", "json"])
        let json = try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any]
        let tables = json?["verify"] as? [[String: Any]] ?? []
        #expect(tables.contains { $0["table"] as? String == "postgres.public.pgbench_accounts" && $0["rows_old"] as? Int == 100000
            && $0["rows_new"] as? Int == 100000 && $0["match"] as? Bool == true })
        let downtime = try #require(json?["downtime"] as? [String: Any])
        #expect(Set(["failed_transactions", "read_ms", "write_ms"]).isSubset(of: downtime.keys))
        #expect((downtime["write_ms"] as? Int ?? 0) > 0 && (downtime["reads_from_standby"] as? Int ?? 0) > 0, "\(downtime)")
    }

    @Test func aFailedUpgradeRollsBackAndTheOldFleetIsIntact() throws {
        let fleet = try StreamingFleet(standbys: ["db2"], prefix: "e2e-rb")
        defer { fleet.tearDown() }
        try fleet.loadData()
        let primary = try fleet.connect(fleet.hosts[0])
        // A reg* column in a user table: pg_upgrade refuses it (it stores OIDs that change).
        _ = try primary.simpleQuery("create table uses_regproc (id int primary key, fn regproc); insert into uses_regproc values (1, 'now')")
        let before = try primary.query("select count(*), sum(abalance) from pgbench_accounts").rows
        primary.close()
        let plan = try fleet.writePlan(options: "  standbys: basebackup")
        let runDir = fleet.scratch.path + "/runs/rb"
        let run = try Executables.runUpshift(["run", plan, "--yes", "--run-dir", runDir])
        #expect(run.status == 1, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("result: rolled_back"), "\(run.stdout)")

        let after = try fleet.connect(fleet.hosts[0])
        defer { after.close() }
        #expect(try serverMajor(after) == 15)
        #expect(try after.query("select pg_is_in_recovery()").rows == [["f"]])
        #expect(try after.query("select count(*), sum(abalance) from pgbench_accounts").rows == before)
        _ = try after.query("insert into customers (name) values ('written after the rollback')")
        let standby = try fleet.connect(fleet.hosts[1])
        defer { standby.close() }
        #expect(try serverMajor(standby) == 15)
        try waitFor("the old standby to stream again") {
            try standby.query("select status from pg_stat_wal_receiver").rows == [["streaming"]]
        }
    }
}
}

extension EndToEnd.InplaceUpgradeTests {
    /// The primary's agent is killed while pg_upgrade runs; the coordinator rolls back the other hosts and
    /// waits for the agent to come back (as systemd would restart it), then rolls the primary back too.
    @Test func anAgentKilledDuringPgUpgradeIsRolledBackIntact() throws {
        let fleet = try StreamingFleet(standbys: ["db2"], prefix: "e2e-kill")
        defer { fleet.tearDown() }
        try fleet.loadData()
        let checksum = "select count(*), sum(hashtextextended(a::text, 0)::numeric) from pgbench_accounts a"
        let expected = try fleet.query(fleet.primary, checksum)
        let plan = try fleet.writePlan()
        let runDir = fleet.scratch.path + "/runs/kill"
        let coordinator = Process()
        coordinator.executableURL = URL(fileURLWithPath: Executables.upshift)
        coordinator.arguments = ["run", plan, "--yes", "--run-dir", runDir]
        let output = Pipe()
        coordinator.standardOutput = output
        try coordinator.run()
        try waitFor("pg-upgrade to start", seconds: 120) {
            let journal = (try? String(contentsOfFile: runDir + "/journal.jsonl", encoding: .utf8)) ?? ""
            return journal.split(separator: "\n").contains { $0.contains(#""kind":"step.progress""#) && $0.contains(#""step":"pg-upgrade""#) }
        }
        fleet.hosts[0].agent.kill()
        Thread.sleep(forTimeInterval: 1)
        fleet.hosts[0].agent = try fleet.hosts[0].agent.restarted()
        coordinator.waitUntilExit()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(coordinator.terminationStatus == 1, "\(printed)")
        #expect(printed.contains("result: rolled_back"), "\(printed)")
        #expect(printed.contains("the old cluster is running again on db1"), "\(printed)")
        let primary = try fleet.connect(fleet.hosts[0])
        defer { primary.close() }
        #expect(try serverMajor(primary) == 15)
        #expect(try primary.query(checksum).rows == expected)
        _ = try primary.query("insert into customers (name) values ('after the rollback')")
        let standby = try fleet.connect(fleet.hosts[1])
        defer { standby.close() }
        try waitFor("the standby to replay again") {
            try standby.query("select count(*) from customers where name = 'after the rollback'").rows == [["1"]]
        }
    }

    /// Debian's 15.20 passes `pg_upgrade --check` to 17 and then fails restoring the schema (pg_attver):
    /// without the schema-restore preflight the real pg_upgrade fails and the fleet is rolled back intact,
    /// and clients behind a paused PgBouncer only waited (the after:rollback hook resumes it); with the
    /// preflight, the plan is refused before anything changes.
    @Test func debian1520IsCaughtByTheSchemaRestoreOrRolledBackWithoutIt() throws {
        let fleet = try StreamingFleet(from: "15-debian", to: "17", standbys: ["db2"], prefix: "e2e-deb")
        defer { fleet.tearDown() }
        try fleet.loadData()
        let checksum = "select count(*), sum(hashtextextended(a::text, 0)::numeric) from pgbench_accounts a"
        let expected = try fleet.query(fleet.primary, checksum)

        let bouncer = try PgBouncerProcess(scratch: fleet.scratch, serverPort: fleet.primary.port)
        defer { bouncer.stop() }
        let unguarded = try fleet.writePlan(options: "  schema_restore_check: false", extra: try bouncer.planSections(scratch: fleet.scratch))
        let rolledBack = try Executables.runUpshift(["run", unguarded, "--yes", "--run-dir", fleet.scratch.path + "/runs/unguarded"])
        #expect(rolledBack.status == 1)
        #expect(rolledBack.stdout.contains("PASS pg_upgrade-check"), "\(rolledBack.stdout)")
        #expect(rolledBack.stdout.contains("result: rolled_back — step pg-upgrade failed on db1"), "\(rolledBack.stdout)")
        #expect(rolledBack.stdout.contains("after:rollback/pgbouncer-3") && rolledBack.stdout.contains("PgBouncer RESUME"), "\(rolledBack.stdout)")
        let report = try Executables.runUpshift(["report", fleet.scratch.path + "/runs/unguarded", "--format", "json"])
        let downtime = try #require((try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])?["downtime"] as? [String: Any])
        #expect(downtime["failed_transactions"] as? Int == 0 && downtime["writes_recovered"] as? Bool == true, "\(downtime)")
        let through = try PostgresConnection(conninfo: bouncer.conninfo)
        #expect(try through.simpleQuery("select current_setting('server_version_num')::int / 10000").rows == [["15"]])
        through.close()
        let primary = try fleet.connect(fleet.hosts[0])
        #expect(try serverMajor(primary) == 15)
        #expect(try primary.query(checksum).rows == expected)
        _ = try primary.query("insert into customers (name) values ('after the rollback')")
        primary.close()
        let standby = try fleet.connect(fleet.hosts[1])
        defer { standby.close() }
        try waitFor("the standby to stream and replay again") {
            try standby.query("select count(*) from customers where name = 'after the rollback'").rows == [["1"]]
        }

        let guarded = try fleet.writePlan(name: "e2e-guarded")
        let refused = try Executables.runUpshift(["run", guarded, "--yes", "--run-dir", fleet.scratch.path + "/runs/guarded"])
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("FAIL schema-restore") && refused.stdout.contains("pg_attver"), "\(refused.stdout)")
        let still = try fleet.connect(fleet.hosts[0])
        defer { still.close() }
        #expect(try serverMajor(still) == 15)
    }

    /// Also the secrets test: a password set in the plan's conninfo variables (the probe's and a hook's) is
    /// found in no file of the run (run folder, agents' state and logs, report, the data directories) and in
    /// no `ps` line while it runs; resuming without it is refused, naming it.
    @Test func aCoordinatorKilledAfterPgUpgradeIsResumedToTheEnd() throws {
        let fleet = try StreamingFleet(standbys: ["db2"], prefix: "e2e-resume")
        defer { fleet.tearDown() }
        try fleet.loadData()
        let password = "pw-" + UUID().uuidString
        let conninfo = "host=127.0.0.1 port=\(fleet.primary.port) dbname=postgres user=postgres password=${E2E_PASSWORD}"
        try FileManager.default.createDirectory(atPath: fleet.scratch.path + "/Hooks", withIntermediateDirectories: true)
        try """
            return function(ctx)
              local rows = upshift.sql(ctx.with.conninfo, "select 41 + 1 as answer")
              upshift.log("info", "answer through a password conninfo: " .. rows[1].answer)
            end
            """.write(toFile: fleet.scratch.path + "/Hooks/through-password.lua", atomically: true, encoding: .utf8)
        let plan = try fleet.writePlan(options: "  standbys: basebackup", extra: """
            probe:
              write: "\(conninfo)"
            hooks:
              - at: before:stop-primary
                run: Hooks/through-password.lua
                with: { conninfo: "\(conninfo)" }
            """)
        let environment = ProcessInfo.processInfo.environment.merging(["E2E_PASSWORD": password]) { $1 }
        let watcher = ProcessListWatcher(looking: password)
        defer { watcher.stop() }
        let runDir = fleet.scratch.path + "/runs/resume"
        let coordinator = Process()
        coordinator.executableURL = URL(fileURLWithPath: Executables.upshift)
        coordinator.arguments = ["run", plan, "--yes", "--run-dir", runDir]
        coordinator.environment = environment
        coordinator.standardOutput = FileHandle.nullDevice
        try coordinator.run()
        try waitFor("pg-upgrade to finish", seconds: 120) {
            let journal = (try? String(contentsOfFile: runDir + "/journal.jsonl", encoding: .utf8)) ?? ""
            return journal.contains(#""kind":"step.finished""#) && journal.contains(#""step":"pg-upgrade""#)
                && journal.split(separator: "\n").contains { $0.contains(#""kind":"step.finished""#) && $0.contains(#""step":"pg-upgrade""#) }
        }
        kill(coordinator.processIdentifier, SIGKILL)
        coordinator.waitUntilExit()

        let status = try Executables.runUpshift(["status", runDir])
        #expect(status.stdout.contains("running"), "\(status.stdout)")
        var unset = ProcessInfo.processInfo.environment
        unset["E2E_PASSWORD"] = nil
        let refused = try Executables.runUpshift(["resume", runDir], environment: unset)
        #expect(refused.status != 0 && (refused.stdout + refused.stderr).contains("E2E_PASSWORD"), "\(refused.stdout)\n\(refused.stderr)")
        let resumed = try Executables.runUpshift(["resume", runDir], environment: environment)
        #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")
        let primary = try fleet.connect(fleet.hosts[0])
        defer { primary.close() }
        #expect(try serverMajor(primary) == 17)
        #expect(try primary.query("select count(*) from pgbench_accounts").rows == [["100000"]])
        // pg_upgrade ran exactly once: one start and one finish in the agent's journal for this run.
        let agentJournal = try runAsPostgres(["/bin/cat", fleet.hosts[0].agent.stateDirectory + "/journal.jsonl"]).stdout
        let upgradeLines = agentJournal.split(separator: "\n").filter { $0.contains(#""step":"pg-upgrade""#) }
        #expect(upgradeLines.filter { $0.contains(#""state":"started""#) }.count == 1)
        let report = try Executables.runUpshift(["report", runDir, "--format", "json"])
        #expect(report.stdout.contains(#""result" : "done""#))
        _ = try Executables.runUpshift(["report", runDir, "--format", "html"])

        watcher.stop()
        #expect(watcher.samples > 20, "ps was sampled through the run")
        #expect(watcher.sightings.isEmpty, "the password showed in ps: \(watcher.sightings)")
        let journal = try String(contentsOfFile: runDir + "/journal.jsonl", encoding: .utf8)
        #expect(journal.contains("answer through a password conninfo: 42"), "the hook connected with the password")
        let found = try ProgramRunner.run("/bin/grep", ["-r", "-l", "-a", "-F", password, fleet.scratch.path])
        #expect(found.status == 1 && found.stdout.isEmpty, "files holding the password: \(found.stdout)")
    }
}

func waitFor(_ what: String, seconds: Double = 30, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while !(try condition()) {
        if Date() > deadline { throw AgentError("timed out waiting for \(what)") }
        Thread.sleep(forTimeInterval: 0.2)
    }
}

/// Samples `ps` every 50 ms on its own thread and keeps every line that shows `needle`.
final class ProcessListWatcher: @unchecked Sendable {
    private let lock = NSLock()
    private let needle: String
    private var running = true
    private var found: [String] = []
    private var count = 0

    init(looking needle: String) {
        self.needle = needle
        Thread.detachNewThread { [self] in
            while sample() { Thread.sleep(forTimeInterval: 0.05) }
        }
    }

    private func sample() -> Bool {
        let lines = (try? ProgramRunner.run("/bin/ps", ["-eo", "pid,args", "ww"]).stdout) ?? ""
        return lock.withLock {
            count += 1
            found += lines.split(separator: "\n").filter { $0.contains(needle) }.map(String.init)
            return running
        }
    }

    /// Stops sampling (the thread ends after its current sample).
    func stop() { lock.withLock { running = false } }
    var samples: Int { lock.withLock { count } }
    var sightings: [String] { lock.withLock { found } }
}
