import Foundation
import Testing
import UpshiftPostgres
import UpshiftTestSupport

/// `upshift check` then `upshift run` of a custom runbook on two real agents over mutual TLS, whose hooks
/// read and write real PostgreSQL 15 servers through `upshift.sql`.
extension EndToEnd {
@Suite(.serialized) struct RunbookTests {
    static let seedHook = """
    return function(ctx)
      upshift.sql("old", "create table orders(id int primary key, host text not null, note text)")
      local total = ctx.with.rows
      for first = 1, total, 100 do
        local last = math.min(first + 99, total)
        upshift.sql("old", "insert into orders select g, $1, $2 from generate_series($3::int, $4::int) g",
                    ctx.host, ctx.vars.note, first, last)
        upshift.progress(last, total, "rows")
      end
      upshift.log("info", "seeded " .. total .. " rows on " .. ctx.host)
    end
    """

    static let markHook = """
    return function(ctx)
      upshift.sql("old", "create table if not exists marks(host text, step text, note text)")
      local rows, affected = upshift.sql("old", "insert into marks values ($1, $2, $3) returning host", ctx.host, ctx.step, ctx.with.note)
      if rows[1].host ~= ctx.host or affected ~= 1 then upshift.fail("insert did not come back") end
      local count = upshift.sql("old", "select count(*) as n from marks")[1].n
      upshift.log("info", ctx.host .. " holds " .. count .. " marks")
    end
    """

    func plan(for fleet: LocalFleet, steps: String, hooks: String = "") -> String {
        """
        version: 1
        name: e2e-runbook
        strategy: custom
        tls: { dir: ./tls }
        vars: { note: "${E2E_NOTE}" }
        hosts:
        \(fleet.hostsYAML())
        steps:
        \(steps)
        \(hooks)
        """
    }

    @Test func runbookWritesThroughHooksAndJournalsEveryEvent() throws {
        let fleet = try LocalFleet(hosts: ["db1", "db2"], prefix: "e2e-run")
        defer { fleet.tearDown() }
        try fleet.write("Hooks/seed.lua", Self.seedHook)
        try fleet.write("Hooks/mark.lua", Self.markHook)
        let planPath = try fleet.write("plan.yaml", plan(for: fleet, steps: """
          - id: seed
            on: primary
            run: Hooks/seed.lua
            with: { rows: 500 }
          - id: mark
            run: Hooks/mark.lua
            with: { note: marked }
        """, hooks: """
        hooks:
          - at: after:seed
            run: Hooks/mark.lua
            on: db2
            with: { note: hooked }
        """))
        let environment = ProcessInfo.processInfo.environment.merging(["E2E_NOTE": "from-env"]) { $1 }

        let check = try Executables.runUpshift(["check", planPath], environment: environment)
        #expect(check.status == 0, "\(check.stderr)")

        let runDir = fleet.scratch.path + "/runs/first"
        let run = try Executables.runUpshift(["run", planPath, "--yes", "--run-dir", runDir], environment: environment)
        #expect(run.status == 0, "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        #expect(run.stdout.contains("run directory: \(runDir)"))

        // What the operator saw, live: every host's events.
        let lines = run.stdout.split(separator: "\n").map(String.init)
        func saw(_ host: String, _ step: String, _ text: String) -> Bool {
            lines.contains { $0.contains(" \(host) ") && $0.contains(step) && $0.contains(text) }
        }
        #expect(saw("db1", "seed", "started"))
        #expect(saw("db1", "seed", "500/500 rows"))
        #expect(saw("db1", "seed", "seeded 500 rows on db1"))
        #expect(saw("db1", "seed", "finished in"))
        #expect(saw("db2", "after:seed/mark", "db2 holds 1 marks"))
        #expect(saw("db1", "mark", "db1 holds 1 marks"))
        #expect(saw("db2", "mark", "db2 holds 2 marks"))
        #expect(run.stdout.contains("result: done"))

        // What the databases hold.
        let db1 = try fleet.clusters["db1"]!.connect()
        defer { db1.close() }
        let orders = try db1.query("select count(*), min(host), min(note) from orders")
        #expect(orders.rows == [["500", "db1", "from-env"]])
        let db2 = try fleet.clusters["db2"]!.connect()
        defer { db2.close() }
        let marks = try db2.query("select step, note from marks order by step")
        #expect(marks.rows == [["after:seed/mark", "hooked"], ["mark", "marked"]])

        // The journal: every step on every host, started and finished, with the plan hash on every line.
        let journal = try String(contentsOfFile: runDir + "/journal.jsonl", encoding: .utf8)
        let records = journal.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let planHashes = Set(records.compactMap { $0["plan"] as? String })
        #expect(planHashes.count == 1 && planHashes.first?.count == 64)
        for (step, host) in [("seed", "db1"), ("after:seed/mark", "db2"), ("mark", "db1"), ("mark", "db2")] {
            for kind in ["step.started", "step.finished"] {
                #expect(records.contains { $0["kind"] as? String == kind && $0["step"] as? String == step && $0["host"] as? String == host },
                        "\(kind) \(step) \(host)")
            }
        }
        #expect(records.contains { $0["kind"] as? String == "step.progress" && $0["done"] as? Double == 500 })
        #expect(records.last?["kind"] as? String == "run.finished" && records.last?["outcome"] as? String == "done")

        // The agents journal their side too.
        let agentJournal = try runAsPostgres(["/bin/cat", fleet.agents["db1"]!.stateDirectory + "/journal.jsonl"]).stdout
        #expect(agentJournal.contains(#""state":"finished""#) && agentJournal.contains(#""step":"seed""#))

        // status and report read the run directory.
        let status = try Executables.runUpshift(["status", runDir])
        #expect(status.status == 0 && status.stdout.contains("done"))
        let report = try Executables.runUpshift(["report", runDir, "--format", "json"])
        let json = try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any]
        #expect(json?["result"] as? String == "done")
        #expect((json?["steps"] as? [[String: Any]])?.count == 4)
    }

    @Test func failingHookStopsTheRunWithItsLineAndRunsNothingAfter() throws {
        let fleet = try LocalFleet(hosts: ["db1", "db2"], prefix: "e2e-fail")
        defer { fleet.tearDown() }
        try fleet.write("Hooks/mark.lua", Self.markHook)
        try fleet.write("Hooks/boom.lua", """
        return function(ctx)
          upshift.log("info", "about to fail")
          if ctx.host == "db2" then upshift.fail("disk on " .. ctx.host .. " is full") end
        end
        """)
        let planPath = try fleet.write("plan.yaml", plan(for: fleet, steps: """
          - id: boom
            run: Hooks/boom.lua
          - id: mark
            run: Hooks/mark.lua
            with: { note: never }
        """))
        let runDir = fleet.scratch.path + "/runs/fail"
        let run = try Executables.runUpshift(["run", planPath, "--yes", "--run-dir", runDir],
                                             environment: ProcessInfo.processInfo.environment.merging(["E2E_NOTE": "x"]) { $1 })
        #expect(run.status == 1, "\(run.stdout)")
        #expect(run.stdout.contains("Hooks/boom.lua:3: disk on db2 is full"))
        #expect(run.stdout.contains("result: failed"))
        let db1 = try fleet.clusters["db1"]!.connect()
        defer { db1.close() }
        let marks = try db1.query("select count(*) from pg_tables where tablename = 'marks'")
        #expect(marks.rows == [["0"]], "the step after the failed one must not run")
        let status = try Executables.runUpshift(["status", runDir, "--json"])
        #expect(status.stdout.contains(#""result" : "failed""#))
    }

    /// A hook whose program never ends and one whose query never ends each fail their step at its deadline
    /// (`options.step_timeouts`): the program's process group is killed, the query cancelled on the server,
    /// and the same agents serve the next run at once.
    @Test func hungHooksFailAtTheirDeadlineAndTheAgentsServeOn() throws {
        let fleet = try LocalFleet(hosts: ["db1", "db2"], prefix: "e2e-hang")
        defer { fleet.tearDown() }
        try fleet.write("Hooks/mark.lua", Self.markHook)
        try fleet.write("Hooks/exec.lua", "return function(ctx)\n  upshift.exec({\"sleep\", \"300\"})\nend\n")
        try fleet.write("Hooks/sql.lua", "return function(ctx)\n  upshift.sql(\"old\", \"select pg_sleep(300)\")\nend\n")
        let environment = ProcessInfo.processInfo.environment.merging(["E2E_NOTE": "x"]) { $1 }
        for hook in ["exec", "sql"] {
            let planPath = try fleet.write("plan-\(hook).yaml", plan(for: fleet, steps: """
              - id: hang
                on: primary
                run: Hooks/\(hook).lua
            """, hooks: "options:\n  step_timeouts: { hang: 2 }"))
            let clock = ContinuousClock()
            let started = clock.now
            let run = try Executables.runUpshift(["run", planPath, "--yes", "--run-dir", fleet.scratch.path + "/runs/hang-\(hook)"],
                                                 environment: environment)
            #expect(run.status == 1, "\(run.stdout)")
            #expect(run.stdout.contains("deadline of 2 s passed"), "\(run.stdout)")
            #expect(clock.now - started < .seconds(30), "\(hook): the step ended at its deadline")
        }
        let db1 = try fleet.clusters["db1"]!.connect()
        defer { db1.close() }
        #expect(try db1.query("select count(*) from pg_stat_activity where query like 'select pg_sleep(300)%'").rows == [["0"]],
                "the hung query was cancelled on the server")
        let planPath = try fleet.write("plan-after.yaml", plan(for: fleet, steps: """
          - id: mark
            run: Hooks/mark.lua
            with: { note: after }
        """))
        let after = try Executables.runUpshift(["run", planPath, "--yes", "--run-dir", fleet.scratch.path + "/runs/after"], environment: environment)
        #expect(after.status == 0, "the agents serve on: \(after.stdout)")
    }

    @Test func checkRejectsABrokenHookWithItsPosition() throws {
        let scratch = try ScratchDir(prefix: "e2e-check")
        defer { scratch.remove() }
        try FileManager.default.createDirectory(atPath: scratch.path + "/Hooks", withIntermediateDirectories: true)
        try "return function(ctx)\n  local x = = 1\nend\n".write(toFile: scratch.path + "/Hooks/bad.lua", atomically: true, encoding: .utf8)
        let planPath = scratch.path + "/plan.yaml"
        try """
        version: 1
        name: broken
        strategy: custom
        tls: { dir: ./tls }
        hosts:
          - { name: db1, agent: "127.0.0.1:7710", role: primary, port: 5432, pgdata: /tmp/x }
        steps:
          - id: one
            run: Hooks/bad.lua
        """.write(toFile: planPath, atomically: true, encoding: .utf8)
        let check = try Executables.runUpshift(["check", planPath])
        #expect(check.status == 1)
        #expect(check.stderr.contains("plan.yaml:9:"), "\(check.stderr)")
        #expect(check.stderr.contains("Hooks/bad.lua:2:"), "\(check.stderr)")
        let usage = try Executables.runUpshift(["run"])
        #expect(usage.status == 2)
    }
}
}

/// Every plan shipped in Plans/ passes `upshift check` as it is.
@Test func everyShippedPlanChecks() throws {
    let plans = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Plans").standardizedFileURL.path
    let files = try FileManager.default.contentsOfDirectory(atPath: plans).filter { $0.hasSuffix(".yaml") }
    #expect(files.count >= 3)
    for file in files {
        let check = try Executables.runUpshift(["check", "\(plans)/\(file)"])
        #expect(check.status == 0, "\(file): \(check.stderr)")
    }
}

/// The local fleet's plan templates, rendered as `examples/local-fleet.sh` renders them, pass `upshift check`.
@Test func everyExamplePlanTemplateChecks() throws {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardizedFileURL.path
    let scratch = try ScratchDir(prefix: "up-ex")
    defer { scratch.remove() }
    try FileManager.default.copyItem(atPath: repository + "/Hooks", toPath: scratch.path + "/Hooks")
    let values = ["@PG_ROOT@": "/opt/upshift/pg", "@FLEET@": "/srv/fleet", "@AGENT1@": "7801", "@AGENT2@": "7802", "@AGENT3@": "7803",
                  "@PRIMARY_PORT@": "5433", "@STANDBY_PORT@": "5434", "@STANDBY2_PORT@": "5435", "@STANDBYS@": "rsync",
                  "@VERIFY@": "structural", "@LOGICAL_VERIFY@": "online", "@SOURCE_PORT@": "5435", "@TARGET_PORT@": "5436", "@BOUNCER_PORT@": "5438"]
    let templates = try FileManager.default.contentsOfDirectory(atPath: repository + "/examples").filter { $0.hasSuffix(".yaml.in") }
    #expect(templates.count >= 2)
    for template in templates {
        var text = try String(contentsOfFile: "\(repository)/examples/\(template)", encoding: .utf8)
        for (placeholder, value) in values { text = text.replacingOccurrences(of: placeholder, with: value) }
        #expect(!text.contains("@"), "\(template) has a placeholder this test does not fill")
        let path = scratch.path + "/" + template.replacingOccurrences(of: ".in", with: "")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let check = try Executables.runUpshift(["check", path])
        #expect(check.status == 0, "\(template): \(check.stdout)\(check.stderr)")
    }
}
