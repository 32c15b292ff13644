import Foundation
import Testing
import UpshiftPostgres
import UpshiftTestSupport

/// `upshift init` on a running fleet writes a plan that `check`, `plan` and `run` accept, and that upgrades it.
extension EndToEnd {
@Suite(.serialized) struct InitTests {
    @Test func aPlanWrittenFromTheRunningFleetChecksAndUpgradesIt() throws {
        let fleet = try StreamingFleet(standbys: ["db2", "db3"], prefix: "e2e-init")
        defer { fleet.tearDown() }
        try fleet.loadData()
        _ = try fleet.query(fleet.primary, "create extension if not exists pg_trgm")
        func conninfo(_ host: StreamingFleet.Host) -> String { "host=127.0.0.1 port=\(host.port) user=postgres dbname=postgres" }
        let planPath = fleet.scratch.path + "/init.yaml"
        let written = try Executables.runUpshift(["init", "--primary", conninfo(fleet.hosts[0]),
                                                  "--standby", conninfo(fleet.hosts[1]), "--standby", conninfo(fleet.hosts[2]),
                                                  "--to", "17", "--to-bindir", try TestPostgres.bindir("17"), "--tls-dir", fleet.tlsDirectory,
                                                  "-o", planPath] + fleet.hosts.flatMap { ["--agent", "\($0.name)=127.0.0.1:\($0.agent.port)"] })
        #expect(written.status == 0, "\(written.stdout)\n\(written.stderr)")
        let plan = try String(contentsOfFile: planPath, encoding: .utf8)
        #expect(plan.contains("from: { version: 15"), "\(plan)")
        for host in fleet.hosts {
            #expect(plan.contains("pgdata: \(host.pgdata)") && plan.contains("new_pgdata: \(host.newPgdata)"), "\(plan)")
            #expect(plan.contains("port: \(host.port)"), "\(plan)")
        }
        #expect(plan.contains("pg_trgm (postgres)") && plan.contains("every extension has a control file in PostgreSQL 17"), "\(plan)")
        #expect(plan.contains("# keep_old: true   # DECIDE"), "\(plan)")
        let again = try Executables.runUpshift(["init", "--primary", conninfo(fleet.hosts[0]), "-o", planPath])
        #expect(again.status != 0 && again.stderr.contains("exists"), "an existing plan is not overwritten without --force")

        let check = try Executables.runUpshift(["check", planPath])
        #expect(check.status == 0, "\(check.stdout)\n\(check.stderr)")
        let steps = try Executables.runUpshift(["plan", planPath])
        #expect(steps.status == 0 && steps.stdout.contains("pg-upgrade"), "\(steps.stdout)\n\(steps.stderr)")
        let run = try Executables.runUpshift(["run", planPath, "--yes", "--run-dir", fleet.scratch.path + "/runs/init"])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(try fleet.query(fleet.primary, "show server_version_num").first?.first??.hasPrefix("17") == true)
        #expect(try fleet.query(fleet.primary, "select count(*) from pg_stat_replication where state = 'streaming'") == [["2"]])
    }
}
}
