import UpshiftPlan
import UpshiftPostgres
import UpshiftWire

/// `replication`: every slot, publication and subscription of the old primary, with what the run will do to
/// each. pg_upgrade carries no physical slot, and logical slots only from a 17+ source: a logical slot it
/// cannot carry needs the plan's decision (`options.logical_slots`), else the check fails and names it.
struct ReplicationChecks {
    let old: OldCluster
    let sourceMajor: Int
    let options: PlanOptions

    func run() -> CheckResult {
        let name = "replication"
        let remedy = "set options.logical_slots: recreate (each slot is created again on the new primary before writes resume; "
            + "the report gives its new start position for its consumer) or drop"
        return CheckResult.guarded(name, remedy: remedy) {
            let shape = try ReplicationShape.read(connect: { try PostgresConnection(conninfo: old.conninfo(database: $0)) })
            var parts: [String] = []
            let physical = shape.slots.filter { $0.kind == .physical }.map(\.name)
            if !physical.isEmpty {
                parts.append("physical slots \(listed(physical)): re-created on the new primary before the standbys start (pg_upgrade "
                             + "carries none); those no upgraded standby uses: \(options.physicalSlots == .recreate ? "re-created too" : "left out")")
            }
            let logical = shape.slots.filter { $0.kind == .logical }
            let logicalNames = logical.map { "\($0.name) (\($0.plugin ?? "?") in \($0.database ?? "?"))" }
            var verdict = CheckResult.Verdict.pass
            if !logical.isEmpty {
                if sourceMajor >= 17 {
                    parts.append("logical slots \(listed(logicalNames)): carried by pg_upgrade, which requires each consumer to have "
                                 + "confirmed everything by the stop")
                    let states = try old.with { try $0.query("""
                        select slot_name, active, coalesce(wal_status, '') from pg_replication_slots where slot_type = 'logical' order by 1
                        """).rows }
                    let lost = states.filter { $0[2] == "lost" }.compactMap { $0[0] }
                    guard lost.isEmpty else {
                        return .fail(name, "logical slots \(listed(lost)) are invalidated (wal_status lost): pg_upgrade refuses them",
                                     remedy: "drop them (pg_drop_replication_slot) and re-create them for their consumers after the upgrade")
                    }
                    let idle = states.filter { $0[1] != "t" }.compactMap { $0[0] }
                    if !idle.isEmpty {
                        parts.append("no consumer is connected to \(listed(idle)): unless it has confirmed everything by the stop, "
                                     + "pg_upgrade refuses the slot and the run rolls back")
                        verdict = .warn
                    }
                } else if let decision = options.logicalSlots {
                    parts.append("logical slots \(listed(logicalNames)): \(decision == .recreate ? "re-created on the new primary; a consumer resumes from the new slot's start, so it must have confirmed everything by the stop" : "not carried (options.logical_slots: drop)")")
                    verdict = .warn
                } else {
                    return .fail(name, "logical slots \(listed(logicalNames)) cannot be carried by pg_upgrade from PostgreSQL \(sourceMajor) "
                                 + "and the plan decides nothing for them", remedy: remedy)
                }
            }
            if !shape.publications.isEmpty {
                parts.append("publications \(listed(shape.publications)): carried with the catalog")
            }
            if !shape.subscriptions.isEmpty {
                let described = shape.subscriptions.map { "\($0.name) (\($0.enabled ? "enabled" : "disabled"))" }
                parts.append("subscriptions \(listed(described)): carried; the report shows their state after")
            }
            let detail = parts.isEmpty ? "no replication slots, publications or subscriptions" : parts.joined(separator: "; ")
            return verdict == .warn ? .warn(name, detail, remedy: "keep each slot's consumer connected through the stop, and tell "
                                            + "the consumer of a re-created slot where it starts again (in the report)")
                : .pass(name, detail)
        }
    }
}
