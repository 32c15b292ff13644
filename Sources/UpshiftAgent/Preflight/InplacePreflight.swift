import UpshiftPlan
import UpshiftPostgres
import UpshiftWire

/// The read-only checks before an in-place upgrade, for one host of the plan. Changes nothing on the old
/// cluster: it is read live, and the rehearsals (initdb, `pg_upgrade --check`, the schema restore) run on a
/// scratch cluster under the agent's scratch directory, removed afterwards.
struct InplacePreflight {
    let plan: Plan
    let host: PlanHost
    /// An agent-owned directory for the scratch cluster (keep it short: a unix socket lives under it).
    let scratchDirectory: String
    let limits: PreflightLimits
    /// Starts initdb, pg_ctl, pg_upgrade, pg_dump: directly when the agent runs as the servers' OS user
    /// (production), `.asUser("postgres")` when it runs as root (tests).
    let launcher: ProgramLauncher
    /// The role the checks connect as; nil for libpq's default, the OS user the agent runs as.
    let user: String?

    init(plan: Plan, host: PlanHost, scratchDirectory: String, limits: PreflightLimits = .init(),
         launcher: ProgramLauncher = .direct, user: String? = nil) {
        self.plan = plan
        self.host = host
        self.scratchDirectory = scratchDirectory
        self.limits = limits
        self.launcher = launcher
        self.user = user
    }

    /// Runs every check that applies to this host and emits each verdict as soon as it is known. Checks
    /// that need something an earlier check found missing (the old cluster running, a build of the right
    /// version) are not run: the earlier failure is the verdict. Throws only when the plan is not an
    /// in-place one, or the scratch cluster cannot be removed afterwards.
    func run(emit: (CheckResult) -> Void) throws {
        guard plan.strategy == .inplace, let versions = plan.postgres else {
            throw AgentError("in-place preflight needs an inplace plan with postgres.from and postgres.to (plan \(plan.name))")
        }
        func record(_ result: CheckResult) -> Bool {
            emit(result)
            return result.passedOrWarned
        }
        let oldBuildOK = record(bindirCheck("old-bindir", bindir: versions.from.bindir, major: versions.from.version,
                                            planKey: "from", launcher: launcher))
        var newBuildOK = false
        var storage: StorageChecks?
        if host.isUpgraded {
            newBuildOK = record(bindirCheck("new-bindir", bindir: versions.to.bindir, major: versions.to.version,
                                            planKey: "to", launcher: launcher))
            if let newPgdata = host.newPgdata {
                storage = StorageChecks(plan: plan, host: host, newPgdata: newPgdata, launcher: launcher)
                emit(storage!.newPgdataCheck())
            } else {
                emit(.fail("new-pgdata", "the plan gives \(host.name) no new_pgdata", remedy: "set hosts[].new_pgdata"))
            }
        }
        let (running, old) = oldClusterCheck(versions.from)
        emit(running)
        guard let old else { return }
        if let storage { emit(storage.diskCheck(old: old)) }
        switch host.role {
        case .standby:
            let standby = StandbyChecks(plan: plan, host: host, old: old, maxLagBytes: limits.maxReplayLagBytes)
            emit(standby.streaming())
            emit(standby.replayLag())
        case .primary:
            try primaryChecks(old: old, versions: versions, buildsOK: oldBuildOK && newBuildOK, emit: emit)
        }
    }

    /// `old-cluster-running`: a postmaster runs on pgdata, answers as the plan's version and role, on the plan's port.
    private func oldClusterCheck(_ from: PostgresInstall) -> (CheckResult, OldCluster?) {
        let name = "old-cluster-running"
        let remedy = "start the old cluster on \(host.name) (preflight reads it live), or fix pgdata/port/role in the plan"
        do {
            let old = OldCluster(local: try LocalCluster.running(pgdata: host.pgdata), user: user)
            let row = try old.with { connection in
                try connection.query("select current_setting('server_version_num'), current_setting('server_version'), pg_is_in_recovery()")
                    .rows.first ?? []
            }
            guard row.count == 3, let number = row[0].flatMap({ Int($0) }), let version = row[1] else {
                throw AgentError("the server did not report its version")
            }
            let where_ = "pid \(old.local.pid), port \(old.local.port), PostgreSQL \(version)"
            guard number / 10000 == from.version else {
                return (.fail(name, "\(where_): the plan's from.version is \(from.version)", remedy: remedy), nil)
            }
            guard old.local.port == host.port else {
                return (.fail(name, "\(where_): the plan says port \(host.port)", remedy: remedy), nil)
            }
            let inRecovery = row[2] == "t"
            guard inRecovery == (host.role == .standby) else {
                let actual = inRecovery ? "in recovery (a standby)" : "not in recovery (a primary)"
                return (.fail(name, "\(where_) is \(actual); the plan says \(host.role.rawValue)", remedy: remedy), nil)
            }
            return (.pass(name, "\(where_), \(host.role.rawValue)"), old)
        } catch {
            return (.fail(name, "\(host.pgdata): \(error)", remedy: remedy), nil)
        }
    }
}
