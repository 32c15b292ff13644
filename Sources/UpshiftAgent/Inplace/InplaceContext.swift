import Foundation
import UpshiftPlan
import UpshiftPostgres
import UpshiftWire

/// What an in-place step needs: the plan, this host, the request's inputs, where to work, how to report.
struct InplaceContext: StepContext {
    let plan: Plan
    let host: PlanHost
    let request: StepRequest
    let stateDirectory: String
    let emit: @Sendable (StepEventKind) -> Void
    /// The step's owner: a rollback cancels it through here, and it bounds the step by its deadline.
    let control: ProgramControl
    /// Where this run's point of no return on this host is journaled.
    let pointOfNoReturn: PointOfNoReturnLedger

    var versions: PostgresVersions {
        get throws {
            guard let versions = plan.postgres else { throw AgentError("an in-place plan needs postgres.from and postgres.to") }
            return versions
        }
    }

    var oldBinaries: PostgresBinaries { get throws { PostgresBinaries(bindir: try versions.from.bindir) } }
    var newBinaries: PostgresBinaries { get throws { PostgresBinaries(bindir: try versions.to.bindir) } }

    /// The fleet's primary.
    var primary: PlanHost {
        get throws {
            guard let primary = plan.hosts.first(where: { $0.role == .primary }) else { throw AgentError("the plan has no primary") }
            return primary
        }
    }

    /// The keep_old standby whose checksums are the old side's reference under `verify: online`.
    var keptOldReference: PlanHost {
        get throws {
            guard let host = plan.hosts.first(where: { $0.role == .standby && $0.keepOld }) else {
                throw AgentError("verify: online needs a keep_old standby, and the plan has none")
            }
            return host
        }
    }

    /// This host's new data directory.
    var newPgdata: String {
        get throws {
            guard let path = host.newPgdata else { throw AgentError("host \(host.name) has no new_pgdata") }
            return path
        }
    }

    /// The role that owns `host`'s new cluster (init-new reports it), else `postgres`.
    func installUser(on host: String) -> String {
        (try? fact("install user", on: host, \.installUser)) ?? "postgres"
    }

    /// The values the coordinator made for this run.
    var secrets: RunSecrets {
        get throws {
            guard let secrets = request.secrets else { throw AgentError("step \(request.stepID) needs the run's secrets, which the request lacks") }
            return secrets
        }
    }

    /// Connects to this host's running old cluster.
    func connectOld(database: String = "postgres") throws -> PostgresConnection {
        try owned(PostgresConnection(conninfo: LocalCluster.running(pgdata: host.pgdata).conninfo(database: database)))
    }

    /// Connects to this host's running new cluster.
    func connectNew(database: String = "postgres") throws -> PostgresConnection {
        try owned(PostgresConnection(conninfo: LocalCluster.running(pgdata: try newPgdata).conninfo(database: database)))
    }

    /// A new 0700 socket directory short enough for PostgreSQL's ~107-byte limit, with a name no one can
    /// guess or take first (mkdtemp).
    func shortSocketDirectory() throws -> String {
        var template = Array("/tmp/upshift-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw AgentError("cannot make a socket directory under /tmp: \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }
}
