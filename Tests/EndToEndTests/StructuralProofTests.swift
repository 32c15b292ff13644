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
        _ = try runAsPostgres(["/bin/mkdir", "-p", fleet.scratch.path + "/Hooks"])
        try "return function(ctx)\n  upshift.sleep(6)\nend\n".write(toFile: fleet.scratch.path + "/Hooks/hold.lua", atomically: true, encoding: .utf8)
        let plan = try fleet.writePlan(options: "  verify: structural",
                                       extra: "hooks:\n  - { at: after:pg-upgrade, run: Hooks/hold.lua, on: primary }")
        let runDir = fleet.scratch.path + "/runs/damaged"
        let (coordinator, output) = try Executables.startUpshift(["run", plan, "--yes", "--run-dir", runDir])
        try waitFor("the hook after pg-upgrade to start") {
            let journal = (try? String(contentsOfFile: runDir + "/journal.jsonl", encoding: .utf8)) ?? ""
            return journal.split(separator: "\n").contains { $0.contains(#""kind":"step.started""#) && $0.contains("after:pg-upgrade/hold") }
        }
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
