import Foundation
import UpshiftPlan
import UpshiftPostgres
import UpshiftWire

extension LogicalContext {
    /// `cutover`, the write window up to the switch: lag under the threshold, writes fenced on the source and its
    /// client sessions ended; stopped (source writable again) if the source's schema changed since the snapshot;
    /// a marker written through the source and awaited on the target, so the target holds every committed write;
    /// sequences set ahead; large objects copied; every table's row count and content hash compared (under `verify:
    /// online`, a snapshot of each side held for `verify` instead); the forward subscription stopped. `switch` makes
    /// the reverse path and lets writes in on the target.
    func cutover() throws {
        let threshold = plan.options.lagThresholdBytes ?? Self.defaultLagThreshold
        try waitForLag(under: threshold, upTo: Double(plan.options.catchUpTimeoutS), every: 0.01)
        let admin = try connect(.source, database: "postgres")
        defer { admin.close() }
        try sourceFence.raise(admin, sparing: "upshift-agent")
        log("writes fenced on the source; its client sessions ended")
        do {
            for database in databases { try checkNoDDL(database) }
            try awaitMarker(from: .source, to: .target)
            for database in databases {
                try copySequences(database, from: .source, to: .target)
                try copyLargeObjects(database, from: .source, to: .target)
                if plan.options.verify == .online {
                    try holdSwitchSnapshots(database)
                } else {
                    try verifyTables(database)
                }
            }
            try stopForward()
        } catch {
            // Before the point of no return: the source takes writes again at once (the rollback cleans up the rest).
            SnapshotHolder.shared.release(run: request.runID) { if case .atSwitch = $0 { true } else { false } }
            try? WriteFence.lift(admin)
            throw error
        }
    }

    /// The source's write fence.
    var sourceFence: WriteFence {
        WriteFence(connect: { try PostgresConnection(conninfo: try conninfo(.source, database: "postgres")) }, control: control)
    }

    /// The target's write fence (read-only for clients from `schema-pre` to `switch`, and again for a rollback).
    var targetFence: WriteFence {
        WriteFence(connect: { try PostgresConnection(conninfo: try conninfo(.target, database: "postgres")) }, control: control)
    }

    /// Fails when the source's schema differs from the snapshot's: DDL is not replicated, so the target would miss it.
    private func checkNoDDL(_ database: String) throws {
        let source = try connect(.source, database: database)
        defer { source.close() }
        let now = try SourceCatalog(source, probeSchema: plan.probe.schema).fingerprint()
        guard now == (try start(of: database)).schemaFingerprint else {
            throw AgentError("\(database): the source's schema changed since the snapshot (DDL is not replicated); "
                             + "the cutover stops and the source takes writes again. Apply the change on the target or start a new run")
        }
    }

    /// Writes one marker row per database through `from` and waits until `to` has applied it: everything committed
    /// on `from` before it is then on `to`.
    func awaitMarker(from: ClusterSide, to: ClusterSide) throws {
        let token = "\(request.runID)-\(request.stepID)-\(UUID().uuidString.prefix(8))"
        for database in databases {
            let writer = try connect(from, database: database)
            _ = try writer.query("insert into \(LogicalNames.markerTable) (token) values ($1)", [token])
            writer.close()
            let reader = try connect(to, database: database)
            defer { reader.close() }
            try wait(upTo: Double(plan.options.catchUpTimeoutS), every: 0.005, for: "\(database): the marker to reach the \(to.rawValue)") {
                try !reader.query("select 1 from \(LogicalNames.markerTable) where token = $1", [token]).rows.isEmpty
            }
        }
        log("the \(to.rawValue) applied everything the \(from.rawValue) committed (marker \(token))")
    }

    /// Every sequence of `database` on `to` set to its value on `from` plus the plan's margin (capped at its maximum),
    /// sequences no column owns included.
    func copySequences(_ database: String, from: ClusterSide, to: ClusterSide) throws {
        let reader = try connect(from, database: database)
        let values = try SourceCatalog(reader, probeSchema: plan.probe.schema).sequenceValues()
        reader.close()
        let writer = try connect(to, database: database)
        defer { writer.close() }
        let margin = Int64(plan.options.sequenceMargin ?? PlanOptions.defaultSequenceMargin)
        for (name, value) in values {
            let (ahead, overflow) = value.addingReportingOverflow(margin)
            _ = try writer.query("""
                select setval($1::regclass, least($2::numeric, (select max_value from pg_sequences where schemaname || '.' || sequencename = $3))::bigint)
                """, [Self.quoted(name), overflow ? String(Int64.max) : String(ahead), name])
        }
        log("\(database): \(values.count) sequences set on the \(to.rawValue), \(margin) ahead of the \(from.rawValue)")
    }

    /// Makes `to`'s large objects those of `from` (logical replication carries none): each written with the same oid
    /// and content, and those `from` no longer has unlinked. Each object passes through the agent whole.
    func copyLargeObjects(_ database: String, from: ClusterSide, to: ClusterSide) throws {
        let origin = try connect(from, database: database)
        defer { origin.close() }
        let destination = try connect(to, database: database)
        defer { destination.close() }
        let listing = "select oid::text from pg_largeobject_metadata order by oid"
        let oids = try origin.query(listing).rows.compactMap { $0[0] }
        let gone = Set(try destination.query(listing).rows.compactMap { $0[0] }).subtracting(oids)
        guard !oids.isEmpty || !gone.isEmpty else { return }
        for oid in gone.sorted() { _ = try destination.query("select lo_unlink($1::oid)", [oid]) }
        for oid in oids {
            let data = try origin.query("select lo_get($1::oid)", [oid]).rows.first?.first ?? nil
            _ = try destination.query("select lo_unlink(oid) from pg_largeobject_metadata where oid = $1::oid", [oid])
            _ = try destination.query("select lo_from_bytea($1::oid, $2::bytea)", [oid, data ?? "\\x"])
        }
        log("\(database): \(oids.count) large objects copied to the \(to.rawValue)" + (gone.isEmpty ? "" : ", \(gone.count) it alone had unlinked"))
    }

    /// Row counts and content hashes of every replicated table, source against target, with the source fenced.
    private func verifyTables(_ database: String) throws {
        let scope = switchScope(database)
        let expected = try takeChecksums(connect: { try connect(.source, database: $0) }, includeUnlogged: false, scope: scope)
        let found = try takeChecksums(connect: { try connect(.target, database: $0) }, includeUnlogged: false, following: expected, scope: scope)
        try compare(found, with: expected, reference: "the source")
    }

    /// Stops the forward subscriptions (dropped by `post`): nothing more comes from the fenced source, and once the
    /// reverse path runs, the target's changes must not come back to it.
    private func stopForward() throws {
        for database in databases {
            let target = try connect(.target, database: database)
            defer { target.close() }
            _ = try target.simpleQuery("alter subscription \(PostgresConnection.quoteIdentifier(names.forward)) disable")
            try wait(upTo: 60, every: 0.01, for: "\(database): the forward subscription's worker to stop") {
                // pg_stat_subscription lists every database's workers, and each database's subscription has this name.
                try target.query("""
                    select 1 from pg_stat_subscription w join pg_subscription s on s.oid = w.subid
                    where s.subname = $1 and s.subdbid = (select oid from pg_database where datname = current_database())
                      and w.pid is not null
                    """, [names.forward]).rows.isEmpty
            }
        }
    }

    /// The way back: a publication on each target database and a subscription on the source from a new slot on the
    /// target, made by `switch` while the target takes no writes (after the `before:switch` hooks, so rows a hook
    /// copies inside the window do not come back), so it carries every write from the switch on. It publishes the
    /// replicated tables and the `skip:`ped ones that have a replica identity (the source holds all their rows; what
    /// the target adds must come back too); a skipped table without one would make the target refuse its updates.
    /// A database whose subscription exists is left as it is (a re-run).
    func makeReversePath() throws {
        var kept: [String] = []
        for (index, database) in databases.enumerated() {
            let source = try connect(.source, database: database)
            defer { source.close() }
            if try Self.hasSubscription(names.reverse, on: source) {
                kept.append(database)
                continue
            }
            let target = try connect(.target, database: database)
            let skipped = try target.query("""
                select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where n.nspname || '.' || c.relname = any($1::text[]) and c.relkind in ('r', 'p')
                  and (c.relreplident in ('f', 'i') or (c.relreplident = 'd' and exists (
                       select 1 from pg_index i where i.indrelid = c.oid and i.indisprimary)))
                """, [Self.textArray(plan.skip)]).rows.compactMap { $0[0] }
            let tables = (try start(of: database).tables + skipped + [LogicalNames.markerTable]).map(Self.quoted).joined(separator: ", ")
            _ = try target.simpleQuery("drop publication if exists \(PostgresConnection.quoteIdentifier(names.reverse))")
            _ = try target.simpleQuery("create publication \(PostgresConnection.quoteIdentifier(names.reverse)) for table \(tables)")
            target.close()
            let connection = remoteConninfo(side: try primary(.target), database: database)
            _ = try source.simpleQuery("""
                create subscription \(PostgresConnection.quoteIdentifier(names.reverse)) connection \(Self.literal(connection))
                publication \(PostgresConnection.quoteIdentifier(names.reverse))
                with (create_slot = true, slot_name = \(Self.literal(names.reverseSlot(index))), copy_data = false, enabled = true)
                """)
        }
        log("reverse path ready: the source subscribes to the target's changes (upshift rollback RUN goes back over it)"
            + (kept.isEmpty ? "" : "; reverse path kept from the earlier attempt in \(kept.joined(separator: ", "))"))
    }
}
