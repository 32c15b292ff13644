import Foundation
import UpshiftPlan
import UpshiftPostgres
import UpshiftWire

/// Carries the old primary's replication slots to the new one, which pg_upgrade does not do for physical
/// slots, nor for logical slots of a source older than 17. Runs in `start-primary`, before any standby starts,
/// so no WAL a standby needs is recycled; safe to run again (a slot already there is kept).
extension InplaceContext {
    func carryReplicationSlots() throws {
        guard let before = try? fact("replication shape", on: host.name, \.replicationBefore) else {
            log("no replication shape of the old primary was reported; slots left as pg_upgrade made them", level: "warning")
            return
        }
        let standbys = Dictionary(grouping: request.facts.compactMap { fact in fact.output.standbySlot.map { (slot: $0, host: fact.host) } },
                                  by: \.slot).mapValues { $0.map(\.host) }
        let sourceMajor = try versions.from.version
        var present = Set(try ReplicationShape.read(connect: { try connectNew(database: $0) }).slots.map(\.name))
        var carried: [ReplicationSlot] = []
        for original in before.slots {
            // Past the point of no return a slot that cannot be made must not fail the run: the data is
            // upgraded; the report and the log say which slot is missing and why.
            var slot = original
            do {
                try carry(&slot, standbys: standbys, sourceMajor: sourceMajor, present: &present)
            } catch {
                slot.action = "FAILED to re-create: \(error); create it by hand for its consumer"
                log("slot \(slot.name): \(slot.action ?? "")", level: "warning")
            }
            carried.append(slot)
        }
        var after = try ReplicationShape.read(connect: { try connectNew(database: $0) })
        let described = Dictionary(uniqueKeysWithValues: carried.map { ($0.name, $0) })
        after.slots = after.slots.map { slot in
            var slot = slot
            slot.action = described[slot.name]?.action
            return slot
        } + carried.filter { slot in !after.slots.contains { $0.name == slot.name } }
        output(.replication(moment: .after, shape: after))
    }

    /// Decides and does what the run does with one slot of the old primary, noting it in `slot.action`.
    private func carry(_ slot: inout ReplicationSlot, standbys: [String: [String]], sourceMajor: Int, present: inout Set<String>) throws {
        let users = (standbys[slot.name] ?? []).compactMap { name in plan.hosts.first { $0.name == name } }
        let upgraded = users.filter { !$0.keepOld }.map(\.name)
        let keptOld = users.filter(\.keepOld).map(\.name)
        switch slot.kind {
        case .physical:
            if !upgraded.isEmpty {
                slot.lsn = try createPhysical(slot.name, present: &present)
                slot.action = "re-created for \(upgraded.joined(separator: ", ")) before \(upgraded.count == 1 ? "it starts" : "they start")"
            } else if !keptOld.isEmpty {
                slot.action = "not re-created: \(keptOld.joined(separator: ", ")) (keep_old) streams through it from the old primary"
            } else if plan.options.physicalSlots == .recreate {
                slot.lsn = try createPhysical(slot.name, present: &present)
                slot.action = "re-created (no standby of the plan uses it: its consumer must connect, or drop it)"
            } else {
                slot.action = "not re-created (options.physical_slots: drop)"
            }
        case .logical where sourceMajor >= 17:
            slot.action = present.contains(slot.name) ? "carried by pg_upgrade" : "NOT carried: pg_upgrade left it out (it was not caught up)"
        case .logical:
            switch plan.options.logicalSlots {
            case .recreate?:
                slot.lsn = try createLogical(slot, present: &present)
                slot.action = "re-created at \(slot.lsn ?? "?"): its consumer resumes from there (changes before it are not in the slot)"
            case .drop?:
                slot.action = "not re-created (options.logical_slots: drop)"
            case nil:
                slot.action = "NOT carried: the plan decided nothing (options.logical_slots)"
            }
        }
        log("slot \(slot.name) (\(slot.kind.rawValue)): \(slot.action ?? "")")
    }

    /// Creates a physical slot that reserves WAL at once; keeps one already there (a rerun). Returns its position.
    private func createPhysical(_ name: String, present: inout Set<String>) throws -> String? {
        let connection = try connectNew()
        defer { connection.close() }
        if !present.contains(name) {
            _ = try connection.query("select pg_create_physical_replication_slot($1, true)", [name])
            present.insert(name)
        }
        return try connection.query("select restart_lsn::text from pg_replication_slots where slot_name = $1", [name]).rows.first?[0] ?? nil
    }

    /// Creates a logical slot in its database with its plugin; keeps one already there (a rerun). Returns the
    /// position its consumer resumes from.
    private func createLogical(_ slot: ReplicationSlot, present: inout Set<String>) throws -> String? {
        guard let database = slot.database, let plugin = slot.plugin else {
            throw AgentError("logical slot \(slot.name) has no database or plugin in the old primary's catalog")
        }
        let connection = try connectNew(database: database)
        defer { connection.close() }
        if !present.contains(slot.name) {
            _ = try connection.query("select pg_create_logical_replication_slot($1, $2)", [slot.name, plugin])
            present.insert(slot.name)
        }
        return try connection.query("select confirmed_flush_lsn::text from pg_replication_slots where slot_name = $1", [slot.name])
            .rows.first?[0] ?? nil
    }
}
