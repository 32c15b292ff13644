import Foundation
import Testing
@testable import UpshiftCoordinator
@testable import UpshiftPlan

/// Folding probe samples into the downtime clients saw.
struct DowntimeFiguresTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// A request `at` seconds after t0 that took `ms`.
    static func sample(_ kind: ProbeSample.Kind, _ at: Double, ok: Bool, major: Int? = nil, ms: Double = 2, standby: Bool? = nil) -> ProbeSample {
        ProbeSample(kind: kind, startedAt: t0.addingTimeInterval(at), latencyMS: ms, ok: ok, major: ok ? major : nil,
                    standby: ok ? standby : nil, error: ok ? nil : "refused")
    }

    @Test func writeDowntimeRunsFromTheFirstFailedWriteToTheFirstWriteOnTheNewVersion() {
        var samples: [ProbeSample] = []
        for i in 0..<10 { samples.append(Self.sample(.write, Double(i) * 0.05, ok: true, major: 15)) }   // 0 .. 0.45
        for i in 10..<70 { samples.append(Self.sample(.write, Double(i) * 0.05, ok: false)) }            // 0.5 .. 3.45
        for i in 70..<80 { samples.append(Self.sample(.write, Double(i) * 0.05, ok: true, major: 17)) }   // 3.5 ..
        let figures = DowntimeFigures(samples: samples, newMajor: 17)
        #expect(figures.writeWindowFrom == Self.t0.addingTimeInterval(0.5))
        #expect(figures.writeMS == 3002)
        #expect(figures.failedTransactions == 60 && figures.writes == 80 && figures.writesOnNewVersion == 10)
        #expect(figures.writesRecovered)
        #expect(figures.longestWriteStallMS == 3050)
    }

    @Test func aWriteThatWaitedBehindAPausedPoolerIsDowntimeWithoutAFailedTransaction() {
        let samples = [Self.sample(.write, 0, ok: true, major: 15), Self.sample(.write, 0.05, ok: true, major: 15),
                       Self.sample(.write, 0.10, ok: true, major: 17, ms: 6000), Self.sample(.write, 6.15, ok: true, major: 17)]
        let figures = DowntimeFigures(samples: samples, newMajor: 17)
        #expect(figures.failedTransactions == 0)
        #expect(figures.writeMS == 6000)
        #expect(figures.writeWindowFrom == Self.t0.addingTimeInterval(0.10))
    }

    @Test func aRolledBackRunCountsUntilWritesSucceedAgainOnTheOldVersion() {
        let samples = [Self.sample(.write, 0, ok: true, major: 15), Self.sample(.write, 1, ok: false), Self.sample(.write, 2, ok: false),
                       Self.sample(.write, 4, ok: true, major: 15)]
        let figures = DowntimeFigures(samples: samples, newMajor: 17)
        #expect(figures.writeMS == 3002 && figures.writesRecovered && figures.writesOnNewVersion == 0)
        let stuck = DowntimeFigures(samples: Array(samples.prefix(3)), newMajor: 17)
        #expect(!stuck.writesRecovered && stuck.writeMS == 1002)
    }

    @Test func readDowntimeSumsEveryOutageAndCountsWhoAnswered() {
        let samples = [Self.sample(.read, 0, ok: true, major: 15, standby: true), Self.sample(.read, 1, ok: false),
                       Self.sample(.read, 2, ok: true, major: 15, standby: true), Self.sample(.read, 3, ok: false),
                       Self.sample(.read, 3.5, ok: false), Self.sample(.read, 5, ok: true, major: 17, standby: false)]
        let figures = DowntimeFigures(samples: samples, newMajor: 17)
        #expect(figures.readWindows.map(\.ms) == [1002, 2002])
        #expect(figures.readMS == 3004 && figures.failedReads == 3)
        #expect(figures.readsFromStandby == 2 && figures.readsFromPrimary == 1)
        #expect(figures.writeMS == nil, "no writes were probed")
    }

    @Test func endpointsDefaultToThePrimaryAndTheFirstUpgradedStandby() throws {
        func host(_ name: String, _ role: HostRole, keepOld: Bool = false, port: Int) -> PlanHost {
            PlanHost(name: name, agentHost: "10.0.0.\(port - 5430)", agentPort: 7710, role: role, port: port, pgdata: "/d",
                     newPgdata: keepOld ? nil : "/n", keepOld: keepOld, cluster: .fleet)
        }
        var plan = try PlanLoader.parse(text: """
            version: 1
            name: t
            strategy: inplace
            postgres: { from: { version: 15, bindir: /a }, to: { version: 17, bindir: /b } }
            tls: { dir: /tls }
            hosts:
              - { name: db1, agent: "10.0.0.1:7710", role: primary, pgdata: /d, new_pgdata: /n }
            """, path: "/p.yaml", environment: [:], readFile: { _ in "" }).plan
        plan.hosts = [host("db1", .primary, port: 5431), host("db3", .standby, keepOld: true, port: 5433), host("db2", .standby, port: 5432)]
        let endpoints = try #require(ProbeEndpoints.resolve(plan))
        #expect(endpoints.write == "host=10.0.0.1 port=5431 dbname=postgres user=postgres application_name=upshift-probe connect_timeout=2")
        #expect(endpoints.read.hasPrefix("host=10.0.0.2 port=5432 "))
        plan.probe.write = "postgresql://app@pooler:6432/shop"
        #expect(ProbeEndpoints.resolve(plan)?.write == "postgresql://app@pooler:6432/shop")
        plan.probe.enabled = false
        #expect(ProbeEndpoints.resolve(plan) == nil)
    }
}
