import Testing
@testable import UpshiftPlan

/// How strategies expand into steps for plans other than DESIGN.md's examples.
@Suite struct StepPlannerTests {
    private func steps(_ yaml: String) throws -> [Step] {
        let fixture = try Fixture()
        defer { fixture.remove() }
        return StepPlanner.steps(for: try fixture.load(yaml).plan)
    }

    private func loadPlan(_ yaml: String) throws -> Plan {
        let fixture = try Fixture()
        defer { fixture.remove() }
        return try fixture.load(yaml).plan
    }

    private func summary(_ steps: [Step]) -> [String] {
        steps.map { "\($0.id) \($0.hosts.joined(separator: ","))" }
    }

    @Test func basebackupStandbysAreRebuiltAfterThePrimaryStarts() throws {
        let result = try steps(basePlan + "options:\n  standbys: basebackup\n")
        #expect(summary(result) == [
            "preflight db1,db2", "init-new db1", "stop-primary db1", "stop-standbys db2", "pg-upgrade db1",
            "start-primary db1", "verify db1", "basebackup-standbys db2", "start-standbys db2", "statistics db1",
        ])
        #expect(result.first { $0.isPointOfNoReturn }?.id == "start-primary")
    }

    /// `verify: structural` keeps the steps and the fence, but holds no standby for a content comparison: writes
    /// resume before the standbys start.
    @Test func aStructuralProofHoldsNoStandbyForAComparison() throws {
        let fenced = try steps(basePlan)
        let structural = try steps(basePlan + "options:\n  verify: structural\n")
        #expect(summary(fenced).contains("verify-standbys db2"))
        let order = summary(structural)
        #expect(Set(order) == Set(summary(fenced)).subtracting(["verify-standbys db2"]))
        #expect(order.firstIndex(of: "verify db1")! < order.firstIndex(of: "start-standbys db2")!)
        #expect(order.firstIndex(of: "start-primary db1")! < order.firstIndex(of: "verify db1")!)
        #expect(structural.first { $0.downtime == .writesResume }?.id == "verify")
    }

    /// `verify: online` runs the structural steps, then compares contents after the window: the keep_old standby's
    /// checksums first, then each upgraded standby against them.
    @Test func anOnlineProofComparesAfterTheWindow() throws {
        let keptOld = "  - { name: db3, agent: \"127.0.0.1:7712\", role: standby, pgdata: /d/15, keep_old: true }\n"
        let order = summary(try steps(basePlan.trimmingCharacters(in: .newlines) + "\n" + keptOld + "options:\n  verify: online\n"))
        let tail = Array(order.drop { $0 != "start-primary db1" })
        #expect(tail.prefix(5) == ["start-primary db1", "verify db1", "start-standbys db2", "checksum-keep-old db3", "verify-standbys db2"],
                "\(order)")
    }

    @Test func aLonePrimaryHasNoStandbyStepsAndNoReadMarks() throws {
        let alone = baseHeader + """
        hosts:
          - { name: solo, agent: "[::1]:7710", role: primary, pgdata: /d/15, new_pgdata: /d/17 }
        options: { statistics: none, transfer: copy }

        """
        let result = try steps(alone)
        #expect(summary(result) == [
            "preflight solo", "init-new solo", "stop-primary solo", "pg-upgrade solo", "start-primary solo", "verify solo",
        ])
        #expect(marks(result) == ["stop-primary": .writesStop, "verify": .writesResume])
    }

    @Test func hooksGetUniqueNamesAndTheirOwnHosts() throws {
        let yaml = basePlan + """
        hooks:
          - { at: before:stop-primary, run: Hooks/notify.lua }
          - { at: before:stop-primary, run: hooks/check.lua, on: standby }
          - { at: after:stop-primary, run: Hooks/notify.lua, on: db2 }
          - { at: before:verify, run: hooks/check.lua, with: { n: 1 } }

        """
        let result = try steps(yaml)
        let hookSteps = result.filter { $0.id.contains("/") }
        #expect(summary(hookSteps) == [
            "before:stop-primary/notify db1",
            "before:stop-primary/check db2",
            "after:stop-primary/notify-2 db2",
            "before:verify/check-2 db1",
        ])
        let ids = result.map(\.id)
        #expect(ids.firstIndex(of: "before:stop-primary/check")! + 1 == ids.firstIndex(of: "stop-primary"))
        #expect(ids.firstIndex(of: "after:stop-primary/notify-2")! - 1 == ids.firstIndex(of: "stop-primary"))
        #expect(hookSteps[3].action == .hook(run: "hooks/check.lua", with: .object(["n": .int(1)])))
    }

    /// Found by hand while writing the plan loader's fuzz target, which checks that step ids are unique (agents
    /// look steps up by id): a hook file named like a numbered one took the id of a later hook, which never ran.
    @Test func aHookFileNamedLikeANumberedOneLeavesEveryIdUnique() throws {
        let fixture = try Fixture(hooks: ["Hooks/notify.lua", "Hooks/notify-2.lua", "hooks/notify.lua"])
        defer { fixture.remove() }
        let plan = try fixture.load(basePlan + """
            hooks:
              - { at: before:pg-upgrade, run: Hooks/notify.lua }
              - { at: before:pg-upgrade, run: Hooks/notify-2.lua }
              - { at: before:pg-upgrade, run: hooks/notify.lua }

            """).plan
        let hookSteps = StepPlanner.steps(for: plan).filter { $0.id.contains("/") }
        #expect(hookSteps.map(\.id) == ["before:pg-upgrade/notify", "before:pg-upgrade/notify-2", "before:pg-upgrade/notify-3"])
        #expect(hookSteps.map(\.action) == ["Hooks/notify.lua", "Hooks/notify-2.lua", "hooks/notify.lua"].map {
            .hook(run: $0, with: .object([:]))
        })
    }

    @Test func afterRollbackHooksAreNoStepOfTheRunButRunOnceTheOldClusterIsBack() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let plan = try fixture.load(basePlan + """
            hooks:
              - { at: before:stop-primary, run: Hooks/pgbouncer.lua, on: primary, with: { action: PAUSE } }
              - { at: after:rollback, run: Hooks/pgbouncer.lua, on: primary, with: { action: RESUME } }
              - { at: after:rollback, run: Hooks/notify.lua }

            """).plan
        #expect(!StepPlanner.steps(for: plan).contains { $0.id.contains("rollback") })
        #expect(summary(StepPlanner.rollbackHookSteps(for: plan)) == ["after:rollback/pgbouncer-2 db1", "after:rollback/notify db1,db2"])
    }

    @Test func logicalPlansKeepTheReversePathUnlessTheySayOtherwise() throws {
        // Without the option and without the hooks section (everything from `hooks:` on).
        let yaml = DesignExamples.logical.editing("  reverse_replication: true\n", "")
            .components(separatedBy: "hooks:\n")[0]
        #expect(try loadPlan(yaml).options.reverseReplication)
        #expect(summary(try steps(yaml)) == [
            "preflight old1,new1", "snapshot new1", "schema-pre new1", "data new1", "schema-post new1", "subscribe new1",
            "cutover new1", "switch new1", "post new1",
        ])
        let off = try loadPlan(DesignExamples.logical.editing("  reverse_replication: true\n", "  reverse_replication: false\n"))
        #expect(!off.options.reverseReplication)
    }

    /// `verify: online` in a logical plan: the content proof is a step of its own right after the switch; `structural`
    /// (pg_upgrade's relation files) means nothing there.
    @Test func logicalPlansProveContentInTheWindowOrRightAfterTheSwitch() throws {
        let base = DesignExamples.logical.components(separatedBy: "hooks:\n")[0]
        let online = base.editing("  reverse_replication: true\n", "  reverse_replication: true\n  verify: online\n")
        #expect(summary(try steps(online)).suffix(3) == ["switch new1", "verify new1", "post new1"])
        #expect(try loadPlan(online).options.verify.proofSummary(.logical).hasPrefix("online: every table's row count"))
        #expect(!summary(try steps(base)).contains("verify new1"))
        let structural = base.editing("  reverse_replication: true\n", "  reverse_replication: true\n  verify: structural\n")
        #expect(throws: (any Error).self) { try loadPlan(structural) }
    }

    @Test func logicalPlansChooseHowForeignKeysAreMade() throws {
        #expect(try loadPlan(DesignExamples.logical).options.foreignKeys == .validate)
        let deferred = try loadPlan(DesignExamples.logical.editing("  reverse_replication: true\n",
                                                                   "  reverse_replication: true\n  foreign_keys: not_valid\n"))
        #expect(deferred.options.foreignKeys == .notValid)
    }

    @Test func customStepsRunInPlanOrderOnTheirHosts() throws {
        let yaml = baseCustom + """
        steps:
          - { id: pause, run: hooks/check.lua, on: primary, with: { seconds: 2 } }
          - { id: mark, sql: "insert into t values (1)", target: new, point_of_no_return: true, downtime: writes-stop }
          - { id: report, sql: select 1, on: b }
        hooks:
          - { at: after:pause, run: Hooks/notify.lua }

        """
        let result = try steps(yaml)
        #expect(summary(result) == ["pause a", "after:pause/notify a", "mark a,b", "report b"])
        #expect(result[0].action == .hook(run: "hooks/check.lua", with: .object(["seconds": .int(2)])))
        #expect(result[2].action == .sql(target: "new", query: "insert into t values (1)"))
        #expect(result[3].action == .sql(target: "old", query: "select 1"))
        #expect(result[2].isPointOfNoReturn && result[2].downtime == .writesStop)
        #expect(result.filter(\.isPointOfNoReturn).count == 1)
    }

    @Test func strategyStepIDsAreWhatHooksMayName() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let plan = try fixture.load(DesignExamples.inplace).plan
        #expect(StepPlanner.strategyStepIDs(.inplace, plan: plan) == [
            "preflight", "init-new", "stop-primary", "detach-keep-old", "stop-standbys", "pg-upgrade", "sync-standbys",
            "start-primary", "start-standbys", "verify", "verify-standbys", "statistics",
        ])
    }
}
