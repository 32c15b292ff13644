import Foundation
import UpshiftPlan
import UpshiftPostgres
import UpshiftWire

extension LogicalContext {
    /// `rollback` before the switch, on each primary for its own cluster. The source: the reverse subscription, the
    /// forward publication and slots, the marker schema and the replica identities the run set are removed, and the
    /// fence lifted: it takes writes as before. The target: the snapshots let go, the subscriptions, the reverse
    /// publication and slots removed, the databases the run created dropped, the fence lifted.
    func rollback() throws {
        if isSource {
            for database in databases where try databaseExists(database, on: .source) {
                try dropSubscription(names.reverse, side: .source, database: database)
                let source = try connect(.source, database: database)
                defer { source.close() }
                _ = try source.simpleQuery("drop publication if exists \(PostgresConnection.quoteIdentifier(names.forward))")
                _ = try source.simpleQuery("drop schema if exists \(LogicalNames.markerSchema) cascade")
                let permanent = try SourceCatalog(source, probeSchema: plan.probe.schema).permanentTables()
                for table in plan.replicaIdentityFull where permanent.contains(table) {
                    _ = try source.simpleQuery("alter table \(Self.quoted(table)) replica identity default")
                }
            }
            try dropSlots(prefix: "\(names.forward)_", side: .source, except: "\(names.reverse)_")
            let admin = try connect(.source, database: "postgres")
            defer { admin.close() }
            if try WriteFence.isRaised(admin) { try WriteFence.lift(admin) }
            log("the source is as before the run and takes writes; no slot of the run is left")
        } else {
            SnapshotHolder.shared.release(run: request.runID)
            for database in databases where try databaseExists(database, on: .target) {
                try dropSubscription(names.forward, side: .target, database: database)
                let target = try connect(.target, database: database)
                _ = try target.simpleQuery("drop publication if exists \(PostgresConnection.quoteIdentifier(names.reverse))")
                target.close()
            }
            try dropSlots(prefix: "\(names.reverse)_", side: .target)
            let admin = try connect(.target, database: "postgres")
            defer { admin.close() }
            let created = (try? fact("created databases", on: host.name, \.createdDatabases)) ?? []
            for database in created {
                _ = try admin.simpleQuery("drop database if exists \(PostgresConnection.quoteIdentifier(database)) with (force)")
            }
            let kept = databases.filter { !created.contains($0) }
            if try WriteFence.isRaised(admin) { try WriteFence.lift(admin) }
            log("the target is let go" + (created.isEmpty ? "" : "; dropped the databases the run created: \(created.joined(separator: ", "))")
                + (kept.isEmpty ? "" : "; \(kept.joined(separator: ", ")) existed before the run and keep what it restored"))
        }
    }

    /// `rollback-to-source` (`upshift rollback RUN` after the switch): the target fenced, the reverse path awaited
    /// until the source holds every write the target took, sequences set ahead on the source, the large objects the
    /// source's made equal to the target's (replication carries none), the reverse path dropped, writes let in on the
    /// source again. Hooks `after:rollback-to-source` move traffic back.
    ///
    /// A failure while the reverse path is still there lifts the target's fence again: the target keeps taking the
    /// writes and the reverse path keeps carrying them, and asking again retries. Once the path is dropped (the source
    /// holds everything), asking again only lets writes in on the source.
    func rollbackToSource() throws {
        guard plan.options.reverseReplication else {
            throw AgentError("the plan has reverse_replication: false, so there is no path back to the source with the target's writes")
        }
        SnapshotHolder.shared.release(run: request.runID)
        let targetAdmin = try connect(.target, database: "postgres")
        defer { targetAdmin.close() }
        if try reversePathDropped() {
            guard try WriteFence.isRaised(targetAdmin) else {
                throw AgentError("the reverse path is gone but the target takes writes: what it took since cannot reach the source; "
                                 + "copy it by hand or stay on the target")
            }
            log("the reverse path was dropped by an earlier attempt after the source had every write; the target stays fenced")
        } else {
            try targetFence.raise(targetAdmin, sparing: "upshift-agent")
            log("writes fenced on the target")
            do {
                try awaitMarker(from: .target, to: .source)
                for database in databases {
                    try copySequences(database, from: .target, to: .source)
                    try copyLargeObjects(database, from: .target, to: .source)
                }
            } catch {
                try? WriteFence.lift(targetAdmin)
                throw AgentError("\(error); the target takes writes again and the reverse path still carries them to the source: "
                                 + "run `upshift rollback` again once that is mended (traffic stays where the hooks before this step left it)")
            }
            try dropReversePath()
        }
        do {
            let sourceAdmin = try connect(.source, database: "postgres")
            defer { sourceAdmin.close() }
            try WriteFence.lift(sourceAdmin)
        } catch {
            throw AgentError("the source holds every write the target took and the reverse path is dropped, but the source's fence "
                             + "could not be lifted (\(error)): neither side takes writes; run `upshift rollback` again once that is mended")
        }
        log("back on the source: it holds every write the target took and accepts writes; the target stays fenced")
    }

    /// Whether no database of the run has the reverse subscription on the source any more.
    private func reversePathDropped() throws -> Bool {
        for database in databases where try databaseExists(database, on: .source) {
            let source = try connect(.source, database: database)
            defer { source.close() }
            if try Self.hasSubscription(names.reverse, on: source) { return false }
        }
        return true
    }

    /// `finish` (`upshift finish RUN`): the reverse path and the run's marker and ledger schemas dropped on both sides.
    /// The source stays fenced: it is the old cluster, to retire.
    func finish() throws {
        try dropReversePath()
        for database in databases {
            let target = try connect(.target, database: database)
            _ = try target.simpleQuery("drop schema if exists \(LogicalNames.markerSchema) cascade; drop schema if exists \(LogicalNames.copyLedgerSchema) cascade")
            target.close()
            let source = try connect(.source, database: database)
            _ = try source.simpleQuery("drop schema if exists \(LogicalNames.markerSchema) cascade")
            _ = try source.simpleQuery("drop publication if exists \(PostgresConnection.quoteIdentifier(names.forward))")
            source.close()
        }
        try dropSlots(prefix: "\(names.forward)_", side: .source, except: "\(names.reverse)_")
        log("reverse path dropped; the source stays read-only, ready to retire")
    }

    /// The reverse subscriptions on the source, the reverse publications and slots on the target.
    private func dropReversePath() throws {
        for database in databases {
            try dropSubscription(names.reverse, side: .source, database: database)
            let target = try connect(.target, database: database)
            _ = try target.simpleQuery("drop publication if exists \(PostgresConnection.quoteIdentifier(names.reverse))")
            target.close()
        }
        try dropSlots(prefix: "\(names.reverse)_", side: .target)
    }
}
