import Foundation
import Testing
import UpshiftPostgres
import UpshiftTestSupport

/// What a run does on a DBA's bad day: a link that drops mid-step, a coordinator killed as a step starts, a
/// hook that hangs, a new primary that fails inside its own start. Every run ends done or rolled back with
/// the old cluster intact, or, past the point of no return, says so (exit 3) and starts nothing old.
extension EndToEnd {
@Suite(.serialized) struct FaultTests {
    func journal(_ runDir: String) -> [[String: Any]] {
        let text = (try? String(contentsOfFile: runDir + "/journal.jsonl", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func agentJournal(_ host: StreamingFleet.Host) throws -> [[String: Any]] {
        let text = try runAsPostgres(["/bin/cat", host.agent.stateDirectory + "/journal.jsonl"]).stdout
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func hasRecord(_ runDir: String, kind: String, step: String? = nil, host: String? = nil) -> Bool {
        journal(runDir).contains { $0["kind"] as? String == kind && (step == nil || $0["step"] as? String == step)
            && (host == nil || $0["host"] as? String == host) }
    }

    func serverMajor(_ fleet: StreamingFleet, _ host: StreamingFleet.Host) throws -> Int {
        Int(try fleet.query(host, "show server_version_num")[0][0] ?? "0")! / 10000
    }

    /// The new primary comes up in recovery (a hook left a standby.signal): the agent had journaled the point
    /// of no return before `pg_ctl start`, so the run ends exit 3, the old primary is not started on the linked
    /// files, and the report names the keep_old standby as the way back.
    @Test func aNewPrimaryThatFailsInsideItsStartIsPastThePointOfNoReturn() throws {
        let fleet = try StreamingFleet(standbys: ["db2", "db3"], keepOld: ["db3"], prefix: "e2e-ponr")
        defer { fleet.tearDown() }
        try fleet.loadData()
        try fleet.writeHook("recovery.lua", """
            return function(ctx)
              local status, out, err = upshift.exec({"touch", ctx.new_pgdata .. "/standby.signal"})
              if status ~= 0 then upshift.fail("touch: " .. err) end
            end
            """)
        let runDir = fleet.scratch.path + "/runs/ponr"
        let plan = try fleet.writePlan(extra: "hooks:\n  - { at: before:start-primary, run: Hooks/recovery.lua, on: primary }")
        let run = try Executables.runUpshift(["run", plan, "--yes", "--run-dir", runDir])
        #expect(run.status == 3, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("result: failed_after_point_of_no_return"), "\(run.stdout)")
        #expect(run.stdout.contains("the new primary came up in recovery"), "\(run.stdout)")
        #expect(run.stdout.contains("Rollback route: db3"), "\(run.stdout)")
        #expect(hasRecord(runDir, kind: "run.point-of-no-return", host: "db1"))
        #expect(!hasRecord(runDir, kind: "run.rollback"), "nothing was rolled back")
        let old = fleet.primary.pgdata
        #expect(!FileManager.default.fileExists(atPath: old + "/postmaster.pid"), "the old primary was not started")
        #expect(FileManager.default.fileExists(atPath: old + "/global/pg_control.old"), "its pg_control stays renamed")
        #expect(try serverMajor(fleet, fleet.hosts[2]) == 15)
        #expect(try fleet.query(fleet.hosts[2], "select count(*) from pgbench_accounts") == [["100000"]])
        let report = try Executables.runUpshift(["report", runDir, "--format", "md"])
        #expect(report.stdout.contains("db3"), "\(report.stdout)")
    }

    /// The link to the primary's agent drops as `stop-primary` runs (reset, or gone silent, which only the
    /// heartbeat notices): the step finishes on the agent, the coordinator reconnects, re-attaches and gets
    /// the step's outputs (the checksums verify needs) from the agent's journal, and the run ends done.
    @Test(arguments: [false, true])
    func aLinkCutWhileStopPrimaryRunsIsReattachedAndTheRunEndsDone(silently: Bool) throws {
        let fleet = try StreamingFleet(standbys: ["db2"], prefix: "e2e-cut\(silently ? "s" : "r")")
        defer { fleet.tearDown() }
        try fleet.loadData(scale: 3)
        let relay = try LinkRelay(to: fleet.primary.agent.port)
        defer { relay.stop() }
        fleet.relayedAgentPorts["db1"] = relay.port
        let runDir = fleet.scratch.path + "/runs/cut"
        let plan = try fleet.writePlan(options: "  heartbeat_timeout_s: 3")
        let (coordinator, output) = try Executables.startUpshift(["run", plan, "--yes", "--run-dir", runDir])
        defer { if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) } }
        try waitFor("stop-primary to start", seconds: 120) { hasRecord(runDir, kind: "step.started", step: "stop-primary") }
        relay.cut(silently: silently)
        try waitFor("stop-primary to finish on the agent while the link is down", seconds: 60) {
            try agentJournal(fleet.primary).contains { $0["step"] as? String == "stop-primary" && $0["state"] as? String == "finished" }
        }
        relay.restore()
        let printed = Executables.finish(coordinator, output)
        #expect(coordinator.terminationStatus == 0, "\(printed)")
        #expect(hasRecord(runDir, kind: "host.link-lost", step: "stop-primary", host: "db1"), "\(printed)")
        #expect(hasRecord(runDir, kind: "host.reconnected", step: "stop-primary", host: "db1"), "\(printed)")
        #expect(try serverMajor(fleet, fleet.primary) == 17)
        let starts = try agentJournal(fleet.primary).filter { $0["step"] as? String == "stop-primary" && $0["state"] as? String == "started" }
        #expect(starts.count == 1, "stop-primary ran once")
        #expect(try JournalVerifiedTable.read(runDir: runDir).contains(
            JournalVerifiedTable(host: "db1", table: "postgres.public.pgbench_accounts", oldRows: 300_000, newRows: 300_000, matches: true)))
    }

    /// The link stays down past the re-attach window while a hook on the primary hangs: the coordinator gives
    /// the step up and asks for a rollback, and the agent stops the hung step (its program killed) before
    /// the rollback touches anything; the fleet ends on 15, intact and writable.
    @Test func aRollbackCancelsTheStepItUndoesBeforeItActs() throws {
        let fleet = try StreamingFleet(standbys: ["db2"], prefix: "e2e-cancel")
        defer { fleet.tearDown() }
        try fleet.loadData()
        let relay = try LinkRelay(to: fleet.primary.agent.port)
        defer { relay.stop() }
        fleet.relayedAgentPorts["db1"] = relay.port
        try fleet.writeHook("hang.lua", "return function(ctx)\n  upshift.exec({\"sleep\", \"120\"})\nend\n")
        let runDir = fleet.scratch.path + "/runs/cancel"
        let plan = try fleet.writePlan(options: "  reattach_timeout_s: 2\n  heartbeat_timeout_s: 3",
                                       extra: "hooks:\n  - { at: before:stop-primary, run: Hooks/hang.lua, on: primary }")
        let clock = ContinuousClock()
        let started = clock.now
        let (coordinator, output) = try Executables.startUpshift(["run", plan, "--yes", "--run-dir", runDir])
        defer { if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) } }
        try waitFor("the hook to start", seconds: 120) { hasRecord(runDir, kind: "step.started", step: "before:stop-primary/hang") }
        relay.cut()
        try waitFor("the coordinator to give the step up and roll back", seconds: 60) { hasRecord(runDir, kind: "run.rollback") }
        relay.restore()
        let printed = Executables.finish(coordinator, output)
        #expect(coordinator.terminationStatus == 1, "\(printed)")
        #expect(printed.contains("result: rolled_back"), "\(printed)")
        #expect(clock.now - started < .seconds(100), "the hung program did not hold the rollback")
        let lines = try agentJournal(fleet.primary)
        let hookEnd = try #require(lines.firstIndex { $0["step"] as? String == "before:stop-primary/hang" && $0["state"] as? String == "failed" },
                                   "agent journal: \(lines)\ncoordinator: \(printed)")
        let rollbackStart = try #require(lines.firstIndex { $0["step"] as? String == "rollback" && $0["state"] as? String == "started" })
        #expect(hookEnd < rollbackStart, "the hung step ended before the rollback began")
        #expect((lines[hookEnd]["message"] as? String ?? "").contains("rollback"), "\(lines[hookEnd])")
        #expect(try serverMajor(fleet, fleet.primary) == 15)
        _ = try fleet.query(fleet.primary, "insert into customers (name) values ('after the rollback') returning id")
    }

    /// `stop-primary` runs out of time while it checksums behind the write fence (a 1 s deadline): a prepared
    /// transaction that a hook leaves holding `pgbench_accounts` (the fence ends sessions, not prepared
    /// transactions) keeps the checksum waiting until the deadline cancels it. The fence's settings leave
    /// postgresql.auto.conf, the rollback lifts it on the running server, and the old primary takes writes with
    /// autovacuum on again.
    @Test func aStopCutShortBehindTheFenceLeavesTheOldPrimaryWritable() throws {
        let fleet = try StreamingFleet(standbys: ["db2"], prefix: "e2e-fence")
        defer { fleet.tearDown() }
        try fleet.loadData()
        try fleet.writeHook("hold.lua", """
            return function(ctx)
              upshift.sql("old", "begin; lock table pgbench_accounts in access exclusive mode; prepare transaction 'upshift-e2e-hold'")
            end

            """)
        let plan = try fleet.writePlan(options: "  verify: fenced\n  step_timeouts: { stop-primary: 1 }",
                                       extra: "hooks:\n  - { at: before:stop-primary, run: Hooks/hold.lua, on: primary }")
        let run = try Executables.runUpshift(["run", plan, "--yes", "--run-dir", fleet.scratch.path + "/runs/fence"])
        #expect(run.status == 1 && run.stdout.contains("result: rolled_back"), "\(run.stdout)\n\(run.stderr)")
        let failure = run.stdout.split(separator: "\n").first { $0.contains("✗ failed") } ?? ""
        #expect(failure.contains("stop-primary") && failure.contains("deadline"), "the step was cut short: \(run.stdout)")
        #expect(try serverMajor(fleet, fleet.primary) == 15)
        #expect(try fleet.query(fleet.primary, "select current_setting('default_transaction_read_only'), current_setting('autovacuum')")
                == [["off", "on"]])
        let auto = try String(contentsOfFile: fleet.primary.pgdata + "/postgresql.auto.conf", encoding: .utf8)
        #expect(!auto.contains("default_transaction_read_only") && !auto.contains("autovacuum"), "\(auto)")
        #expect(try fleet.query(fleet.primary, "select gid from pg_prepared_xacts") == [["upshift-e2e-hold"]],
                "the held lock is what kept the checksum waiting")
        _ = try fleet.query(fleet.primary, "rollback prepared 'upshift-e2e-hold'")
        _ = try fleet.query(fleet.primary, "insert into customers (name) values ('after the cut') returning id")
        #expect(try fleet.query(fleet.primary, "update pgbench_accounts set abalance = abalance + 1 where aid = 1 returning aid") == [["1"]])
    }

    /// The standby's port is held by another socket for 2 s as its new server starts (what a client's outgoing
    /// connection that the system numbered like the port does): the start is tried again and the run ends done,
    /// rather than failing past the point of no return.
    @Test func aStandbyWhosePortIsHeldForAMomentStartsOnceItIsFree() throws {
        let fleet = try StreamingFleet(standbys: ["db2"], prefix: "e2e-port")
        defer { fleet.tearDown() }
        try fleet.loadData()
        // Listens on the port, then leaves a detached child holding it for 2 s and returns once the child has left the
        // hook's process group (which the agent ends with the hook).
        try fleet.writeHook("hold-port.lua", """
            local holder = [[
            import os, socket, sys, time
            s = socket.socket()
            # The old server's closed connections may leave the port in TIME_WAIT; a listening socket still holds it.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", int(sys.argv[1])))
            s.listen(1)
            ready, told = os.pipe()
            if os.fork() == 0:
                os.setsid()
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2): os.dup2(null, fd)
                os.write(told, b"x")
                time.sleep(2)
                os._exit(0)
            os.read(ready, 1)
            ]]
            return function(ctx)
              local status, _, err = upshift.exec({"python3", "-c", holder, tostring(ctx.with.port)})
              if status ~= 0 then upshift.fail("could not hold the port: " .. err) end
            end
            """)
        let plan = try fleet.writePlan(extra: "hooks:\n  - { at: before:start-standbys, run: Hooks/hold-port.lua, on: db2, with: { port: \(fleet.hosts[1].port) } }")
        let run = try Executables.runUpshift(["run", plan, "--yes", "--run-dir", fleet.scratch.path + "/runs/port"])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("is busy for a moment (address already in use); starting again"), "\(run.stdout)")
        #expect(try serverMajor(fleet, fleet.hosts[1]) == 17)
        #expect(try fleet.query(fleet.hosts[1], "select status from pg_stat_wal_receiver") == [["streaming"]])
    }

    /// The file system of the new cluster fills up while `pg_upgrade --copy` writes to it (a hook after
    /// init-new leaves 8 MB free on a 300 MB tmpfs): the run rolls back and the old fleet is intact and
    /// writable, the unfinished new cluster moved aside.
    @Test func aDiskThatFillsDuringPgUpgradeRollsBackIntact() throws {
        let fleet = try StreamingFleet(standbys: ["db2"], prefix: "e2e-full")
        let volume = fleet.scratch.path + "/db1/volume"
        defer {
            fleet.tearDown()
            _ = try? ProgramRunner.run("/bin/umount", ["-l", volume])
            try? FileManager.default.removeItem(atPath: fleet.scratch.path)
        }
        try fleet.loadData(scale: 4)
        _ = try runAsPostgres(["/bin/mkdir", "-p", volume])
        let owner = try #require(getpwnam("postgres"), "the postgres user")
        try ProgramRunner.run("/bin/mount", ["-t", "tmpfs", "-o", "size=300m,mode=0700,uid=\(owner.pointee.pw_uid),gid=\(owner.pointee.pw_gid)",
                                             "tmpfs", volume]).requireSuccess()
        fleet.hosts[0].newPgdata = volume + "/17"
        _ = try fleet.query(fleet.primary, "alter system set max_wal_size = '64MB'")
        _ = try fleet.query(fleet.primary, "select pg_reload_conf()")
        let checksum = "select count(*), sum(hashtextextended(a::text, 0)::numeric) from pgbench_accounts a"
        let expected = try fleet.query(fleet.primary, checksum)
        try fleet.writeHook("fill.lua", """
            return function(ctx)
              local _, out = upshift.exec({"df", "--output=avail", "-B1", ctx.with.volume})
              local avail = tonumber(out:match("(%d+)%s*$"))
              local status, _, err = upshift.exec({"fallocate", "-l", tostring(avail - 8 * 1024 * 1024), ctx.with.volume .. "/filler"})
              if status ~= 0 then upshift.fail("fallocate: " .. err) end
              upshift.log("info", "left 8 MB free on " .. ctx.with.volume)
            end
            """)
        let runDir = fleet.scratch.path + "/runs/full"
        let plan = try fleet.writePlan(transfer: "copy", options: "  standbys: basebackup",
                                       extra: "hooks:\n  - { at: after:init-new, run: Hooks/fill.lua, on: primary, with: { volume: \(volume) } }")
        let run = try Executables.runUpshift(["run", plan, "--yes", "--run-dir", runDir])
        #expect(run.status == 1, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("result: rolled_back — step pg-upgrade failed on db1"), "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("No space left on device") || run.stdout.contains("could not"), "\(run.stdout)")
        #expect(try serverMajor(fleet, fleet.primary) == 15)
        #expect(try fleet.query(fleet.primary, checksum) == expected)
        _ = try fleet.query(fleet.primary, "insert into customers (name) values ('after the rollback') returning id")
        #expect(!FileManager.default.fileExists(atPath: volume + "/17"), "the unfinished new cluster was moved aside")
        try waitFor("the standby to replay again") {
            try fleet.query(fleet.hosts[1], "select count(*) from customers where name = 'after the rollback'") == [["1"]]
        }
    }

    /// The primary's agent is SIGKILLed while `verify` runs (past the point of no return) and started again
    /// on the same state directory: it stops what its predecessor left running, and since verify only
    /// compares and lifts the fence, it runs again when the coordinator re-attaches; the run ends done.
    @Test func anAgentKilledDuringVerifyIsRestartedAndTheStepRunsAgain() throws {
        let fleet = try StreamingFleet(standbys: ["db2"], prefix: "e2e-agent")
        defer { fleet.tearDown() }
        try fleet.loadData(scale: 6)
        let runDir = fleet.scratch.path + "/runs/agent"
        let (coordinator, output) = try Executables.startUpshift(["run", try fleet.writePlan(), "--yes", "--run-dir", runDir])
        defer { if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) } }
        try waitFor("verify to start", seconds: 180) { hasRecord(runDir, kind: "step.started", step: "verify") }
        fleet.hosts[0].agent.kill()
        Thread.sleep(forTimeInterval: 1)
        fleet.hosts[0].agent = try fleet.hosts[0].agent.restarted()
        let printed = Executables.finish(coordinator, output)
        #expect(coordinator.terminationStatus == 0, "\(printed)")
        let verify = try agentJournal(fleet.primary).filter { $0["step"] as? String == "verify" }.map { $0["state"] as? String ?? "" }
        #expect(verify == ["started", "failed", "started", "finished"], "interrupted, then run again: \(verify)")
        #expect(try fleet.query(fleet.primary, "show default_transaction_read_only") == [["off"]])
        #expect(try serverMajor(fleet, fleet.primary) == 17)
    }

    /// The coordinator is SIGKILLed the moment it asks for `stop-primary` or `pg-upgrade`; `upshift resume`
    /// re-attaches to the step (or gets its outputs from the agent's journal) and ends the run done, each step
    /// having run once.
    @Test(arguments: ["stop-primary", "pg-upgrade"])
    func aCoordinatorKilledAsAStepStartsIsResumedToTheEnd(step: String) throws {
        let fleet = try StreamingFleet(standbys: ["db2"], prefix: "e2e-kill-\(step.prefix(4))")
        defer { fleet.tearDown() }
        try fleet.loadData()
        let checksum = "select count(*), sum(hashtextextended(a::text, 0)::numeric) from pgbench_accounts a"
        let expected = try fleet.query(fleet.primary, checksum)
        let runDir = fleet.scratch.path + "/runs/kill"
        let (coordinator, output) = try Executables.startUpshift(["run", try fleet.writePlan(), "--yes", "--run-dir", runDir])
        defer { if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) } }
        try waitFor("\(step) to be asked for", seconds: 120) { hasRecord(runDir, kind: "step.requested", step: step) }
        kill(coordinator.processIdentifier, SIGKILL)
        _ = Executables.finish(coordinator, output)
        let resumed = try Executables.runUpshift(["resume", runDir])
        #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")
        #expect(try serverMajor(fleet, fleet.primary) == 17)
        #expect(try fleet.query(fleet.primary, checksum) == expected)
        let starts = try agentJournal(fleet.primary).filter { $0["step"] as? String == step && $0["state"] as? String == "started" }
        #expect(starts.count == 1, "\(step) ran once")
    }
}
}
