import Foundation
import Testing
@testable import UpshiftPlan

/// `${VAR}` expansion, `with:` typing, relative paths and bundles.
@Suite struct ValuesAndPathsTests {
    @Test func environmentVariablesExpandInEveryScalar() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let yaml = basePlan.editing("bindir: /pg/17/bin", "bindir: \"${PG_ROOT}/17/bin\"")
            .editing("agent: 127.0.0.1:7710", "agent: ${AGENT_HOST}:${AGENT_PORT}")
            .editing("    role: primary\n", "    role: primary\n    port: ${PGPORT}\n")
            + "hooks:\n  - at: after:verify\n    run: hooks/check.lua\n    with:\n"
            // Block style: in a flow mapping `{` and `}` are YAML syntax, so `${…}` there must be quoted.
            + "      port: ${PGPORT}\n      label: \"${PGPORT}\"\n      literal: \"$${HOME}\"\n"
        let env = ["PG_ROOT": "/opt/upshift/pg", "AGENT_HOST": "10.1.2.3", "AGENT_PORT": "7799", "PGPORT": "6543"]
        let plan = try fixture.load(yaml, environment: env).plan
        #expect(plan.postgres?.to.bindir == "/opt/upshift/pg/17/bin")
        #expect(plan.hosts[0].agentHost == "10.1.2.3" && plan.hosts[0].agentPort == 7799)
        #expect(plan.hosts[0].port == 6543)
        #expect(plan.hooks[0].with == .object(["port": .int(6543), "label": .string("6543"), "literal": .string("${HOME}")]))
    }

    @Test func expansionHandlesEscapesAndReportsEveryUnsetVariable() {
        let env = ["A": "1"]
        #expect(Expansion.expand("x${A}y$${A}z$A", environment: env).text == "x1y${A}z$A")
        #expect(Expansion.expand("${B}-${C}", environment: env).problems == [.unset("B"), .unset("C")])
        #expect(Expansion.expand("${1X}", environment: env).problems == [.badName("1X")])
    }

    @Test func relativePathsResolveAgainstThePlanDirectory() throws {
        let fixture = try Fixture(hooks: ["shared/hooks/a.lua"])
        defer { fixture.remove() }
        let planDir = fixture.directory + "/plans"
        try FileManager.default.createDirectory(atPath: planDir, withIntermediateDirectories: true)
        let yaml = basePlan.editing("tls: { dir: ./tls }", "tls: { dir: ../certs }")
            + "hooks:\n  - { at: after:verify, run: ../shared/hooks/a.lua }\n"
        try yaml.write(toFile: planDir + "/p.yaml", atomically: true, encoding: .utf8)
        // Not via the working directory: it is process-wide and tests run in parallel.
        let loaded = try PlanLoader.load(path: planDir + "/./p.yaml", environment: [:])
        #expect(loaded.plan.planDirectory == planDir)
        #expect(loaded.plan.tls.dir == fixture.directory + "/certs")
        #expect(loaded.plan.hooks[0].path == fixture.directory + "/shared/hooks/a.lua")
        #expect(loaded.plan.hooks[0].run == "../shared/hooks/a.lua")
        #expect(loaded.hookSources["../shared/hooks/a.lua"]?.contains("a.lua") == true)
    }

    @Test func anAgentParsesFromItsBundleByRunAsWritten() throws {
        var asked: [String] = []
        let bundle = ["Hooks/pgbouncer.lua": "return function(ctx) end"]
        let read: (String) throws -> String = { run in
            asked.append(run)
            guard let source = bundle[run] else { throw HookFileNotFound(path: run) }
            return source
        }
        let yaml = basePlan + "hooks:\n  - { at: before:stop-primary, run: Hooks/pgbouncer.lua }\n"
        let loaded = try PlanLoader.parse(text: yaml, path: "plans/shop.yaml", environment: [:], readFile: read)
        #expect(asked == ["Hooks/pgbouncer.lua"])
        #expect(loaded.hookSources == bundle && loaded.text == yaml && loaded.path == "plans/shop.yaml")

        let missing = basePlan + "hooks:\n  - { at: before:stop-primary, run: Hooks/other.lua }\n"
        #expect(throws: PlanErrors.self) { try PlanLoader.parse(text: missing, path: "p.yaml", environment: [:], readFile: read) }
        do {
            _ = try PlanLoader.parse(text: missing, path: "p.yaml", environment: [:], readFile: read)
        } catch let errors as PlanErrors {
            #expect(errors.description.hasPrefix("p.yaml:20:37: hook file 'Hooks/other.lua' does not exist"))
        }
    }

    @Test func withValuesKeepYAMLTypes() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let yaml = basePlan + """
        hooks:
          - at: after:verify
            run: hooks/check.lua
            with: { i: 4, d: 1.5, b: true, n: ~, s: "4", list: [a, 2], nested: { k: v }, ver: 1.2.3 }

        """
        let with = try fixture.load(yaml).plan.hooks[0].with
        #expect(with == .object([
            "i": .int(4), "d": .double(1.5), "b": .bool(true), "n": .null, "s": .string("4"),
            "list": .array([.string("a"), .int(2)]), "nested": .object(["k": .string("v")]), "ver": .string("1.2.3"),
        ]))
        let json = try JSONEncoder().encode(with)
        #expect(try JSONDecoder().decode(JSONValue.self, from: json) == with)
    }

    /// Found by hand while writing the plan loader's fuzz target (fuzz/): a kilobyte of aliases of lists of aliases
    /// stands for a billion values, which the loader went on building until time or memory ran out.
    @Test(.timeLimit(.minutes(1))) func withTablesAliasesCannotBlowUp() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        var levels = ["      l0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for level in 1...8 {
            levels.append("      l\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]")
        }
        let yaml = basePlan + "hooks:\n  - at: after:verify\n    run: hooks/check.lua\n    with:\n" + levels.joined(separator: "\n") + "\n"
        let diagnostics = try fixture.diagnostics(yaml)
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first.map { (23...31).contains($0.line) } == true)
        #expect(diagnostics.first?.message.hasPrefix("'with' tables hold more than 10000 values in all") == true)
    }

    @Test func aRehearsalAimsThePlanAtItsOwnFleetAndNeverAtTheProductionProbe() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let yaml = basePlan + """
            probe: { write: "host=app.example port=6432 dbname=shop", schema: probe_x }
            rehearsal:
              hosts:
                - { name: r1, agent: "127.0.0.1:7720", role: primary, port: 6000, pgdata: /r/15, new_pgdata: /r/17 }
              probe: { read: "host=10.9.9.9 port=6000 dbname=shop" }

            """
        let loaded = try fixture.load(yaml)
        #expect(loaded.plan.hosts.map(\.name) == ["db1", "db2"])
        let rehearsal = try loaded.forRehearsal()
        #expect(rehearsal.plan.hosts.map(\.name) == ["r1"] && rehearsal.plan.hosts[0].port == 6000)
        #expect(rehearsal.plan.probe.write == nil, "the production write endpoint is not probed by a rehearsal")
        #expect(rehearsal.plan.probe.read == "host=10.9.9.9 port=6000 dbname=shop")
        #expect(rehearsal.plan.probe.schema == "probe_x")
        #expect(throws: PlanUsageError.self) { try fixture.load(basePlan).forRehearsal() }
    }
}
