import Foundation
import Testing
import UpshiftPostgres
import UpshiftTestSupport

/// Blue/green over logical replication, 15 → 17, on real servers with real agents: the schema carried with an
/// int key turned bigint, every row there, traffic moved through PgBouncer, the way back, and a failure before
/// the switch that leaves the source as it was.
extension EndToEnd {
@Suite(.serialized) struct LogicalTests {
    /// Every replicated table's rows on one side, hashed in a fixed order.
    func digest(_ fleet: LogicalFleet, _ server: LogicalFleet.Server, _ table: String) throws -> String? {
        try fleet.value(server, "select count(*) || ':' || coalesce(md5(string_agg(t::text, '|' order by t::text)), '') from \(table) t")
    }

    static let tables = ["accounts", "transfers", "ledger", "notes", "audit_events", "pgbench_accounts", "pgbench_branches", "pgbench_tellers", "pgbench_history"]

    @Test func aBlueGreenMoveCarriesEverySwitchesTrafficAndComesBack() throws {
        let fleet = try LogicalFleet(prefix: "e2e-logical")
        defer { fleet.tearDown() }
        try fleet.loadData()
        let bouncer = try PgBouncerProcess(scratch: fleet.scratch, serverPort: fleet.source.port, database: fleet.database)
        defer { bouncer.stop() }
        try fleet.copyRepositoryHook("pgbouncer.lua")
        try fleet.copyRepositoryHook("bulk_copy.lua")
        let admin = bouncer.adminConninfo
        func pgbouncer(_ at: String, _ action: String, from: Int? = nil, to: Int? = nil) -> String {
            let repoint = from.map { ", ini: \(bouncer.iniPath), from: \"port=\($0)\", to: \"port=\(to!)\"" } ?? ""
            return "  - { at: \(at), run: Hooks/pgbouncer.lua, on: target, with: { admin: \"\(admin)\", action: \(action), database: shop\(repoint) } }"
        }
        // Just before traffic moves: the foreign key is still NOT VALID and the target already has statistics.
        try fleet.writeHook("before_switch.lua", """
            return function(ctx)
              local fk = upshift.sql("target", "select convalidated::text as v from pg_constraint where conrelid = 'transfers'::regclass and contype = 'f'")
              if fk[1].v ~= "false" then upshift.fail("the foreign key of transfers is checked before the switch") end
              -- 17 cannot add a NOT VALID key to a partitioned table: ledger's is checked at once.
              local ledger = upshift.sql("target", "select convalidated::text as v from pg_constraint where conrelid = 'ledger'::regclass and contype = 'f'")
              if ledger[1].v ~= "true" then upshift.fail("the foreign key of the partitioned ledger is not checked") end
              local stats = upshift.sql("target", "select count(*) as n from pg_stats where tablename = 'pgbench_accounts'")
              if tonumber(stats[1].n) == 0 then upshift.fail("pgbench_accounts has no statistics before the switch") end
            end

            """)
        let plan = try fleet.writePlan(options: "  foreign_keys: not_valid", extra: """
            probe:
              write: "\(bouncer.conninfo)"
              interval_ms: 20
            hooks:
              - { at: after:data, run: Hooks/bulk_copy.lua, on: target, with: { table: public.audit_events, parallel: 4, key: id } }
              - { at: before:switch, run: Hooks/bulk_copy.lua, on: target, with: { table: public.audit_events, key: id } }
              - { at: before:switch, run: Hooks/before_switch.lua, on: target }
            \(pgbouncer("before:cutover", "PAUSE"))
            \(pgbouncer("after:switch", "REPOINT", from: fleet.source.port, to: fleet.target.port))
            \(pgbouncer("after:rollback", "RESUME"))
            \(pgbouncer("before:rollback-to-source", "PAUSE"))
            \(pgbouncer("after:rollback-to-source", "REPOINT", from: fleet.target.port, to: fleet.source.port))
            """)
        let check = try Executables.runUpshift(["check", plan])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")

        // A pgbench writer through PgBouncer throughout: it waits across the cutover and then writes on the target. Half
        // its transactions append to the skipped audit_events: the hook copies most of it after `data` and the tail
        // past the last id inside the window (`before:switch`), and the reverse path carries what the target appends.
        let appender = fleet.scratch.path + "/audit.sql"
        try "insert into audit_events (kind, payload) values ('written by the writer', '{}');\n".write(toFile: appender, atomically: true, encoding: .utf8)
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: try TestPostgres.bindir("15") + "/pgbench")
        writer.arguments = ["-n", "-M", "simple", "-c", "2", "-R", "50", "-T", "600", "-b", "tpcb-like", "-f", appender,
                            "-h", "127.0.0.1", "-p", String(bouncer.port), "-U", "postgres", fleet.database]
        let writerLog = fleet.scratch.path + "/pgbench.out"
        _ = FileManager.default.createFile(atPath: writerLog, contents: nil)
        writer.standardOutput = FileHandle(forWritingAtPath: writerLog)
        writer.standardError = FileHandle(forWritingAtPath: writerLog)
        try writer.run()
        // SIGKILL: a child of the test runner may inherit a mask that blocks SIGTERM and SIGINT.
        defer { if writer.isRunning { kill(writer.processIdentifier, SIGKILL) } }

        let runDir = fleet.scratch.path + "/runs/logical"
        let run = try Executables.runUpshift(["run", plan, "--yes", "--run-dir", runDir])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        try #require(run.status == 0)

        // The target runs 17 with the key and the foreign key column that references it as bigint, the view on it.
        #expect(try fleet.value(fleet.target, "select current_setting('server_version_num')::int / 10000") == "17")
        #expect(try fleet.value(fleet.target, """
            select string_agg(format_type(atttypid, atttypmod), ',' order by attrelid::regclass::text)
            from pg_attribute where (attrelid, attname) in (('accounts'::regclass, 'id'), ('transfers'::regclass, 'account_id'))
            """) == "bigint,bigint")
        #expect(try fleet.value(fleet.target, "select data_type::text from pg_sequences where sequencename = 'accounts_id_seq'") == "bigint")
        #expect(try fleet.value(fleet.target, "select count(*) from account_names") == "500")
        // `post` checked the foreign key that `schema-post` made NOT VALID.
        #expect(try fleet.value(fleet.target, """
            select string_agg(conrelid::regclass || ':' || convalidated, ',' order by conrelid::regclass::text)
            from pg_constraint where contype = 'f'
            """) == "ledger:true,ledger_2026:true,transfers:true")
        #expect(try fleet.value(fleet.target, "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'ledger_2026'::regclass and attname = 'account_id'")
                == "bigint")
        // The sequence no column owns is ahead of the source's, the large object arrived.
        #expect(Int(try fleet.value(fleet.target, "select last_value from invoice_numbers") ?? "0")! >= 1040)
        #expect(try fleet.value(fleet.target, "select convert_from(lo_get(424242), 'UTF8')") == "a large object")
        // Traffic moved: PgBouncer now reaches the target, and the writer kept going there without a failure.
        let through = try PostgresConnection(conninfo: bouncer.conninfo)
        #expect(try through.simpleQuery("select current_setting('server_version_num')::int / 10000").rows == [["17"]])
        through.close()
        let historyAtSwitch = Int(try fleet.value(fleet.target, "select count(*) from pgbench_history") ?? "0")!
        try waitUntil("the writer to write on the target") {
            Int(try fleet.value(fleet.target, "select count(*) from pgbench_history") ?? "0")! > historyAtSwitch + 20
        }
        let report = try Executables.runUpshift(["report", runDir, "--format", "json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let downtime = try #require(json["downtime"] as? [String: Any])
        #expect(downtime["failed_transactions"] as? Int == 0, "clients waited in PgBouncer instead of failing: \(downtime)")
        let verified = try #require(json["verify"] as? [[String: Any]])
        #expect(verified.count >= 7 && verified.allSatisfy { $0["match"] as? Bool == true }, "\(verified)")
        // The source is fenced; its forward slot is gone; the reverse slot lives on the target.
        let fresh = try fleet.connect(fleet.source)
        #expect(try fresh.query("show default_transaction_read_only").rows == [["on"]])
        fresh.close()
        #expect(try fleet.value(fleet.source, "select count(*) from pg_replication_slots where slot_name like 'upshift%'") == "0")
        #expect(try fleet.value(fleet.target, "select count(*) from pg_replication_slots where slot_name like 'upshift%'") == "1")

        // A write made directly on the target comes back to the source over the reverse path.
        _ = try fleet.value(fleet.target, "insert into accounts (name) values ('written on 17') returning id")
        try waitUntil("the target's write to reach the source") {
            try fleet.value(fleet.source, "select count(*) from accounts where name = 'written on 17'") == "1"
        }

        // Large objects the target wrote or unlinked after the switch (replication carries none).
        _ = try fleet.value(fleet.target, "select lo_from_bytea(525252, 'written on 17'::bytea)")
        _ = try fleet.value(fleet.target, "select lo_unlink(424242)")

        // Back to the source: nothing the target took is lost, and clients are served by the source again.
        kill(writer.processIdentifier, SIGKILL)
        writer.waitUntilExit()
        let back = try Executables.runUpshift(["rollback", runDir])
        #expect(back.status == 0, "\(back.stdout)\n\(back.stderr)")
        let afterBack = try PostgresConnection(conninfo: bouncer.conninfo)
        #expect(try afterBack.simpleQuery("select current_setting('server_version_num')::int / 10000").rows == [["15"]])
        afterBack.close()
        for table in Self.tables {
            #expect(try digest(fleet, fleet.source, table) == digest(fleet, fleet.target, table), "\(table) differs after the way back")
        }
        #expect(try fleet.value(fleet.source, "select string_agg(oid::text || ':' || convert_from(lo_get(oid), 'UTF8'), ',') from pg_largeobject_metadata")
                == "525252:written on 17")
        let targetSeq = Int(try fleet.value(fleet.target, "select last_value from accounts_id_seq") ?? "0")!
        #expect(Int(try fleet.value(fleet.source, "select last_value from accounts_id_seq") ?? "0")! >= targetSeq + 1000)
        let readOnlyTarget = try fleet.connect(fleet.target)
        #expect(try readOnlyTarget.query("show default_transaction_read_only").rows == [["on"]], "the target is fenced after the way back")
        readOnlyTarget.close()
        _ = try fleet.value(fleet.source, "insert into accounts (name) values ('written on 15 again') returning id")
        #expect(try fleet.value(fleet.source, "select count(*) from pg_replication_slots where slot_name like 'upshift%'") == "0")
        #expect(try fleet.value(fleet.target, "select count(*) from pg_replication_slots where slot_name like 'upshift%'") == "0")
        let pgbench = (try? String(contentsOfFile: writerLog, encoding: .utf8)) ?? ""
        #expect(!pgbench.contains("aborted") && !pgbench.contains("ERROR"), "the writer saw no error: \(pgbench)")
    }

    /// `verify: online`: the content proof leaves the write window. The cutover holds a snapshot of each side and `verify`
    /// compares them after the switch; a row written on the target behind Upshift's back before the cutover is caught
    /// there, past the switch, with the table and the way back named (exit 3).
    @Test(arguments: [false, true]) func anOnlineProofComparesAfterTheSwitch(strayRowOnTheTarget: Bool) throws {
        let fleet = try LogicalFleet(prefix: "e2e-logical-online")
        defer { fleet.tearDown() }
        try fleet.loadData()
        try fleet.copyRepositoryHook("bulk_copy.lua")
        try fleet.writeHook("stray.lua", """
            return function(ctx)
              upshift.sql("target", "insert into notes (body) values ('only on the target')")
            end

            """)
        let stray = strayRowOnTheTarget ? "\n  - { at: before:cutover, run: Hooks/stray.lua, on: target }" : ""
        let plan = try fleet.writePlan(options: "  verify: online", extra: """
            hooks:
              - { at: after:data, run: Hooks/bulk_copy.lua, on: target, with: { table: public.audit_events, parallel: 4 } }\(stray)
            """)
        let runDir = fleet.scratch.path + "/runs/online"
        let run = try Executables.runUpshift(["run", plan, "--yes", "--run-dir", runDir])
        let cutoverLines = run.stdout.split(separator: "\n").filter { $0.contains(" cutover ") }
        #expect(cutoverLines.contains { $0.contains("snapshots of both sides held") }, "\(run.stdout)")
        #expect(!cutoverLines.contains { $0.contains("checksummed") }, "no table is read inside the write window: \(run.stdout)")
        if strayRowOnTheTarget {
            #expect(run.status == 3, "\(run.stdout)\n\(run.stderr)")
            let failure = run.stdout.split(separator: "\n").first { $0.contains("✗ failed") } ?? ""
            #expect(failure.contains("verify") && failure.contains("notes") && failure.contains("upshift rollback"), "\(run.stdout)")
        } else {
            #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
            let report = try Executables.runUpshift(["report", runDir, "--format", "json"])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
            let verified = try #require(json["verify"] as? [[String: Any]])
            #expect(verified.count >= 8 && verified.allSatisfy { $0["match"] as? Bool == true }, "\(verified)")
        }
        // Writes moved to the target either way, and no session still holds a snapshot open on either side.
        let target = try fleet.connect(fleet.target)
        #expect(try target.query("show default_transaction_read_only").rows == [["off"]])
        target.close()
        for server: LogicalFleet.Server in [fleet.source, fleet.target] {
            #expect(try fleet.value(server, """
                select count(*) from pg_stat_activity where state = 'idle in transaction' and pid <> pg_backend_pid()
                """) == "0", "\(server.name)")
        }
    }

    @Test func ddlOnTheSourceStopsTheCutoverAndLeavesTheSourceAsItWas() throws {
        let fleet = try LogicalFleet(prefix: "e2e-logical-ddl")
        defer { fleet.tearDown() }
        try fleet.loadData()
        try fleet.copyRepositoryHook("bulk_copy.lua")
        try fleet.writeHook("ddl.lua", """
            return function(ctx)
              upshift.sql("source", "alter table public.notes add column reviewed boolean")
            end
            """)
        let plan = try fleet.writePlan(extra: """
            hooks:
              - { at: after:data, run: Hooks/bulk_copy.lua, on: target, with: { table: public.audit_events, parallel: 4 } }
              - { at: after:subscribe, run: Hooks/ddl.lua, on: target }
            """)
        let runDir = fleet.scratch.path + "/runs/ddl"
        let run = try Executables.runUpshift(["run", plan, "--yes", "--run-dir", runDir])
        #expect(run.status == 1, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("schema changed since the snapshot"), "\(run.stdout)")
        let status = try Executables.runUpshift(["report", runDir, "--format", "json"])
        #expect(status.stdout.contains("\"rolled_back\""), "\(status.stdout)")

        // The source takes writes, holds no slot, publication, marker or replica identity of the run.
        _ = try fleet.value(fleet.source, "insert into notes (body) values ('after the rollback') returning 1")
        let fresh = try fleet.connect(fleet.source)
        #expect(try fresh.query("show default_transaction_read_only").rows == [["off"]])
        fresh.close()
        #expect(try fleet.value(fleet.source, "select count(*) from pg_replication_slots") == "0")
        #expect(try fleet.value(fleet.source, "select count(*) from pg_publication") == "0")
        #expect(try fleet.value(fleet.source, "select count(*) from pg_namespace where nspname = 'upshift_cutover'") == "0")
        #expect(try fleet.value(fleet.source, "select relreplident::text from pg_class where oid = 'notes'::regclass") == "d")
        // The target lost the database the run made, and its fence.
        let targetAdmin = try fleet.connect(fleet.target, database: "postgres")
        #expect(try targetAdmin.query("select count(*) from pg_database where datname = 'shop'").rows == [["0"]])
        #expect(try targetAdmin.query("show default_transaction_read_only").rows == [["off"]])
        #expect(try targetAdmin.query("select count(*) from pg_replication_slots").rows == [["0"]])
        targetAdmin.close()
        // Nothing to finish or roll back: the run never switched.
        let finish = try Executables.runUpshift(["finish", runDir])
        #expect(finish.status == 1 && finish.stderr.contains("never reached its switch"), "\(finish.stdout)\(finish.stderr)")
    }

    func waitUntil(_ what: String, seconds: Double = 60, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw AgentError("timed out waiting for \(what)")
    }
}
}
