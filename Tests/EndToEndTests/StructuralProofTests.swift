import Foundation
import Testing
import UpshiftPostgres
import UpshiftTestSupport

/// `verify: structural`: nothing the size of the data inside the write window, and the relation files proven
/// carried before the new primary may start.
extension EndToEnd {
@Suite(.serialized) struct StructuralProofTests {
    static let contentQuery = """
        select (select count(*) || ':' || coalesce(sum(hashtextextended(a::text, 0)), 0) from pgbench_accounts a)
            || '/' || (select count(*) || ':' || coalesce(sum(hashtextextended(o::text, 0)), 0) from orders o)
        """

    func serverMajor(_ connection: PostgresConnection) throws -> Int {
        (Int(try connection.query("show server_version_num").rows[0][0] ?? "") ?? 0) / 10000
    }

    /// Starts `upshift run` with a 6 s hook after `step` on `host` and returns once that hook runs: the moment to
    /// damage something behind Upshift's back. Finish the run with `Executables.finish`.
    func startRunHeld(_ fleet: StreamingFleet, after step: String, on host: String, verify: String,
                      runName: String) throws -> (run: Process, output: String, runDir: String) {
        try fleet.writeHook("hold.lua", "return function(ctx)\n  upshift.sleep(6)\nend\n")
        let plan = try fleet.writePlan(options: "  verify: \(verify)",
                                       extra: "hooks:\n  - { at: after:\(step), run: Hooks/hold.lua, on: \(host) }")
        let runDir = fleet.scratch.path + "/runs/" + runName
        let (run, output) = try Executables.startUpshift(["run", plan, "--yes", "--run-dir", runDir])
        try waitFor("the hook after \(step) to start") {
            let journal = (try? String(contentsOfFile: runDir + "/journal.jsonl", encoding: .utf8)) ?? ""
            return journal.split(separator: "\n").contains { $0.contains(#""kind":"step.started""#) && $0.contains("after:\(step)/hold") }
        }
        return (run, output, runDir)
    }

    @Test func aStructuralRunUpgradesAndProvesEveryRelationCarried() throws {
        let fleet = try StreamingFleet(standbys: ["db2"], prefix: "e2e-struct")
        defer { fleet.tearDown() }
        try fleet.loadData()
        let before = try fleet.query(fleet.hosts[0], Self.contentQuery)
        let plan = try fleet.writePlan(options: "  verify: structural")

        let shown = try Executables.runUpshift(["plan", plan])
        #expect(shown.stdout.contains("proof: structural") && shown.stdout.contains("warning: verify: structural compares no row contents"),
                "\(shown.stdout)")
        #expect(!shown.stdout.contains("verify-standbys"), "no standby is held for a content comparison:\n\(shown.stdout)")
        let checked = try Executables.runUpshift(["check", plan])
        #expect(checked.stdout.contains("proof: structural"), "\(checked.stdout)")

        let runDir = fleet.scratch.path + "/runs/structural"
        let run = try Executables.runUpshift(["run", plan, "--yes", "--run-dir", runDir])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let primary = try fleet.connect(fleet.hosts[0])
        defer { primary.close() }
        #expect(try serverMajor(primary) == TestPostgres.major("17"))
        #expect(try primary.query(Self.contentQuery).rows == before, "the rows are not those of the old cluster")
        _ = try primary.query("insert into customers (name) values ('after the upgrade')")
        #expect(try primary.query("select application_name, state from pg_stat_replication").rows == [["db2", "streaming"]])

        let journal = try String(contentsOfFile: runDir + "/journal.jsonl", encoding: .utf8)
        #expect(journal.contains("structural proof: all ") && journal.contains("each the old file itself"), "no structural proof journaled")
        #expect(journal.contains("the new catalog names all "), "verify did not check the new catalog")
        #expect(try JournalVerifiedTable.read(runDir: runDir).isEmpty, "a structural run compared table contents")
        #expect(!journal.contains(#""tableChecksums""#), "stop-primary took content checksums inside the window")
        // The run and its report say which proof the run gave.
        #expect(run.stdout.contains("proof: structural: the files of all ") && run.stdout.contains("each the old file itself"), "\(run.stdout)")
        let report = try Executables.runUpshift(["report", runDir, "--format", "json"])
        let json = try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any]
        let proof = json?["proof"] as? String ?? ""
        #expect(proof.hasPrefix("structural: the files of all ") && proof.contains("the new catalog names all "), "\(proof)")
    }

    /// `verify: online`: the structural proof inside the window, then every table's contents compared after writes
    /// resume, the keep_old standby (the old primary's last state) against the upgraded standby, whose commits are
    /// held at the new primary's start until then; its replay goes on afterwards. Reads served by the keep_old
    /// standby never stop.
    @Test func anOnlineRunComparesEveryTableAfterWritesResume() throws {
        let fleet = try StreamingFleet(standbys: ["db2", "db3"], keepOld: ["db3"], prefix: "e2e-online")
        defer { fleet.tearDown() }
        try fleet.loadData()
        let before = try fleet.query(fleet.hosts[0], Self.contentQuery)
        let keptOld = fleet.hosts[2]
        let plan = try fleet.writePlan(options: "  verify: online",
                                       extra: "probe:\n  read: \"host=127.0.0.1 port=\(keptOld.port) dbname=postgres user=postgres\"")
        let shown = try Executables.runUpshift(["plan", plan])
        #expect(shown.stdout.contains("proof: online: ") && !shown.stdout.contains("warning: verify"), "\(shown.stdout)")
        let order = shown.stdout.split(separator: "\n").compactMap { line in
            ["verify ", "start-standbys", "checksum-keep-old", "verify-standbys"].first { line.contains("  " + $0) }
        }
        #expect(order == ["verify ", "start-standbys", "checksum-keep-old", "verify-standbys"], "\(shown.stdout)")

        let runDir = fleet.scratch.path + "/runs/online"
        let run = try Executables.runUpshift(["run", plan, "--yes", "--run-dir", runDir])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("proof: online: structural inside the write window (the files of all "), "\(run.stdout)")
        #expect(run.stdout.contains("tables match the keep_old standby db3"), "\(run.stdout)")

        let primary = try fleet.connect(fleet.hosts[0])
        defer { primary.close() }
        #expect(try serverMajor(primary) == TestPostgres.major("17"))
        #expect(try primary.query(Self.contentQuery).rows == before)
        let verified = try JournalVerifiedTable.read(runDir: runDir)
        #expect(verified.contains { $0.host == "db2" && $0.table == "postgres.public.pgbench_accounts" && $0.matches && $0.newRows == 100_000 },
                "\(verified)")
        #expect(verified.allSatisfy(\.matches) && verified.allSatisfy { $0.host == "db2" }, "\(verified)")

        // The hold is lifted: a write on the new primary reaches the upgraded standby.
        _ = try primary.query("insert into customers (name) values ('after the online proof')")
        let standby = try fleet.connect(fleet.hosts[1])
        defer { standby.close() }
        try waitFor("the upgraded standby to apply writes again") {
            try standby.query("select count(*) from customers where name = 'after the online proof'").rows == [["1"]]
        }
        #expect(try standby.query("show recovery_min_apply_delay").rows == [["0"]])
        let rollbackTarget = try fleet.connect(keptOld)
        defer { rollbackTarget.close() }
        #expect(try serverMajor(rollbackTarget) == TestPostgres.major("15"))

        let json = try JSONSerialization.jsonObject(with: Data(try Executables.runUpshift(["report", runDir, "--format", "json"]).stdout.utf8))
            as? [String: Any]
        let downtime = try #require(json?["downtime"] as? [String: Any])
        #expect(downtime["read_ms"] as? Int == 0 && (downtime["write_ms"] as? Int ?? 0) > 0, "reads from the keep_old standby never stopped: \(downtime)")
    }

    /// `verify: online` after the window: an upgraded standby whose own copy of a table silently differs from the
    /// primary's (one row's bytes changed in its data file, which rsync's --size-only keeps) is caught against the
    /// keep_old standby once writes have resumed: the run fails loudly (exit 3), names the table and the keep_old
    /// route, and lifts the standby's hold.
    @Test func anOnlineRunCatchesAStandbyWhoseRowsDiffer() throws {
        let fleet = try StreamingFleet(standbys: ["db2", "db3"], keepOld: ["db3"], prefix: "e2e-online-bad")
        defer { fleet.tearDown() }
        try fleet.loadData()
        let relation = try #require(try fleet.query(fleet.hosts[0], "select pg_relation_filepath('customers')").first?.first ?? nil)
        let (coordinator, output, _) = try startRunHeld(fleet, after: "stop-standbys", on: "db2", verify: "online", runName: "diverged")
        // The stopped standby's own file: customer 'c123' becomes 'c321', same size, same row count.
        let file = fleet.hosts[1].pgdata + "/" + relation
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        let needle = Array("c123".utf8)
        let at = try #require((0...(bytes.count - needle.count)).first { Array(bytes[$0..<$0 + needle.count]) == needle })
        bytes.replaceSubrange(at..<at + needle.count, with: Array("c321".utf8))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        try handle.write(contentsOf: Data(bytes))
        try handle.close()

        let printed = Executables.finish(coordinator, output)
        #expect(coordinator.terminationStatus == 3, "\(printed)")
        #expect(printed.contains("verify found 1 tables that differ from the keep_old standby db3")
                && printed.contains("postgres.public.customers: same 300 rows, different content"), "\(printed)")
        #expect(printed.contains("Rollback route: db3 still run PostgreSQL 15"), "the way back is named: \(printed)")
        let standby = try fleet.connect(fleet.hosts[1])
        defer { standby.close() }
        #expect(try standby.query("show recovery_min_apply_delay").rows == [["0"]], "the hold is lifted after a failed comparison too")
        let primary = try fleet.connect(fleet.hosts[0])
        defer { primary.close() }
        #expect(try primary.query("select count(*) from customers where name = 'c123'").rows == [["1"]], "the primary's rows are its own")
    }

    /// Under `verify: fenced` a row changed on the new primary behind Upshift's back after it started (a client
    /// lifting the read-only fence with `BEGIN READ WRITE`) is caught by verify: past the point of no return the
    /// run stops with exit 3, names the table, and leaves the new primary fenced for the DBA to decide.
    @Test func aRowChangedOnTheNewPrimaryBeforeVerifyIsCaughtByTheFencedProof() throws {
        let fleet = try StreamingFleet(standbys: ["db2"], prefix: "e2e-fenced-bad")
        defer { fleet.tearDown() }
        try fleet.loadData()
        try fleet.writeHook("sneak.lua", """
            return function(ctx)
              upshift.sql("new", "begin read write; update pgbench_accounts set abalance = abalance + 7 where aid = 1; commit")
            end
            """)
        let plan = try fleet.writePlan(options: "  verify: fenced",
                                       extra: "hooks:\n  - { at: after:start-primary, run: Hooks/sneak.lua, on: primary }")
        let runDir = fleet.scratch.path + "/runs/sneaked"
        let run = try Executables.runUpshift(["run", plan, "--yes", "--run-dir", runDir])
        let printed = run.stdout + run.stderr
        #expect(run.status == 3, "\(printed)")
        #expect(printed.contains("verify found 1 tables that differ") && printed.contains("pgbench_accounts"), "\(printed)")
        #expect(printed.contains("proof: content: ") && printed.contains("table checks match (row counts and content hashes"), "\(printed)")
        let primary = try fleet.connect(fleet.hosts[0])
        defer { primary.close() }
        #expect(try serverMajor(primary) == TestPostgres.major("17"))
        #expect(try primary.query("show default_transaction_read_only").rows == [["on"]], "the fence was lifted over a mismatch")
    }

    /// A relation file of the new cluster swapped for a copy between pg_upgrade and the start (what a stray
    /// script or a broken storage layer could do) is caught before the point of no return: the run rolls back and
    /// the old fleet serves its data again.
    @Test func aRelationFileReplacedBehindUpshiftsBackIsCaughtBeforeTheNewPrimaryStarts() throws {
        let fleet = try StreamingFleet(standbys: ["db2"], prefix: "e2e-struct-bad")
        defer { fleet.tearDown() }
        try fleet.loadData()
        let before = try fleet.query(fleet.hosts[0], Self.contentQuery)
        let relation = try #require(try fleet.query(fleet.hosts[0], "select pg_relation_filepath('pgbench_accounts')").first?.first ?? nil)
        let (coordinator, output, runDir) = try startRunHeld(fleet, after: "pg-upgrade", on: "primary", verify: "structural",
                                                             runName: "damaged")
        // The same bytes, another file: what link mode's proof must notice.
        let file = fleet.hosts[0].newPgdata + "/" + relation
        try runAsPostgres(["/bin/sh", "-c", "cp -p '\(file)' '\(file).copy' && mv '\(file).copy' '\(file)'"]).requireSuccess()
        let printed = Executables.finish(coordinator, output)
        #expect(coordinator.terminationStatus == 1, "\(printed)")
        #expect(printed.contains("structural proof found 1 relations not carried") && printed.contains("postgres.public.pgbench_accounts"),
                "\(printed)")
        let journal = try String(contentsOfFile: runDir + "/journal.jsonl", encoding: .utf8)
        #expect(!journal.contains("run.point-of-no-return"), "the new primary was let start")

        let primary = try fleet.connect(fleet.hosts[0])
        defer { primary.close() }
        #expect(try serverMajor(primary) == TestPostgres.major("15"))
        #expect(try primary.query(Self.contentQuery).rows == before)
        _ = try primary.query("insert into customers (name) values ('after the rollback')")
    }
}
}
