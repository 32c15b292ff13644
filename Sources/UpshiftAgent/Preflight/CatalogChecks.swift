import Foundation
import UpshiftWire

/// `reg-types` and `sequence-headroom`: what in the user's tables pg_upgrade cannot carry, or will soon break.
struct CatalogChecks {
    let old: OldCluster
    let headroomPercent: Double

    /// User columns of the reg* types that store OIDs pg_upgrade does not preserve, directly or through a
    /// domain, array, composite or range, as pg_upgrade's own check finds them. regclass, regrole and
    /// regtype are fine: pg_upgrade preserves those OIDs.
    func regTypes() -> CheckResult {
        let name = "reg-types"
        let remedy = "drop those columns or change them to text (e.g. ALTER COLUMN … TYPE text) before the upgrade"
        return CheckResult.guarded(name, remedy: remedy) {
            var found: [String] = []
            for (database, rows) in try old.queryEachDatabase(Self.regColumnsQuery) {
                found += rows.map { "\(database): \($0[0] ?? "").\($0[1] ?? "").\($0[2] ?? "") (\($0[3] ?? ""))" }
            }
            guard found.isEmpty else {
                return .fail(name, "\(counted(found.count, "user column")) of reg* types pg_upgrade rejects: \(listed(found))", remedy: remedy)
            }
            return .pass(name, "no user columns of regcollation, regconfig, regdictionary, regnamespace, regoper(ator) or regproc(edure)")
        }
    }

    /// Sequences feeding int2/int4 columns (or limited to the int4 range themselves) with less than the
    /// headroom left; an upgrade is when people look, and after it they would fail inserts.
    func sequenceHeadroom() -> CheckResult {
        let name = "sequence-headroom"
        let remedy = "plan the change of those columns to bigint (a logical plan with transforms can do it)"
        return CheckResult.guarded(name, remedy: remedy) {
            var low: [String] = []
            var count = 0
            for (database, rows) in try old.queryEachDatabase(Self.sequencesQuery) {
                count += rows.count
                for row in rows {
                    guard let left = row[2].flatMap(Double.init), left < headroomPercent else { continue }
                    low.append("\(database): \(row[0] ?? "").\(row[1] ?? "") \(String(format: "%.1f", left))% left")
                }
            }
            guard low.isEmpty else {
                return .warn(name, "\(counted(low.count, "sequence")) below \(headroomPercent.formatted)% headroom: \(listed(low))", remedy: remedy)
            }
            guard count > 0 else { return .pass(name, "no sequence is bounded by an int2/int4 range") }
            return .pass(name, "\(counted(count, "int2/int4 sequence")), each with at least \(headroomPercent.formatted)% of its range left")
        }
    }

    static let regColumnsQuery = """
        with recursive oids as (
            select t.oid from pg_catalog.pg_type t
            where t.typnamespace = 'pg_catalog'::regnamespace
              and t.typname in ('regcollation', 'regconfig', 'regdictionary', 'regnamespace',
                                'regoper', 'regoperator', 'regproc', 'regprocedure')
            union all
            select * from (
                with x as (select oid from oids)
                select t.oid from pg_catalog.pg_type t, x where t.typbasetype = x.oid and t.typtype = 'd'
                union all
                select t.oid from pg_catalog.pg_type t, x where t.typelem = x.oid and t.typtype = 'b'
                union all
                select t.oid from pg_catalog.pg_type t, pg_catalog.pg_class c, pg_catalog.pg_attribute a, x
                where t.typtype = 'c' and t.oid = c.reltype and c.oid = a.attrelid and not a.attisdropped
                  and a.atttypid = x.oid
                union all
                select t.oid from pg_catalog.pg_type t, pg_catalog.pg_range r, x
                where t.typtype = 'r' and r.rngtypid = t.oid and r.rngsubtype = x.oid
            ) derived
        )
        select n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        join pg_catalog.pg_attribute a on a.attrelid = c.oid
        where not a.attisdropped and a.atttypid in (select oid from oids)
          and c.relkind in ('r', 'm', 'i')
          and n.nspname !~ '^pg_temp_' and n.nspname !~ '^pg_toast_temp_'
          and n.nspname not in ('pg_catalog', 'information_schema')
        order by 1, 2, 3
        """

    /// Schema, name and percent of range left of every sequence bounded by an int2/int4 range, through
    /// its own type or the column that owns it (serial or identity).
    static let sequencesQuery = """
        with bounded as (
            select s.schemaname, s.sequencename, s.increment_by,
                   coalesce(s.last_value, s.start_value)::numeric as at,
                   greatest(s.min_value, case t.typname when 'int2' then -32768 when 'int4' then -2147483648
                                                        else s.min_value end)::numeric as low,
                   least(s.max_value, case t.typname when 'int2' then 32767 when 'int4' then 2147483647
                                                     else s.max_value end)::numeric as high
            from pg_sequences s
            join pg_class c on c.relname = s.sequencename
            join pg_namespace n on n.oid = c.relnamespace and n.nspname = s.schemaname
            left join pg_depend d on d.classid = 'pg_class'::regclass and d.objid = c.oid
                 and d.refclassid = 'pg_class'::regclass and d.refobjsubid > 0 and d.deptype in ('a', 'i')
            left join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
            left join pg_type t on t.oid = a.atttypid
            where t.typname in ('int2', 'int4') or s.data_type in ('smallint'::regtype, 'integer'::regtype)
        )
        select schemaname, sequencename,
               round(100 * case when increment_by > 0 then high - at else at - low end / nullif(high - low, 0), 2)
        from bounded order by 1, 2
        """
}

private extension Double {
    /// `10` for 10.0, `2.5` for 2.5.
    var formatted: String { self == rounded() ? String(Int(self)) : String(self) }
}
