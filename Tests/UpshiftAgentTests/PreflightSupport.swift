import Foundation
import Testing
@testable import UpshiftAgent
import UpshiftPlan
import UpshiftPostgres
import UpshiftTestSupport
import UpshiftWire

/// One host of a test plan: the cluster it runs and where its new cluster would go.
struct TestHost {
    var name: String
    var role: String
    var pgdata: String
    var port: Int
    var newPgdata: String?
}

/// An in-place plan from build `from` to build `to` (names as TestPostgres knows them) over `hosts`,
/// parsed as the agent parses the plan it is sent.
func inplacePlan(from: String, to: String, hosts: [TestHost]) throws -> Plan {
    let hostLines = hosts.enumerated().map { index, host in
        var lines = """
              - name: \(host.name)
                agent: 127.0.0.1:\(7710 + index)
                role: \(host.role)
                port: \(host.port)
                pgdata: \(host.pgdata)
            """
        if let newPgdata = host.newPgdata { lines += "\n    new_pgdata: \(newPgdata)" }
        return lines
    }.joined(separator: "\n")
    let text = """
        version: 1
        name: preflight-test
        strategy: inplace
        postgres:
          from: { version: \(try TestPostgres.major(from)), bindir: \(try TestPostgres.bindir(from)) }
          to: { version: \(try TestPostgres.major(to)), bindir: \(try TestPostgres.bindir(to)) }
        tls: { dir: ./tls }
        hosts:
        \(hostLines)
        """
    return try PlanLoader.parse(text: text, path: "/tmp/preflight-test.yaml", environment: [:]) { run in
        throw TestSetupError("the test plan names no hook, yet \(run) was asked for")
    }.plan
}

/// The primary host of a single-cluster plan for `cluster`, its new cluster beside it in `dir`.
func primaryHost(_ cluster: TestCluster, in dir: ScratchDir) -> TestHost {
    TestHost(name: "db1", role: "primary", pgdata: cluster.pgdata, port: cluster.port, newPgdata: dir.path + "/new")
}

/// The verdicts of one preflight run, in the order they were emitted.
struct Verdicts {
    var all: [CheckResult] = []

    subscript(name: String) -> CheckResult? { all.first { $0.name == name } }

    var names: [String] { all.map(\.name) }

    /// One line per verdict, for failure messages.
    var listing: String { all.map { "\($0.name): \($0.verdict.rawValue) — \($0.detail)" }.joined(separator: "\n") }
}

/// Runs the preflight of `host` as the tests must (root here): programs as postgres, connections as postgres.
func runPreflight(_ plan: Plan, host: String, scratch: String, limits: PreflightLimits = .init()) throws -> Verdicts {
    let planHost = try #require(plan.hosts.first { $0.name == host })
    var verdicts = Verdicts()
    try InplacePreflight(plan: plan, host: planHost, scratchDirectory: scratch, limits: limits,
                         launcher: postgresLauncher, user: "postgres").run { verdicts.all.append($0) }
    return verdicts
}

/// The entries left in `path` (the scratch directory must be empty after a run).
func entries(_ path: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: path)
}
