import Foundation
import NIOConcurrencyHelpers
import Testing
@testable import UpshiftAgent
import UpshiftLua
import UpshiftPlan
import UpshiftPostgres
import UpshiftTestSupport
import UpshiftWire

/// `upshift.copy_table` between a real 15 source and a real 17 target: what arrives is exactly what the source holds
/// (at the snapshot, under the predicate), however it is split, and a failed or interrupted copy finishes on a re-run
/// with every row exactly once.
@Suite struct TableCopyTests {
    @Test func parallelCtidCopyArrivesWholeInBinaryAndARerunCopiesNothing() throws {
        try withSourceAndTarget { source, target in
            let columns = """
                id int primary key, label text, amount numeric, at timestamptz, data bytea, doc jsonb, tags int[],
                total numeric generated always as (amount * 2) stored
                """
            try source.psql("""
                create table wide (\(columns), dropped int);
                insert into wide (id, label, amount, at, data, doc, tags, dropped) select g, case when g % 7 = 0 then null else 'row ' || g || E'\\ttab\\nnewline\\\\backslash' end,
                  case when g % 11 = 0 then null else g * 1.5 end, timestamptz '2024-01-01 UTC' + g * interval '1 minute',
                  decode(md5(g::text), 'hex'), jsonb_build_object('g', g), array[g, null, g + 1], g
                from generate_series(1, 40000) g;
                alter table wide drop column dropped; analyze wide
                """)
            try target.psql("create table wide (\(columns))")
            var reports: [(rows: Int64, total: Int64?)] = []
            let result = try TableCopy.run(spec(source, target, "public.wide", parallel: 4), control: ProgramControl()) { rows, _, total in
                reports.append((rows, total))
            }
            #expect(result.rows == 40000 && result.ranges == 4 && result.rangesAlreadyDone == 0 && result.binary)
            #expect(try digest(target, "wide") == digest(source, "wide"))
            #expect(reports.last?.rows == 40000, "the last report is the whole table")
            #expect(abs((reports.last?.total ?? 0) - 40000) < 1000, "the total is the source's estimate")
            #expect(try target.psql("select count(*), sum(rows) from upshift_copy.ranges where rows is not null") == "4|40000")

            let again = try TableCopy.run(spec(source, target, "public.wide", parallel: 4), control: ProgramControl()) { _, _, _ in }
            #expect(again.rows == 0 && again.ranges == 4 && again.rangesAlreadyDone == 4)
            #expect(try target.psql("select count(*) from wide") == "40000")
        }
    }

    @Test func columnSplitsKeepTheRowsWhoseSplitColumnIsNull() throws {
        try withSourceAndTarget { source, target in
            let tables = """
                create table events (id int, k int, note text);
                create table notes (id int, label text);
                """
            try source.psql(tables + """
                insert into events select g, case when g % 10 = 0 then null else g end, 'event ' || g from generate_series(1, 30000) g;
                insert into notes select g, case when g % 9 = 0 then null else 'label ' || (g * 7919 % 30000) end from generate_series(1, 30000) g;
                """)
            try target.psql(tables)
            let byKey = try TableCopy.run(spec(source, target, "events", parallel: 4, split: .column("k")), control: ProgramControl()) { _, _, _ in }
            #expect(byKey.rows == 30000 && byKey.ranges == 4)
            #expect(try target.psql("select count(*) from events where k is null") == "3000")
            #expect(try digest(target, "events") == digest(source, "events"))
            let byLabel = try TableCopy.run(spec(source, target, "notes", parallel: 3, split: .column("label")), control: ProgramControl()) { _, _, _ in }
            #expect(byLabel.rows == 30000 && byLabel.ranges == 3, "text columns are cut at sampled quantiles")
            #expect(try digest(target, "notes") == digest(source, "notes"))
            #expect(throws: AgentError.self) {
                try TableCopy.run(spec(source, target, "notes", parallel: 2, split: .column("nope")), control: ProgramControl()) { _, _, _ in }
            }
        }
    }

    @Test func anIntColumnGoesIntoABigintColumnInTextFormat() throws {
        try withSourceAndTarget { source, target in
            try source.psql("""
                create table nums (id int, n int, s text);
                insert into nums select g, g * 3, E'tab\\there\\nline ' || g || E' back\\\\slash' from generate_series(1, 5000) g;
                insert into nums values (5001, null, null), (5002, -2147483648, E'\\\\N')
                """)
            try target.psql("create table nums (id bigint, n bigint, s text)")
            let result = try TableCopy.run(spec(source, target, "nums", parallel: 2), control: ProgramControl()) { _, _, _ in }
            #expect(result.rows == 5002 && !result.binary)
            #expect(try digest(target, "nums") == digest(source, "nums"))
        }
    }

    @Test func whereCopiesOnlyTheMatchingRowsInEveryRange() throws {
        try withSourceAndTarget { source, target in
            try source.psql("create table t (id int, v text); insert into t select g, 'v' || g from generate_series(1, 40000) g")
            try target.psql("create table t (id int, v text)")
            // An OR that would escape an unparenthesized predicate and be copied once per range.
            let result = try TableCopy.run(spec(source, target, "t", parallel: 4, predicate: "id <= 100 OR id > 39900"),
                                           control: ProgramControl()) { _, _, _ in }
            #expect(result.rows == 200 && result.ranges == 4)
            #expect(try target.psql("select count(*), count(distinct id), min(id), max(id) from t where id <= 100 or id > 39900") == "200|200|1|40000")
        }
    }

    @Test func aSnapshotCopiesTheRowsItSawAndNotTheOnesAddedSince() throws {
        try withSourceAndTarget { source, target in
            try source.psql("create table s (id int, v text); insert into s select g, 'v' || g from generate_series(1, 20000) g")
            try target.psql("create table s (id int, v text)")
            let exporter = try source.connect()
            defer { exporter.close() }
            try exporter.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            let snapshot = try #require(try exporter.query("select pg_export_snapshot()").rows.first?[0])
            try source.psql("insert into s select g, 'late' from generate_series(20001, 20500) g; delete from s where id <= 10")
            let result = try TableCopy.run(spec(source, target, "s", parallel: 3, snapshot: snapshot), control: ProgramControl()) { _, _, _ in }
            #expect(result.rows == 20000)
            #expect(try target.psql("select count(*), min(id), max(id) from s") == "20000|1|20000")
            #expect(throws: AgentError.self) {
                try TableCopy.run(spec(source, target, "s", snapshot: "x'; drop table s; --"), control: ProgramControl()) { _, _, _ in }
            }
        }
    }

    @Test func aFailedRangeIsRetriedAloneAndARerunCopiesOnlyTheRangesNotDone() throws {
        try withSourceAndTarget { source, target in
            try source.psql("""
                create table once (id int, v text); insert into once select g, 'v' || g from generate_series(1, 40000) g;
                create table thrice (id int, v text); insert into thrice select g, 'v' || g from generate_series(1, 40000) g;
                """)
            // The row id 39000 (in the last range) is refused while the sequence (not rolled back with the range) is below the limit.
            for (table, limit) in [("once", 1), ("thrice", 3)] {
                try target.psql("""
                    create table \(table) (id int, v text); create sequence \(table)_refusals;
                    create function \(table)_refuse() returns trigger language plpgsql as $$
                    begin
                      if new.id = 39000 then
                        if nextval('\(table)_refusals') <= \(limit) then raise exception 'id 39000 refused'; end if;
                      end if;
                      return new;
                    end $$;
                    create trigger refuse before insert on \(table) for each row execute function \(table)_refuse();
                    """)
            }
            let once = try TableCopy.run(spec(source, target, "once", parallel: 4), control: ProgramControl()) { _, _, _ in }
            #expect(once.rows == 40000)
            #expect(try digest(target, "once") == digest(source, "once"), "the retried range is there once")

            let failure = #expect(throws: AgentError.self) {
                try TableCopy.run(spec(source, target, "thrice", parallel: 4), control: ProgramControl()) { _, _, _ in }
            }
            let message = failure?.description ?? ""
            #expect(message.contains("public.thrice range 4 of 4 (ctid >= '") && message.contains("after 3 attempts")
                    && message.contains("the target failed: P0001: id 39000 refused"), "\(message)")
            #expect(try target.psql("select string_agg((rows is not null)::text, ',' order by range_no) from upshift_copy.ranges where table_name = 'public.thrice'")
                    == "true,true,true,false")
            let lastRange = try target.psql("select condition from upshift_copy.ranges where table_name = 'public.thrice' and range_no = 3")
            let missing = try #require(Int64(try source.psql("select count(*) from thrice where \(lastRange)")))
            #expect(try target.psql("select count(*) from thrice") == "\(40000 - missing)", "the three other ranges committed")
            let rerun = try TableCopy.run(spec(source, target, "thrice", parallel: 4), control: ProgramControl()) { _, _, _ in }
            #expect(rerun.rangesAlreadyDone == 3 && rerun.ranges == 4 && rerun.rows == missing)
            #expect(try digest(target, "thrice") == digest(source, "thrice"))
        }
    }

    @Test func twoRunsOfTheSameCopyAtOnceCopyEachRangeOnce() throws {
        try withSourceAndTarget { source, target in
            try source.psql("create table twice (id int, v text); insert into twice select g, 'v' || g from generate_series(1, 8000) g")
            try target.psql("""
                create table twice (id int, v text);
                create function dawdle() returns trigger language plpgsql as $$ begin perform pg_sleep(0.0001); return new; end $$;
                create trigger dawdle before insert on twice for each row execute function dawdle();
                """)
            let copySpec = spec(source, target, "twice", parallel: 2)
            let results = NIOLockedValueBox([Result<TableCopyResult, Error>]())
            DispatchQueue.concurrentPerform(iterations: 2) { _ in
                let result = Result { try TableCopy.run(copySpec, control: ProgramControl()) { _, _, _ in } }
                results.withLockedValue { $0.append(result) }
            }
            let copied = try results.withLockedValue { $0 }.map { try $0.get() }
            #expect(copied.map(\.rows).reduce(0, +) == 8000 && copied.map(\.rangesAlreadyDone).reduce(0, +) == 2,
                    "each range copied by one run, found done by the other: \(copied)")
            #expect(try digest(target, "twice") == digest(source, "twice"))
        }
    }

    @Test func cancellingStopsTheCopiesOnBothSidesAndLeavesNoRangeHalfCopied() throws {
        try withSourceAndTarget { source, target in
            try source.psql("create table slow (id int); insert into slow select generate_series(1, 20000)")
            try target.psql("""
                create table slow (id int);
                create function crawl() returns trigger language plpgsql as $$ begin perform pg_sleep(0.005); return new; end $$;
                create trigger crawl before insert on slow for each row execute function crawl();
                """)
            let control = ProgramControl()
            let copySpec = spec(source, target, "slow", parallel: 2)
            DispatchQueue.global().asyncAfter(deadline: .now() + 1.5) { control.cancel("rollback requested") }
            let started = ContinuousClock.now
            let stopped = #expect(throws: ProgramStopped.self) {
                try TableCopy.run(copySpec, control: control) { _, _, _ in }
            }
            #expect(stopped?.reason.contains("rollback requested") == true)
            #expect(ContinuousClock.now - started < .seconds(10), "each range alone would take 50 s")
            #expect(try target.psql("select count(*) from slow") == "0")
            #expect(try target.psql("select count(*) from upshift_copy.ranges where rows is not null") == "0")
            try eventually("no COPY left running on the source") {
                try source.psql("select count(*) from pg_stat_activity where state = 'active' and query like 'COPY%'") == "0"
            }
        }
    }

    @Test func theLuaBindingCopiesATableAndBulkCopyCopiesOnlyTheTailPastTheKey() throws {
        try withSourceAndTarget { source, target in
            try source.psql("create table items (id int primary key, v text); insert into items select g, 'v' || g from generate_series(1, 5000) g")
            try target.psql("""
                create table items (id int primary key, v text);
                create table tail (id int primary key, v text); insert into tail select g, 'v' || g from generate_series(1, 3000) g
                """)
            try source.psql("create table tail as select * from items")
            let with: JSONValue = .object(["source": .string(source.conninfo), "target": .string(target.conninfo)])
            let events = try runHook("""
                return function(ctx)
                  local r = upshift.copy_table{source = ctx.with.source, target = ctx.with.target, table = "public.items", parallel = 2}
                  upshift.log("info", string.format("rows=%d ranges=%d resumed=%d binary=%s", r.rows, r.ranges, r.resumed, tostring(r.binary)))
                end
                """, with: with, source: source)
            #expect(events.contains(.log(level: "info", message: "rows=5000 ranges=1 resumed=0 binary=true")), "\(events)")
            #expect(events.contains { if case .progress(5000, _, "rows") = $0 { true } else { false } })
            #expect(try digest(target, "items") == digest(source, "items"))

            var bulk = with
            if case .object(var fields) = bulk { fields["table"] = .string("public.tail"); fields["key"] = .string("id"); bulk = .object(fields) }
            let hook = try String(contentsOfFile: repositoryRoot() + "/Hooks/bulk_copy.lua", encoding: .utf8)
            let logged = try runHook(hook, with: bulk, source: source)
            #expect(try digest(target, "tail") == digest(source, "tail"))
            #expect(logged.contains { if case .log(_, let message) = $0 { message.contains("2000 rows") } else { false } }, "\(logged)")

            let typo = #expect(throws: LuaError.self) {
                _ = try runHook("return function(ctx) upshift.copy_table{table = 'public.items', paralel = 2} end", with: with, source: source)
            }
            #expect(typo?.description.contains("unknown argument paralel") == true, "\(String(describing: typo))")
        }
    }
}

/// A 15 source and an empty 17 target, started for `body` and stopped after it.
private func withSourceAndTarget(_ body: (TestCluster, TestCluster) throws -> Void) throws {
    try withTestCluster("15") { source in
        try withTestCluster("17") { target in try body(source, target) }
    }
}

/// A copy of `table` from `source` to `target`.
private func spec(_ source: TestCluster, _ target: TestCluster, _ table: String, parallel: Int = 1, split: TableCopySplit = .ctid,
                  predicate: String? = nil, snapshot: String? = nil) -> TableCopySpec {
    TableCopySpec(source: source.conninfo, target: target.conninfo, table: table, predicate: predicate, parallel: parallel,
                  split: split, snapshot: snapshot)
}

/// The row count and a hash of every row's text, in id order.
private func digest(_ cluster: TestCluster, _ table: String) throws -> String {
    try cluster.psql("select count(*) || ':' || coalesce(md5(string_agg(t::text, '|' order by id)), '') from \(table) t")
}

/// Runs a hook through the hook host of a plan whose primary is `source`; returns the events it emitted.
private func runHook(_ hook: String, with: JSONValue, source: TestCluster) throws -> [StepEventKind] {
    let dir = try ScratchDir(prefix: "up-hook")
    defer { dir.remove() }
    let plan = try inplacePlan(from: "15", to: "17", hosts: [primaryHost(source, in: dir)])
    let events = NIOLockedValueBox([StepEventKind]())
    let host = HookHost(plan: plan, host: plan.hosts[0], stepID: "copy", runID: "test", control: ProgramControl()) { event in
        events.withLockedValue { $0.append(event) }
    }
    try host.run(source: hook, chunkName: "Hooks/test.lua", with: with)
    return events.withLockedValue { $0 }
}

/// Waits up to 3 s for `condition` (a closed connection's backend exits a moment later).
private func eventually(_ what: String, _ condition: () throws -> Bool) throws {
    for _ in 0..<30 {
        if try condition() { return }
        Thread.sleep(forTimeInterval: 0.1)
    }
    Issue.record("after 3 s: not \(what)")
}

/// The package's root, where Hooks/ is.
private func repositoryRoot() -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
}
