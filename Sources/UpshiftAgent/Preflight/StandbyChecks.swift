import UpshiftPlan
import UpshiftPostgres
import UpshiftWire

/// `standby-streaming` and `replay-lag`: a standby is attached and caught up before the primary stops.
struct StandbyChecks {
    let plan: Plan
    let host: PlanHost
    let old: OldCluster
    let maxLagBytes: Int

    /// The WAL receiver is streaming.
    func streaming() -> CheckResult {
        let name = "standby-streaming"
        let remedy = "check primary_conninfo of \(host.name) and the primary's pg_hba.conf and max_wal_senders; the server log says why"
        return CheckResult.guarded(name, remedy: remedy) {
            let row = try old.with { try $0.query("""
                select status, coalesce(sender_host, ''), coalesce(sender_port::text, '') from pg_stat_wal_receiver
                """).rows.first }
            guard let row else { return .fail(name, "no WAL receiver runs (not streaming from a primary)", remedy: remedy) }
            let status = row[0] ?? ""
            let source = "\(row[1] ?? ""):\(row[2] ?? "")"
            guard status == "streaming" else {
                return .fail(name, "the WAL receiver is \(status), from \(source)", remedy: remedy)
            }
            return .pass(name, "streaming from \(source)")
        }
    }

    /// How far replay is behind: against the primary's current WAL position when the primary answers,
    /// else between what this standby received and replayed (the detail says which).
    func replayLag() -> CheckResult {
        let name = "replay-lag"
        let remedy = "wait for \(host.name) to catch up (pg_stat_replication on the primary shows its progress), or look for what holds replay back"
        return CheckResult.guarded(name, remedy: remedy) {
            var measured = "behind the primary's current WAL position"
            var lag: Int64
            do {
                let primaryLSN = try primaryPosition()
                lag = try bytes("select pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())::bigint", [primaryLSN])
            } catch {
                measured = "received but not replayed (primary not reachable: \(error))"
                lag = try bytes("select coalesce(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0)::bigint")
            }
            lag = max(lag, 0)
            let detail = "\(sizeText(lag)) \(measured); limit \(sizeText(Int64(maxLagBytes)))"
            return lag <= maxLagBytes ? .pass(name, detail) : .fail(name, detail, remedy: remedy)
        }
    }

    private func bytes(_ query: String, _ params: [String?] = []) throws -> Int64 {
        guard let text = try old.with({ try $0.query(query, params).rows.first?.first ?? nil }), let value = Int64(text) else {
            throw AgentError("no replay position: is \(host.pgdata) a standby that has replayed WAL?")
        }
        return value
    }

    /// The primary's current WAL position, over TCP at the plan's address for it.
    private func primaryPosition() throws -> String {
        guard let primary = plan.hosts.first(where: { $0.cluster == host.cluster && $0.role == .primary }) else {
            throw AgentError("the plan names no primary")
        }
        var values = ["host": primary.agentHost, "port": String(primary.port), "dbname": "postgres",
                      "connect_timeout": "5", "application_name": "upshift-agent"]
        values["user"] = old.user
        let connection = try PostgresConnection(conninfo: Conninfo.make(values))
        defer { connection.close() }
        guard let lsn = try connection.query("select pg_current_wal_lsn()::text").rows.first?.first ?? nil else {
            throw AgentError("\(primary.name) returned no WAL position")
        }
        return lsn
    }
}
