import Foundation
import UpshiftPlan
import UpshiftPostgres

/// One foreign key as the source's catalog defines it.
struct ForeignKeyDefinition: Equatable {
    /// The referencing table, schema-qualified and quoted (`public.rental`).
    let table: String
    /// The constraint's name, quoted.
    let name: String
    /// `pg_get_constraintdef`: `FOREIGN KEY (…) REFERENCES …`, with `NOT VALID` when it is not validated.
    let definition: String
    /// Whether the source has checked it (a key NOT VALID there stays so on the target).
    let validated: Bool
    /// Whether the referencing table is partitioned (a NOT VALID key on one needs PostgreSQL 18).
    let partitioned: Bool

    /// The statement that adds it on the target, NOT VALID when `deferCheck` (and the source had checked it).
    func addStatement(deferCheck: Bool) -> String {
        let only = partitioned ? "" : "only "
        return "alter table \(only)\(table) add constraint \(name) \(definition)" + (deferCheck && validated ? " not valid" : "")
    }
}

/// `options.foreign_keys: not_valid`: `schema-post` adds the keys NOT VALID (no scan before the cutover), `post`
/// validates them after the switch (a SHARE UPDATE EXCLUSIVE lock: writes go on).
extension LogicalContext {
    /// The foreign keys pg_dump puts in `database`'s dump: every key defined on a table of its own (a partition's
    /// inherited copies come with the root's), outside extensions and the run's own schemas.
    func sourceForeignKeys(_ database: String) throws -> [ForeignKeyDefinition] {
        let source = try connect(.source, database: database)
        defer { source.close() }
        _ = try source.simpleQuery("set search_path = pg_catalog")
        return try source.query("""
            select c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid), c.convalidated, t.relkind = 'p'
            from pg_constraint c join pg_class t on t.oid = c.conrelid
            where c.contype = 'f' and c.conparentid = 0
              and t.relnamespace::regnamespace::text not in ($1, $2)
              and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = t.oid and d.deptype = 'e')
            order by 1, 2
            """, [LogicalNames.markerSchema, LogicalNames.copyLedgerSchema]).rows.map { row in
                ForeignKeyDefinition(table: row[0] ?? "", name: row[1] ?? "", definition: row[2] ?? "", validated: row[3] == "t",
                                     partitioned: row[4] == "t")
            }
    }

    /// Adds `database`'s foreign keys on the target NOT VALID (checked ones on partitioned tables when the target
    /// is older than 18, which cannot defer them); returns how many were deferred.
    func addForeignKeysNotValid(_ database: String) throws -> Int {
        let keys = try sourceForeignKeys(database)
        let target = try connect(.target, database: database)
        defer { target.close() }
        let partitionedCanDefer = try versions.to.version >= 18
        var deferred = 0
        for (index, key) in keys.enumerated() {
            let deferCheck = key.validated && (!key.partitioned || partitionedCanDefer)
            _ = try target.simpleQuery(key.addStatement(deferCheck: deferCheck))
            if deferCheck { deferred += 1 }
            emit(.progress(done: Double(index + 1), total: Double(keys.count), unit: "foreign keys (\(database))"))
        }
        return deferred
    }

    /// Validates the target's NOT VALID foreign keys that the source had checked; returns how many.
    func validateDeferredForeignKeys(_ database: String) throws -> Int {
        let checkedOnSource = Set(try sourceForeignKeys(database).filter(\.validated).map { "\($0.table) \($0.name)" })
        let target = try connect(.target, database: database)
        defer { target.close() }
        _ = try target.simpleQuery("set search_path = pg_catalog")
        let pending = try target.query("""
            select c.conrelid::regclass::text, quote_ident(c.conname) from pg_constraint c
            where c.contype = 'f' and c.conparentid = 0 and not c.convalidated order by 1, 2
            """).rows.compactMap { row in row[0].flatMap { table in row[1].map { (table: table, name: $0) } } }
            .filter { checkedOnSource.contains("\($0.table) \($0.name)") }
        for (index, key) in pending.enumerated() {
            do {
                _ = try target.simpleQuery("alter table \(key.table) validate constraint \(key.name)")
            } catch let error as PostgresError {
                throw AgentError("\(database): foreign key \(key.name) on \(key.table) does not hold for the rows the target has "
                    + "(\(error)); it stays NOT VALID, so new rows are still checked. Mend the rows, then `upshift resume RUN` validates "
                    + "the keys left")
            }
            emit(.progress(done: Double(index + 1), total: Double(pending.count), unit: "foreign keys validated (\(database))"))
        }
        return pending.count
    }
}
