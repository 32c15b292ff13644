import UpshiftPostgres
import UpshiftPlan

/// Resolves a hook's SQL target (`"old"`, `"new"`, `"source"`, `"target"`, optionally `":DB"`, or a conninfo) to a conninfo.
///
/// `old`/`new` are this host's old and new clusters; `source`/`target` are the primaries of a logical
/// plan's two sides (local when this host is that primary, over TCP otherwise; through the run's write fences).
/// A database may follow a colon (`old:shop`); the default is the plan's first `databases:` entry, else `postgres`.
struct SQLTarget {
    let plan: Plan
    let host: PlanHost

    func conninfo(for target: String) throws -> String {
        if target.contains("=") || target.hasPrefix("postgres://") || target.hasPrefix("postgresql://") {
            return target
        }
        let parts = target.split(separator: ":", maxSplits: 1).map(String.init)
        let name = parts.first ?? ""
        let database = parts.count > 1 ? parts[1] : (plan.databases.first ?? "postgres")
        switch name {
        case "old":
            return try LocalCluster.running(pgdata: host.pgdata).conninfo(database: database)
        case "new":
            guard let newPgdata = host.newPgdata else {
                throw AgentError("host \(host.name) has no new_pgdata, so there is no \"new\" cluster to connect to")
            }
            return try LocalCluster.running(pgdata: newPgdata).conninfo(database: database)
        case "source", "target":
            let side: ClusterSide = name == "source" ? .source : .target
            guard let primary = plan.hosts.first(where: { $0.cluster == side && $0.role == .primary }) else {
                throw AgentError("the plan has no \(name) primary (\"\(name)\" needs a logical plan)")
            }
            // Hooks act for the run, as its steps do: the write fences the run raises on both sides do not stop them.
            if primary.name == host.name {
                return LogicalContext.unfenced(try LocalCluster.running(pgdata: primary.pgdata).conninfo(database: database))
            }
            return LogicalContext.unfenced(Conninfo.make(["host": primary.agentHost, "port": String(primary.port), "dbname": database,
                                                          "application_name": "upshift-agent"]))
        default:
            throw AgentError("unknown SQL target \"\(target)\": use old, new, source, target (optionally :DATABASE) or a conninfo")
        }
    }
}
