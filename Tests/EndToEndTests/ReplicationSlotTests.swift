import Foundation
import Testing
import UpshiftPostgres
import UpshiftTestSupport

/// The fleet's replication shape across an in-place upgrade: standbys that stream through physical slots keep
/// doing so on the new primary, a slot a keep_old standby uses stays behind with it, a slot nobody in the plan
/// uses is re-created, and a logical slot of a 15 source needs the plan's decision.
extension EndToEnd {
@Suite(.serialized) struct ReplicationSlotTests {
    /// An LSN `X/Y` as a number.
    func lsn(_ text: String) -> UInt64? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let high = UInt64(parts[0], radix: 16), let low = UInt64(parts[1], radix: 16) else { return nil }
        return high << 32 | low
    }

    func rows(_ fleet: StreamingFleet, _ host: StreamingFleet.Host, _ sql: String) throws -> [[String?]] {
        try fleet.query(host, sql)
    }

    @Test(arguments: [("15", "17", ["db2", "db3"]), ("15", "18", ["db2"])])
    func standbysStreamThroughTheirSlotsOnTheNewPrimary(from: String, to: String, standbys: [String]) throws {
        let keepOld: Set<String> = standbys.count > 1 ? ["db3"] : []
        let fleet = try StreamingFleet(from: from, to: to, standbys: standbys, keepOld: keepOld, prefix: "e2e-sl\(from)\(to)", slots: true)
        defer { fleet.tearDown() }
        try fleet.loadData()
        _ = try rows(fleet, fleet.primary, "select pg_create_physical_replication_slot('archiver')")
        let runDir = fleet.scratch.path + "/runs/slots"
        let plan = try fleet.writePlan()
        let run = try Executables.runUpshift(["run", plan, "--yes", "--run-dir", runDir])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")

        let primary = fleet.primary
        #expect(try rows(fleet, primary, "show server_version_num").first?.first??.hasPrefix(to) == true)
        try waitFor("db2 to stream through its slot on the new primary", seconds: 60) {
            try rows(fleet, primary, "select active from pg_replication_slots where slot_name = 'slot_db2'") == [["t"]]
        }
        #expect(try rows(fleet, fleet.hosts[1], "show primary_slot_name") == [["slot_db2"]])
        #expect(try rows(fleet, primary, "select slot_type, active from pg_replication_slots where slot_name = 'archiver'")
                == [["physical", "f"]], "a slot no standby of the plan uses is re-created (the default)")
        if !keepOld.isEmpty {
            #expect(try rows(fleet, primary, "select count(*) from pg_replication_slots where slot_name = 'slot_db3'") == [["0"]],
                    "the keep_old standby's slot stays on the old primary, not retaining WAL on the new one")
        }
        let report = try Executables.runUpshift(["report", runDir, "--format", "md"])
        #expect(report.stdout.contains("Replication (old primary → new primary):"), "\(report.stdout)")
        #expect(report.stdout.contains("slot slot_db2 (physical"), "\(report.stdout)")
        #expect(report.stdout.contains("re-created for db2 before it starts"), "\(report.stdout)")
        if !keepOld.isEmpty {
            #expect(report.stdout.contains("not re-created: db3 (keep_old)"), "\(report.stdout)")
        }
    }

    /// A logical slot (a CDC consumer's) on a 15 primary: pg_upgrade cannot carry it, so preflight refuses a plan
    /// that decides nothing; with `logical_slots: recreate` the slot is made again on the new primary before writes
    /// resume, the report gives its start, and its consumer reads what is written after the upgrade.
    @Test func aLogicalSlotFrom15IsRefusedWithoutADecisionAndRecreatedWithOne() throws {
        let fleet = try StreamingFleet(standbys: [], prefix: "e2e-lslot", walLevel: "logical")
        defer { fleet.tearDown() }
        let primary = fleet.primary
        _ = try rows(fleet, primary, "create table orders (id int primary key, note text)")
        _ = try rows(fleet, primary, "select pg_create_logical_replication_slot('cdc', 'test_decoding')")
        _ = try rows(fleet, primary, "insert into orders values (1, 'before the upgrade')")
        let consumed = try rows(fleet, primary, "select data from pg_logical_slot_get_changes('cdc', null, null)")
        #expect(consumed.contains { $0.first??.contains("before the upgrade") == true }, "the consumer is caught up: \(consumed)")

        let undecided = try fleet.writePlan()
        let preflight = try Executables.runUpshift(["preflight", undecided])
        #expect(preflight.status != 0, "\(preflight.stdout)")
        #expect(preflight.stdout.contains("logical slots cdc (test_decoding in postgres)"), "\(preflight.stdout)")
        #expect(preflight.stdout.contains("options.logical_slots"), "\(preflight.stdout)")

        let plan = try fleet.writePlan(options: "  logical_slots: recreate")
        let runDir = fleet.scratch.path + "/runs/lslot"
        let run = try Executables.runUpshift(["run", plan, "--yes", "--run-dir", runDir])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(try rows(fleet, primary, "show server_version_num").first?.first??.hasPrefix("17") == true)
        let report = try Executables.runUpshift(["report", runDir, "--format", "json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let after = ((json["replication"] as? [String: Any])?["after"] as? [String: Any])?["slots"] as? [[String: Any]] ?? []
        let cdc = try #require(after.first { $0["name"] as? String == "cdc" }, "\(report.stdout)")
        let start = try #require(cdc["lsn"] as? String)
        #expect((cdc["action"] as? String)?.hasPrefix("re-created at \(start)") == true, "\(cdc)")

        _ = try rows(fleet, primary, "insert into orders values (2, 'after the upgrade')")
        let resumed = try rows(fleet, primary, "select lsn::text, data from pg_logical_slot_get_changes('cdc', null, null)")
        #expect(resumed.contains { $0[1]?.contains("after the upgrade") == true }, "\(resumed)")
        #expect(!resumed.contains { $0[1]?.contains("before the upgrade") == true })
        let startPosition = try #require(lsn(start))
        #expect(resumed.allSatisfy { ($0[0].flatMap(lsn) ?? 0) >= startPosition }, "the consumer resumes at or after \(start): \(resumed)")
    }
}
}

extension EndToEnd.ReplicationSlotTests {
    /// From a 17 source pg_upgrade carries logical slots itself, once their consumer has confirmed everything:
    /// a `pg_recvlogical` consumer streams through the upgrade (the old primary's shutdown waits for it to
    /// confirm), and after it reconnects to the new primary it receives what is written there.
    @Test func a17To18UpgradeCarriesACaughtUpLogicalSlotByPgUpgrade() throws {
        let fleet = try StreamingFleet(from: "17", to: "18", standbys: [], prefix: "e2e-lcarry", walLevel: "logical")
        defer { fleet.tearDown() }
        let primary = fleet.primary
        _ = try rows(fleet, primary, "create table orders (id int primary key, note text)")
        _ = try rows(fleet, primary, "select pg_create_logical_replication_slot('cdc', 'test_decoding')")
        let output = "\(fleet.scratch.path)/\(primary.name)/cdc.out"
        let consumer = Process()
        consumer.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        consumer.arguments = ["-u", "postgres", "--", try TestPostgres.bindir("17") + "/pg_recvlogical", "-h", "127.0.0.1",
                              "-p", String(primary.port), "-U", "postgres", "-d", "postgres", "-S", "cdc", "--start",
                              "-f", output, "-s", "1", "-F", "1"]
        consumer.standardOutput = FileHandle.nullDevice
        consumer.standardError = FileHandle.nullDevice
        try consumer.run()
        defer {
            _ = try? ProgramRunner.run("/usr/bin/pkill", ["-f", "pg_recvlogical.*-S cdc"])
            consumer.waitUntilExit()
        }
        func received(_ text: String) -> Bool { ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").contains(text) }
        _ = try rows(fleet, primary, "insert into orders values (1, 'before the upgrade')")
        try waitFor("the consumer to receive the first row", seconds: 30) { received("before the upgrade") }

        let plan = try fleet.writePlan()
        let preflight = try Executables.runUpshift(["preflight", plan])
        #expect(preflight.stdout.contains("carried by pg_upgrade"), "\(preflight.stdout)")
        let runDir = fleet.scratch.path + "/runs/lcarry"
        let run = try Executables.runUpshift(["run", plan, "--yes", "--run-dir", runDir])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(try rows(fleet, primary, "show server_version_num").first?.first??.hasPrefix("18") == true)
        #expect(try rows(fleet, primary, "select slot_type, plugin from pg_replication_slots where slot_name = 'cdc'")
                == [["logical", "test_decoding"]])
        let report = try Executables.runUpshift(["report", runDir, "--format", "md"])
        #expect(report.stdout.contains("slot cdc (logical, test_decoding in postgres"), "\(report.stdout)")
        #expect(report.stdout.contains("carried by pg_upgrade"), "\(report.stdout)")

        _ = try rows(fleet, primary, "insert into orders values (2, 'after the upgrade')")
        try waitFor("the consumer to reconnect and receive what the new primary wrote", seconds: 60) { received("after the upgrade") }
    }
}
