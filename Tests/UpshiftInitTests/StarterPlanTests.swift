import Foundation
import Testing
@testable import UpshiftInit
import UpshiftPlan

/// The starter plan `upshift init` writes loads as a plan, and its guesses follow the usual layouts.
struct StarterPlanTests {
    static func facts(pgdata: String, major: Int = 15, recovery: Bool = false, slots: [(String, String)] = []) -> ClusterFacts {
        ClusterFacts(major: major, version: "\(major).4", dataDirectory: pgdata, port: 5432, bindir: nil, isInRecovery: recovery,
                     settings: ["wal_level": "replica"], extensions: ["pg_trgm": ["shop"]],
                     replicas: [.init(address: "10.0.0.12", applicationName: "walreceiver", state: "streaming", slot: nil)],
                     slots: slots.map { (name: $0.0, type: $0.1) })
    }

    static func plan(_ primary: ClusterFacts, standbys: [StarterPlan.Standby] = []) -> StarterPlan {
        StarterPlan(name: "shop-15-to-17", primaryAddress: "10.0.0.11", primary: primary, standbys: standbys, agents: [:], agentPort: 7710,
                    newMajor: 17, newBindir: "/usr/lib/postgresql/17/bin", missingExtensions: nil, tlsDirectory: "./tls", jobs: 4,
                    sameFileSystem: nil)
    }

    @Test func newDataDirectoriesFollowTheVersionFolder() {
        #expect(StarterPlan.newDataDirectory(for: "/var/lib/postgresql/15/main", oldMajor: 15, newMajor: 17) == "/var/lib/postgresql/17/main")
        #expect(StarterPlan.newDataDirectory(for: "/srv/db1/15", oldMajor: 15, newMajor: 17) == "/srv/db1/17")
        #expect(StarterPlan.newDataDirectory(for: "/srv/pgdata", oldMajor: 15, newMajor: 17) == "/srv/pgdata-17")
    }

    @Test func theDebianLayoutGetsBasebackupStandbysAndLoadsAsAPlan() throws {
        let text = Self.plan(Self.facts(pgdata: "/var/lib/postgresql/15/main", slots: [("cdc", "logical")])).yaml()
        #expect(text.contains("standbys: basebackup   # DECIDE"), "rsync needs new_pgdata beside pgdata")
        #expect(text.contains("logical_slots: recreate   # DECIDE: cdc"))
        #expect(text.contains("agent: 10.0.0.12:7710"), "the standby found in pg_stat_replication")
        let loaded = try PlanLoader.parse(text: text, path: "/tmp/shop.yaml", environment: [:]) { _ in "" }
        #expect(loaded.plan.hosts.map(\.name) == ["db1", "db2"])
        #expect(loaded.plan.options.standbys == .basebackup && loaded.plan.options.logicalSlots == .recreate)
        #expect(loaded.plan.hosts[0].newPgdata == "/var/lib/postgresql/17/main")
    }

    @Test func siblingDataDirectoriesKeepTheRsyncSync() throws {
        let text = Self.plan(Self.facts(pgdata: "/srv/db1/15")).yaml()
        let loaded = try PlanLoader.parse(text: text, path: "/tmp/shop.yaml", environment: [:]) { _ in "" }
        #expect(loaded.plan.options.standbys == .rsync)
        #expect(loaded.plan.postgres?.from.bindir == "/usr/lib/postgresql/15/bin" && text.contains("could not read pg_config"))
    }
}
