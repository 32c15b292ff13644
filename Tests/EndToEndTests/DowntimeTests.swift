import Foundation
import Testing
import UpshiftPostgres
import UpshiftTestSupport

/// What clients see during an upgrade: through PgBouncer they wait instead of failing; a rehearsal predicts
/// the real run step by step.
extension EndToEnd {
@Suite(.serialized) struct DowntimeTests {
    func reportJSON(_ runDir: String) throws -> [String: Any] {
        let report = try Executables.runUpshift(["report", runDir, "--format", "json"])
        return try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any], "\(report.stderr)")
    }

    @Test func throughAPausedPgBouncerNoTransactionFails() throws {
        let fleet = try StreamingFleet(standbys: ["db2"], prefix: "e2e-pgb")
        defer { fleet.tearDown() }
        try fleet.loadData()
        let bouncer = try PgBouncerProcess(scratch: fleet.scratch, serverPort: fleet.primary.port)
        defer { bouncer.stop() }
        let plan = try fleet.writePlan(name: "e2e-pgbouncer", extra: try bouncer.planSections(scratch: fleet.scratch))
        let runDir = fleet.scratch.path + "/runs/pgbouncer"
        let run = try Executables.runUpshift(["run", plan, "--yes", "--run-dir", runDir])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")

        let downtime = try #require(try reportJSON(runDir)["downtime"] as? [String: Any])
        #expect(downtime["failed_transactions"] as? Int == 0, "\(downtime)")
        #expect((downtime["write_ms"] as? Int ?? 0) > 0, "clients waited while PgBouncer held their writes: \(downtime)")
        #expect((downtime["writes_on_new_version"] as? Int ?? 0) > 0)
        let through = try PostgresConnection(conninfo: bouncer.conninfo)
        defer { through.close() }
        #expect(try through.simpleQuery("select current_setting('server_version_num')::int / 10000").rows == [["17"]])
    }

    @Test func aRehearsalPredictsEveryStepOfTheRealRun() throws {
        let real = try StreamingFleet(standbys: ["db2"], prefix: "e2e-real")
        defer { real.tearDown() }
        let rehearsal = try StreamingFleet(primary: "r1", standbys: ["r2"], prefix: "e2e-rehearse", sharedTLS: real.tlsDirectory)
        defer { rehearsal.tearDown() }
        try real.loadData()
        try rehearsal.loadData()
        let plan = try real.writePlan(name: "e2e-rehearsed", extra: "rehearsal:\n  hosts:\n" + rehearsal.hostsYAML(indent: 4))

        let unplanned = try Executables.runUpshift(["plan", plan])
        #expect(unplanned.stdout.contains("durations unknown"), "\(unplanned.stdout)")
        let first = try Executables.runUpshift(["run", plan, "--yes", "--rehearsal", "--run-dir", real.scratch.path + "/runs/rehearsal"])
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        let untouched = try real.connect(real.primary)
        #expect(try untouched.query("show server_version_num").rows[0][0]?.hasPrefix("15") == true, "a rehearsal leaves the real fleet alone")
        untouched.close()
        let upgraded = try rehearsal.connect(rehearsal.primary)
        #expect(try upgraded.query("show server_version_num").rows[0][0]?.hasPrefix("17") == true)
        upgraded.close()

        let planned = try Executables.runUpshift(["plan", plan])
        #expect(planned.stdout.contains("expected from rehearsal rehearsal: write downtime"), "\(planned.stdout)")
        #expect(planned.stdout.contains("cost of the content proof: in rehearsal rehearsal, verify: fenced took stop-primary "),
                "`upshift plan` shows what the fenced proof cost: \(planned.stdout)")
        #expect(planned.stdout.contains("pg-upgrade") && !planned.stdout.contains("?"), "every step has an expected time: \(planned.stdout)")

        let runDir = real.scratch.path + "/runs/real"
        let second = try Executables.runUpshift(["run", plan, "--yes", "--run-dir", runDir])
        #expect(second.status == 0, "\(second.stdout)\n\(second.stderr)")
        let json = try reportJSON(runDir)
        #expect(json["rehearsal"] as? Bool == false)
        let prediction = try #require(json["prediction"] as? [String: Any])
        #expect(prediction["based_on"] as? String == "rehearsal" && prediction["based_on_rehearsal"] as? Bool == true)
        let rows = try #require(prediction["steps"] as? [[String: Any]])
        #expect(rows.count >= 10)
        for row in rows {
            #expect(row["predicted_ms"] is Int && row["actual_ms"] is Int, "predicted and actual for \(row["id"] ?? "?")")
        }
        let markdown = try Executables.runUpshift(["report", runDir, "--format", "md"])
        #expect(markdown.stdout.contains("Predicted from rehearsal rehearsal"))
    }
}
}
