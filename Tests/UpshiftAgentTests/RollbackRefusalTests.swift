import Foundation
import Testing
@testable import UpshiftAgent
import UpshiftPlan
import UpshiftPostgres
import UpshiftTestSupport
import UpshiftWire

/// The agent's own guard at the point of no return: once its journal says the new primary may have started on
/// the old cluster's files (link mode), a rollback request (from a coordinator that missed the fact, its link
/// down) is refused, the fact is reported again, and the old cluster is left exactly as pg_upgrade left it.
struct RollbackRefusalTests {
    @Test func aRollbackAfterThePointOfNoReturnIsRefusedAndStartsNothingOld() throws {
        let dir = try ScratchDir(prefix: "up-rb")
        defer { dir.remove() }
        let cluster = try TestCluster(version: "15", in: dir, name: "old")
        try cluster.stop()
        // As `pg_upgrade --link` leaves the old cluster once it starts linking.
        let control = cluster.pgdata + "/global/pg_control"
        try FileManager.default.moveItem(atPath: control, toPath: control + ".old")

        let text = """
            version: 1
            name: refusal
            strategy: inplace
            postgres:
              from: { version: 15, bindir: \(try TestPostgres.bindir("15")) }
              to:   { version: 17, bindir: \(try TestPostgres.bindir("17")) }
            tls: { dir: \(dir.path)/tls }
            hosts:
              - { name: db1, agent: "127.0.0.1:7801", role: primary, port: \(cluster.port), pgdata: \(cluster.pgdata), new_pgdata: \(dir.path)/new }
            options: { transfer: link }
            """
        let plan = try PlanLoader.parse(text: text, path: "refusal.yaml", environment: [:]) { _ in "" }.plan
        let stateDirectory = try dir.subdirectory("state")
        let journal = try AgentJournal(stateDirectory: stateDirectory)
        let start = StepRequest(runID: "r-refusal", stepID: "start-primary", host: "db1", planSHA256: "ab")
        try journal.record(start, state: .started)
        try journal.record(start, state: .pointOfNoReturn)

        let rollback = StepRequest(runID: "r-refusal", stepID: "rollback", host: "db1", planSHA256: "ab")
        let executor = StepExecutor(plan: plan, hookSources: [:], host: plan.hosts[0], request: rollback, stateDirectory: stateDirectory,
                                    limits: .init(), control: ProgramControl(deadline: .now + .seconds(60), label: "rollback"),
                                    journal: journal)
        let reported = Reported()
        #expect(throws: AgentError.self) {
            try executor.run(try #require(StepPlanner.rollbackStep(for: plan)), emit: { reported.add($0) })
        }
        #expect(reported.kinds.contains { if case .output(let fact) = $0 { fact.isPointOfNoReturn } else { false } },
                "the coordinator is told the run is past the point of no return")
        #expect(!FileManager.default.fileExists(atPath: cluster.pgdata + "/postmaster.pid"), "the old cluster was not started")
        #expect(FileManager.default.fileExists(atPath: control + ".old") && !FileManager.default.fileExists(atPath: control),
                "pg_control stays renamed, so nothing starts the old cluster by mistake")
    }
}

/// Collects what a step emitted.
private final class Reported: @unchecked Sendable {
    private let lock = NSLock()
    private var all: [StepEventKind] = []
    func add(_ kind: StepEventKind) { lock.withLock { all.append(kind) } }
    var kinds: [StepEventKind] { lock.withLock { all } }
}
