import Testing
@testable import UpshiftPlan

/// The plans DESIGN.md promises load, and expand to the documented steps.
@Suite struct DesignExampleTests {
    @Test func inplaceExampleLoadsWithEveryField() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let loaded = try fixture.load(DesignExamples.inplace)
        let plan = loaded.plan
        #expect(plan.name == "shop-15-to-17")
        #expect(plan.strategy == .inplace)
        #expect(plan.postgres == PostgresVersions(from: PostgresInstall(version: 15, bindir: "/usr/lib/postgresql/15/bin"),
                                                  to: PostgresInstall(version: 17, bindir: "/opt/pg/17/bin")))
        #expect(plan.tls.dir == fixture.directory + "/tls")
        #expect(plan.hosts.map(\.name) == ["db1", "db2", "db3"])
        #expect(plan.hosts[0].agentHost == "10.0.0.11" && plan.hosts[0].agentPort == 7710)
        #expect(plan.hosts[2].keepOld && plan.hosts[2].newPgdata == nil)
        #expect(plan.hosts[1].newPgdata == "/var/lib/postgresql/17/main")
        #expect(plan.options == PlanOptions(transfer: .link, jobs: 4, standbys: .rsync, statistics: "analyze-in-stages"))
        #expect(plan.probe.write == "host=10.0.0.5 port=6432 dbname=shop" && plan.probe.intervalMS == 50)
        #expect(plan.hooks.map(\.path) == [fixture.directory + "/Hooks/pgbouncer.lua", fixture.directory + "/Hooks/notify.lua"])
        #expect(plan.hooks[1].with == .object(["channel": .string("#dba")]))
        #expect(Set(loaded.hookSources.keys) == ["Hooks/pgbouncer.lua", "Hooks/notify.lua"])
        #expect(loaded.hookSources["Hooks/notify.lua"]?.contains("Hooks/notify.lua") == true)
    }

    @Test func inplaceExampleExpandsToTheDocumentedSteps() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let steps = StepPlanner.steps(for: try fixture.load(DesignExamples.inplace).plan)
        #expect(steps.map { "\($0.id) \($0.hosts.joined(separator: ","))" } == [
            "preflight db1,db2,db3",
            "init-new db1",
            "before:stop-primary/pgbouncer db1",
            "stop-primary db1",
            "detach-keep-old db3",
            "stop-standbys db2",
            "pg-upgrade db1",
            "sync-standbys db2",
            "start-primary db1",
            "after:start-primary/notify db1",
            "start-standbys db2",
            "verify db1",
            "verify-standbys db2",
            "statistics db1",
        ])
        #expect(steps.filter(\.isPointOfNoReturn).map(\.id) == ["start-primary"])
        #expect(marks(steps) == ["stop-primary": .writesStop, "stop-standbys": .readsStop,
                                 "verify": .writesResume, "start-standbys": .readsResume])
        #expect(steps[9].action == .hook(run: "Hooks/notify.lua", with: .object(["channel": .string("#dba")])))
        #expect(steps[6].action == .builtin(.pgUpgrade))
    }

    @Test func logicalExampleLoadsBothClusters() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let plan = try fixture.load(DesignExamples.logical).plan
        #expect(plan.hosts.map { "\($0.name):\($0.cluster)" } == ["old1:source", "new1:target"])
        #expect(plan.databases == ["shop"])
        #expect(plan.transforms.map { "\($0.table).\($0.column) \($0.type)" } == ["public.orders.id bigint"])
        #expect(plan.transforms[0].location.hasSuffix("plan.yaml:19:5"))
        #expect(plan.skip == ["public.audit_events"])
        #expect(plan.options.lagThreshold == "1MB" && plan.options.lagThresholdBytes == 1 << 20)
        #expect(plan.options.sequenceMargin == 1000 && plan.options.reverseReplication && plan.options.jobs == 4)
        #expect(plan.hooks[0].with == .object(["table": .string("public.audit_events"), "parallel": .int(4)]))
    }

    @Test func logicalExampleExpandsToTheDocumentedSteps() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let steps = StepPlanner.steps(for: try fixture.load(DesignExamples.logical).plan)
        #expect(steps.map { "\($0.id) \($0.hosts.joined(separator: ","))" } == [
            "preflight old1,new1",
            "snapshot new1",
            "schema-pre new1",
            "data new1",
            "after:data/bulk_copy new1",
            "schema-post new1",
            "subscribe new1",
            "cutover new1",
            "switch new1",
            "post new1",
        ])
        #expect(steps.filter(\.isPointOfNoReturn).map(\.id) == ["switch"])
        #expect(marks(steps) == ["cutover": .writesStop, "switch": .writesResume])
        #expect(StepPlanner.rollbackStep(for: try fixture.load(DesignExamples.logical).plan)?.hosts == ["old1", "new1"])
    }
}

/// The steps that carry a downtime mark.
func marks(_ steps: [Step]) -> [String: DowntimeMark] {
    Dictionary(uniqueKeysWithValues: steps.filter { $0.downtime != .none }.map { ($0.id, $0.downtime) })
}
