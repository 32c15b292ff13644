import Testing
import UpshiftCoordinator
import UpshiftPlan

struct RollbackRouteTests {
    static func plan(keepOld: Bool) throws -> Plan {
        let text = """
        version: 1
        name: route
        strategy: inplace
        postgres:
          from: { version: 15, bindir: /pg/15/bin }
          to:   { version: 17, bindir: /pg/17/bin }
        tls: { dir: ./tls }
        hosts:
          - { name: db1, agent: "10.0.0.1:7710", role: primary, port: 5432, pgdata: /d/15, new_pgdata: /d/17 }
          - { name: db3, agent: "10.0.0.3:7710", role: standby, port: 5432, pgdata: /d/15\(keepOld ? ", keep_old: true" : ", new_pgdata: /d/17") }
        """
        return try PlanLoader.parse(text: text, path: "/tmp/route.yaml", environment: [:]) { _ in "" }.plan
    }

    @Test func aKeepOldStandbyIsNamedAsTheWayBack() throws {
        let advice = RollbackRoute.advice(for: try Self.plan(keepOld: true))
        #expect(advice.contains("db3 still run PostgreSQL 15"))
        #expect(advice.contains("pg_ctl promote -D /d/15"))
    }

    @Test func withoutOneTheAdviceSaysFixForward() throws {
        #expect(RollbackRoute.advice(for: try Self.plan(keepOld: false)).contains("fix forward"))
    }
}
