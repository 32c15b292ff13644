import Testing
@testable import UpshiftPlan

/// One malformed plan and the first diagnostic a user must see for it.
struct Malformed: CustomTestStringConvertible, Sendable {
    let name: String
    let yaml: String
    let line: Int
    let column: Int
    let fragment: String
    /// How many diagnostics the plan produces in all (so fixes do not start producing noise).
    var count = 1

    var testDescription: String { name }
}

/// The first seven lines of `basePlan`, before `hosts:`.
let baseHeader = basePlan.components(separatedBy: "\n").prefix(7).joined(separator: "\n") + "\n"

let malformedPlans: [Malformed] = [
    Malformed(name: "a rehearsal host named like a production host",
              yaml: basePlan + "rehearsal:\n  hosts:\n    - { name: db1, agent: \"127.0.0.1:7720\", role: primary, pgdata: /r/15, new_pgdata: /r/17 }\n",
              line: 21, column: 15, fragment: "rehearsal host 'db1' has the name of a production host"),
    Malformed(name: "a rehearsal fleet without a primary",
              yaml: basePlan + "rehearsal:\n  hosts:\n    - { name: r2, agent: \"127.0.0.1:7721\", role: standby, pgdata: /r/15, new_pgdata: /r/17 }\n",
              line: 21, column: 5, fragment: "no host in 'rehearsal.hosts' has role primary"),
    Malformed(name: "a probe schema that is not a plain identifier", yaml: basePlan + "probe:\n  schema: Public\n",
              line: 20, column: 11, fragment: "'schema' must be a plain lower-case identifier"),
    Malformed(name: "a probe schema applications use", yaml: basePlan + "probe:\n  schema: public\n",
              line: 20, column: 11, fragment: "'schema' names a schema of the probe's own"),
    Malformed(name: "unknown top-level key", yaml: basePlan + "optoins:\n  jobs: 2\n",
              line: 19, column: 1, fragment: "unknown key 'optoins' in the plan; did you mean 'options'?"),
    Malformed(name: "unknown host key", yaml: basePlan.editing("    role: standby\n", "    role: standby\n    prot: 5433\n"),
              line: 17, column: 5, fragment: "unknown key 'prot' in host; did you mean 'port'?"),
    Malformed(name: "port is not an integer", yaml: basePlan.editing("    role: primary\n", "    role: primary\n    port: abc\n"),
              line: 12, column: 11, fragment: "'port' expects an integer, got 'abc'"),
    Malformed(name: "hosts is a mapping", yaml: baseHeader + "hosts: {}\n",
              line: 8, column: 8, fragment: "'hosts' expects a list, got a mapping"),
    Malformed(name: "a host that is not a mapping", yaml: baseHeader + "hosts: [db1]\n",
              line: 8, column: 9, fragment: "each entry of 'hosts' expects a mapping, got 'db1'"),
    Malformed(name: "logical skip not schema-qualified",
              yaml: DesignExamples.logical.editing("skip: [ public.audit_events ]", "skip: [ audit_events ]"),
              line: 20, column: 9, fragment: "'skip' expects a schema-qualified table like public.orders, got 'audit_events'"),
    Malformed(name: "inplace option in a logical plan",
              yaml: DesignExamples.logical.editing("  jobs: 4\n", "  jobs: 4\n  transfer: link\n"),
              line: 15, column: 3, fragment: "'transfer' applies only to strategy inplace"),
    Malformed(name: "logical target without a primary",
              yaml: DesignExamples.logical.editing("name: new1, agent: 10.0.0.21:7710, role: primary", "name: new1, agent: 10.0.0.21:7710, role: standby"),
              line: 11, column: 10, fragment: "no host in 'target.hosts' has role primary"),
    Malformed(name: "logical hook at an inplace step",
              yaml: DesignExamples.logical.editing("at: after:data", "at: after:pg-upgrade"),
              line: 22, column: 9, fragment: "'at' names step 'pg-upgrade', which this logical plan does not have; its steps are: preflight, snapshot, schema-pre, data, schema-post, subscribe, cutover, switch, post"),
    Malformed(name: "logical lag threshold not a size",
              yaml: DesignExamples.logical.editing("lag_threshold: 1MB", "lag_threshold: fast"),
              line: 15, column: 18, fragment: "'lag_threshold' expects a size like 1MB or 512kB, got 'fast'"),
    Malformed(name: "host without pgdata", yaml: basePlan.editing("    role: standby\n    pgdata: /d/15\n", "    role: standby\n"),
              line: 14, column: 5, fragment: "missing required key 'pgdata' in host"),
    Malformed(name: "plan without tls", yaml: basePlan.editing("tls: { dir: ./tls }\n", ""),
              line: 1, column: 1, fragment: "missing required key 'tls' in the plan"),
    Malformed(name: "duplicate host name", yaml: basePlan.editing("  - name: db2", "  - name: db1"),
              line: 14, column: 11, fragment: "duplicate host name 'db1' (first at line 9)"),
    Malformed(name: "duplicate YAML key in a block mapping",
              yaml: basePlan.editing("    role: standby\n", "    role: standby\n    role: standby\n"),
              line: 17, column: 5, fragment: "duplicate key 'role' (first at line 16)"),
    Malformed(name: "duplicate YAML key in a flow mapping",
              yaml: basePlan.editing("/pg/15/bin }", "/pg/15/bin, version: 14 }"),
              line: 5, column: 44, fragment: "duplicate key 'version' (first at line 5)"),
    Malformed(name: "unknown strategy", yaml: basePlan.editing("strategy: inplace", "strategy: bluegreen"),
              line: 3, column: 11, fragment: "invalid strategy 'bluegreen'; expected one of: inplace, logical, custom"),
    Malformed(name: "to.version not newer", yaml: basePlan.editing("to: { version: 17", "to: { version: 15"),
              line: 6, column: 18, fragment: "to.version 15 is not newer than from.version 15"),
    Malformed(name: "unset environment variable", yaml: basePlan.editing("    pgdata: /d/15", "    pgdata: ${DATA_ROOT}/15"),
              line: 12, column: 13, fragment: "environment variable 'DATA_ROOT' is not set", count: 2),
    Malformed(name: "unterminated variable", yaml: basePlan.editing("name: t\n", "name: t${X\n"),
              line: 2, column: 7, fragment: "unterminated '${'"),
    Malformed(name: "plan version 2", yaml: basePlan.editing("version: 1", "version: 2"),
              line: 1, column: 10, fragment: "unsupported plan version 2; this Upshift reads version 1"),
    Malformed(name: "hook file missing",
              yaml: basePlan + "hooks:\n  - at: before:stop-primary\n    run: Hooks/missing.lua\n",
              line: 21, column: 10, fragment: "hook file 'Hooks/missing.lua' does not exist"),
    Malformed(name: "hook at a misspelt step",
              yaml: basePlan + "hooks:\n  - at: before:stop-primay\n    run: Hooks/pgbouncer.lua\n",
              line: 20, column: 9, fragment: "names step 'stop-primay', which this inplace plan does not have; did you mean 'stop-primary'?"),
    Malformed(name: "hook at a step this plan lacks",
              yaml: basePlan + "options:\n  standbys: basebackup\nhooks:\n  - at: after:sync-standbys\n    run: hooks/check.lua\n",
              line: 22, column: 9, fragment: "names step 'sync-standbys', which this inplace plan does not have"),
    Malformed(name: "a hook before the rollback",
              yaml: basePlan + "hooks:\n  - at: before:rollback\n    run: hooks/check.lua\n",
              line: 20, column: 9, fragment: "'at: before:rollback' is not a hook point"),
    Malformed(name: "a rollback hook in a runbook",
              yaml: baseCustom + "steps:\n  - { id: s, sql: select 1 }\nhooks:\n  - at: after:rollback\n    run: hooks/check.lua\n",
              line: 11, column: 9, fragment: "names step 'rollback', which this custom plan does not have"),
    Malformed(name: "hook at without before/after",
              yaml: basePlan + "hooks:\n  - at: stop-primary\n    run: hooks/check.lua\n",
              line: 20, column: 9, fragment: "'at' expects before:STEP or after:STEP, got 'stop-primary'"),
    Malformed(name: "hook on an unknown host",
              yaml: basePlan + "hooks:\n  - at: after:pg-upgrade\n    run: hooks/check.lua\n    on: db9\n",
              line: 22, column: 9, fragment: "'on' names neither a role (primary, standby) nor a host: 'db9'; did you mean 'db1'?"),
    Malformed(name: "hook with a list", yaml: basePlan + "hooks:\n  - at: after:verify\n    run: hooks/check.lua\n    with: [1, 2]\n",
              line: 22, column: 11, fragment: "'with' expects a mapping, got a list"),
    Malformed(name: "two primaries", yaml: basePlan.editing("    role: standby", "    role: primary"),
              line: 16, column: 11, fragment: "more than one primary in 'hosts': 'db1' is already the primary"),
    Malformed(name: "no primary", yaml: basePlan.editing("    role: primary", "    role: standby"),
              line: 9, column: 3, fragment: "no host in 'hosts' has role primary"),
    Malformed(name: "keep_old standby with new_pgdata",
              yaml: basePlan.editing("    role: standby\n", "    role: standby\n    keep_old: true\n"),
              line: 19, column: 5, fragment: "'new_pgdata' cannot be set on a keep_old standby"),
    Malformed(name: "upgraded host without new_pgdata", yaml: basePlan.editing("    new_pgdata: /d/17\n", ""),
              line: 9, column: 5, fragment: "missing required key 'new_pgdata' in host", count: 2),
    Malformed(name: "agent without port", yaml: basePlan.editing("agent: 127.0.0.1:7711", "agent: 127.0.0.1"),
              line: 15, column: 12, fragment: "'agent' expects HOST:PORT (e.g. 10.0.0.11:7710), got '127.0.0.1'"),
    Malformed(name: "unknown transfer mode", yaml: basePlan + "options:\n  transfer: hardlink\n",
              line: 20, column: 13, fragment: "invalid transfer 'hardlink'; expected one of: link, clone, copy, swap"),
    Malformed(name: "unknown standbys method", yaml: basePlan + "options:\n  standbys: streaming\n",
              line: 20, column: 13, fragment: "invalid standbys 'streaming'; expected one of: rsync, basebackup"),
    Malformed(name: "unknown logical slot decision", yaml: basePlan + "options:\n  logical_slots: keep\n",
              line: 20, column: 18, fragment: "invalid logical_slots 'keep'; expected one of: recreate, drop"),
    Malformed(name: "unknown verify mode", yaml: basePlan + "options:\n  verify: checksums\n",
              line: 20, column: 11, fragment: "invalid verify 'checksums'; expected one of: fenced, structural, online"),
    Malformed(name: "online proof without a keep_old standby", yaml: basePlan + "options:\n  verify: online\n",
              line: 20, column: 11, fragment: "verify 'online' compares references kept outside the write window, and this plan lacks "
                  + "a keep_old standby"),
    Malformed(name: "structural proof from before 15",
              yaml: basePlan.replacingOccurrences(of: "version: 15, bindir: /pg/15/bin", with: "version: 14, bindir: /pg/14/bin")
                  + "options:\n  verify: structural\n",
              line: 20, column: 11, fragment: "verify 'structural' needs PostgreSQL 15 or newer to upgrade from"),
    Malformed(name: "swap before PostgreSQL 18", yaml: basePlan + "options:\n  transfer: swap\n",
              line: 20, column: 13, fragment: "transfer 'swap' needs PostgreSQL 18 or newer"),
    Malformed(name: "logical option in an inplace plan", yaml: basePlan + "options:\n  lag_threshold: 1MB\n",
              line: 20, column: 3, fragment: "'lag_threshold' applies only to strategy logical"),
    Malformed(name: "foreign key creation in an inplace plan", yaml: basePlan + "options:\n  foreign_keys: not_valid\n",
              line: 20, column: 3, fragment: "'foreign_keys' applies only to strategy logical"),
    Malformed(name: "relative bindir", yaml: basePlan.editing("bindir: /pg/17/bin", "bindir: pg/17/bin"),
              line: 6, column: 30, fragment: "'bindir' must be an absolute path"),
    Malformed(name: "host named like a role", yaml: basePlan.editing("  - name: db2", "  - name: standby"),
              line: 14, column: 11, fragment: "host name 'standby' is reserved"),
    Malformed(name: "YAML syntax error", yaml: basePlan.editing("    role: primary", "   role: primary"),
              line: 11, column: 4, fragment: "invalid YAML: did not find expected '-' indicator (while parsing a block collection at 9:3)"),
    Malformed(name: "empty file", yaml: "", line: 1, column: 1, fragment: "plan file is empty"),
    Malformed(name: "comments only", yaml: "# nothing yet\n", line: 1, column: 1, fragment: "plan file is empty"),
    Malformed(name: "top level is a list", yaml: "- version: 1\n", line: 1, column: 1,
              fragment: "a plan is a mapping of keys (version, name, strategy, …), got a list"),
    Malformed(name: "custom step id with capitals", yaml: baseCustom + "steps:\n  - id: Step_One\n    sql: select 1\n",
              line: 9, column: 9, fragment: "step id must be lower-case letters, digits and '-', got 'Step_One'"),
    Malformed(name: "duplicate custom step id",
              yaml: baseCustom + "steps:\n  - { id: s1, sql: select 1 }\n  - { id: s1, sql: select 2 }\n",
              line: 10, column: 11, fragment: "duplicate step id 's1' (first at line 9)"),
    Malformed(name: "custom step with run and sql",
              yaml: baseCustom + "steps:\n  - id: s1\n    run: hooks/check.lua\n    sql: select 1\n",
              line: 11, column: 5, fragment: "'sql' cannot be given with 'run'"),
    Malformed(name: "custom step on an unknown host", yaml: baseCustom + "steps:\n  - { id: s1, sql: select 1, on: c }\n",
              line: 9, column: 34, fragment: "'on' names neither a role (primary, standby) nor a host: 'c'"),
    Malformed(name: "custom plan without steps", yaml: baseCustom,
              line: 1, column: 1, fragment: "missing required key 'steps' in the plan"),
    Malformed(name: "steps in an inplace plan", yaml: basePlan + "steps: []\n",
              line: 19, column: 1, fragment: "'steps' applies only to strategy custom"),
]

@Suite struct MalformedPlanTests {
    @Test(arguments: malformedPlans)
    func reportsPositionAndMessage(_ plan: Malformed) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let diagnostics = try fixture.diagnostics(plan.yaml)
        let first = try #require(diagnostics.first, "the plan loaded without errors")
        #expect("\(first.file):\(first.line):\(first.column)" == "\(fixture.planPath):\(plan.line):\(plan.column)")
        #expect(first.message.contains(plan.fragment), "message: \(first.message)")
        #expect(diagnostics.count == plan.count, "\(diagnostics.map(\.description))")
    }

    @Test func collectsEveryErrorSortedByPosition() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let yaml = basePlan.editing("strategy: inplace", "strategy: inplace\nflavour: x")
            .editing("agent: 127.0.0.1:7711", "agent: nowhere") + "options:\n  jobs: many\n"
        do {
            _ = try fixture.load(yaml)
            Issue.record("a plan with three errors loaded")
        } catch let errors as PlanErrors {
            let positions = errors.diagnostics.map { "\($0.line):\($0.column)" }
            #expect(positions == ["4:1", "16:12", "21:9"])
            let lines = errors.description.split(separator: "\n")
            #expect(lines.count == 3)
            #expect(lines[0].hasPrefix("\(fixture.planPath):4:1: unknown key 'flavour'"))
        }
    }

    @Test func missingPlanFileIsReportedAgainstItsPath() {
        let path = "/nonexistent-upshift/plan.yaml"
        #expect(throws: PlanErrors([PlanDiagnostic(file: path, line: 1, column: 1, message: "plan file does not exist")])) {
            try PlanLoader.load(path: path, environment: [:])
        }
    }
}
