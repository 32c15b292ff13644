import UpshiftWire

/// `prepared-transactions` and `long-transactions`: nothing open that would hold up the shutdown or be lost by it.
struct TransactionChecks {
    let old: OldCluster
    let maxAgeSeconds: Int

    /// No prepared transaction in any database (pg_upgrade refuses them; they survive a shutdown unresolved).
    func prepared() -> CheckResult {
        let name = "prepared-transactions"
        let remedy = "COMMIT PREPARED or ROLLBACK PREPARED each one (their owners know which)"
        return CheckResult.guarded(name, remedy: remedy) {
            let rows = try old.with { try $0.query("""
                select gid, database, owner, extract(epoch from now() - prepared)::bigint
                from pg_prepared_xacts order by prepared
                """).rows }
            guard !rows.isEmpty else { return .pass(name, "no prepared transactions") }
            let named = rows.map { "'\($0[0] ?? "")' in \($0[1] ?? "?") by \($0[2] ?? "?"), \($0[3] ?? "?") s old" }
            return .fail(name, "\(counted(rows.count, "prepared transaction")): \(listed(named, limit: 3))", remedy: remedy)
        }
    }

    /// No client transaction open longer than the limit (the agent's own session left out).
    func long() -> CheckResult {
        let name = "long-transactions"
        let remedy = "end those sessions (pg_terminate_backend) or wait for them; raise the limit only if they will end before the stop"
        return CheckResult.guarded(name, remedy: remedy) {
            let rows = try old.with { try $0.query("""
                select pid, coalesce(datname, ''), coalesce(usename, ''), coalesce(application_name, ''),
                       floor(extract(epoch from clock_timestamp() - xact_start))::bigint
                from pg_stat_activity
                where xact_start is not null and pid <> pg_backend_pid() and backend_type = 'client backend'
                  and extract(epoch from clock_timestamp() - xact_start) > $1
                order by xact_start
                """, [String(maxAgeSeconds)]).rows }
            guard !rows.isEmpty else { return .pass(name, "no transaction open longer than \(maxAgeSeconds) s") }
            let named = rows.map { "pid \($0[0] ?? "?") (\($0[2] ?? "")@\($0[1] ?? "") \($0[3] ?? ""), \($0[4] ?? "?") s)" }
            return .fail(name, "\(counted(rows.count, "transaction")) open longer than \(maxAgeSeconds) s: \(listed(named, limit: 3))",
                         remedy: remedy)
        }
    }
}
