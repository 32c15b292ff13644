import Foundation
import NIOConcurrencyHelpers
import Testing
import UpshiftWire
@testable import UpshiftAgent
import UpshiftPostgres
import UpshiftTestSupport

/// Verify's table checksums on a real server: cut into block ranges over several connections, they add
/// up to the same figures as one pass, and any changed row changes them.
struct TableChecksumsTests {
    @Test func slicedParallelChecksumsEqualOnePassAndSeeAChangedRow() throws {
        try withTestCluster("15") { cluster in
            try cluster.psql("""
                create schema upshift_probe; create table upshift_probe.ticks (id int);
                create table wide (id int primary key, label text, amount numeric);
                insert into wide select g, repeat('x', g % 50), g * 1.5 from generate_series(1, 20000) g;
                create unlogged table scratch (k int); insert into scratch values (1);
                """)
            let connect = cluster.connector
            let whole = try TableChecksums.take(connect: connect, includeUnlogged: true, probeSchema: "upshift_probe")
            let reported = NIOLockedValueBox([String]())
            let sliced = try TableChecksums.take(connect: connect, includeUnlogged: true, probeSchema: "upshift_probe", jobs: 3,
                                                 blocksPerSlice: 10) { table in reported.withLockedValue { $0.append(table) } }
            let finished = reported.withLockedValue { $0 }
            #expect(whole.tables["postgres.public.wide"]?.rows == 20000)
            #expect(sliced == whole)
            #expect(finished.sorted() == ["postgres.public.scratch", "postgres.public.wide"], "each table reported once, the probe's never")
            #expect(try TableChecksums.take(connect: connect, includeUnlogged: false, probeSchema: "upshift_probe").tables.keys.sorted()
                    == ["postgres.public.wide"])
            #expect(try TableChecksums.unloggedTables(connect: connect) == ["postgres.public.scratch"])

            try cluster.psql("update wide set label = 'changed' where id = 12345")
            let changed = try TableChecksums.take(connect: connect, includeUnlogged: true, probeSchema: "upshift_probe", jobs: 3, blocksPerSlice: 10)
            #expect(changed.tables["postgres.public.wide"]?.rows == 20000)
            #expect(changed.differences(from: whole) == ["postgres.public.wide: same 20000 rows, different content"])
        }
    }

    @Test func typesWithoutHashFunctionsAreHashedAsTextAndVerifyFollowsTheOldSidesChoice() throws {
        try withTestCluster("17") { cluster in
            try cluster.psql("""
                create table plain (id int primary key, note text);
                insert into plain select g, 'n' || g from generate_series(1, 500) g;
                create table shapes (id int primary key, at point, doc json);
                insert into shapes select g, point(g, g), json_build_object('g', g) from generate_series(1, 50) g;
                """)
            let connect = cluster.connector
            let old = try TableChecksums.take(connect: connect, includeUnlogged: true, probeSchema: "upshift_probe")
            #expect(old.tables["postgres.public.plain"]?.method == .record)
            #expect(old.tables["postgres.public.shapes"]?.method == .text)
            var reference = old
            reference.tables["postgres.public.plain"]?.method = .text
            let followed = try TableChecksums.take(connect: connect, includeUnlogged: true, probeSchema: "upshift_probe", jobs: 2,
                                                   following: reference)
            #expect(followed.tables["postgres.public.plain"]?.method == .text)
            #expect(followed.tables["postgres.public.plain"]?.hash != old.tables["postgres.public.plain"]?.hash)
            #expect(followed.tables["postgres.public.shapes"] == old.tables["postgres.public.shapes"])
            // What stop-primary reports is what verify reads: the fact survives the wire and the journals.
            let fact = try WireJSON.makeDecoder().decode(StepOutput.self, from: try WireJSON.makeEncoder().encode(StepOutput.tableChecksums(checksums: old)))
            #expect(fact.tableChecksums == old)
        }
    }
}
