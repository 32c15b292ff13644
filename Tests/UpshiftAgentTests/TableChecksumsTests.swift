import Foundation
import Testing
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
            let connect = { (database: String) in try cluster.connect(database: database) }
            let whole = try TableChecksums.take(connect: connect, includeUnlogged: true, probeSchema: "upshift_probe")
            var finished: [String] = []
            let lock = NSLock()
            let sliced = try TableChecksums.take(connect: connect, includeUnlogged: true, probeSchema: "upshift_probe", jobs: 3,
                                                 blocksPerSlice: 10) { table in lock.withLock { finished.append(table) } }
            #expect(whole.tables["postgres.public.wide"]?.rows == 20000)
            #expect(sliced == whole)
            #expect(finished.sorted() == ["postgres.public.scratch", "postgres.public.wide"], "each table reported once, the probe's never")
            #expect(try TableChecksums.take(connect: connect, includeUnlogged: false, probeSchema: "upshift_probe").tables.keys.sorted()
                    == ["postgres.public.wide"])

            try cluster.psql("update wide set label = 'changed' where id = 12345")
            let changed = try TableChecksums.take(connect: connect, includeUnlogged: true, probeSchema: "upshift_probe", jobs: 3, blocksPerSlice: 10)
            #expect(changed.tables["postgres.public.wide"]?.rows == 20000)
            #expect(changed.differences(from: whole) == ["postgres.public.wide: same 20000 rows, different content"])
        }
    }
}
