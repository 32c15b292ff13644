import Testing
import UpshiftPostgres
import UpshiftTestSupport

private struct ProducerFailed: Error {}

@Suite struct CopyTests {
    @Test func copyOutStreamsRowsAndCopyInLoadsThemIntoAnotherVersion() throws {
        var chunks: [[UInt8]] = []
        let bytes = try withTestCluster("15") { old in
            let db = try old.connect()
            try db.execute("CREATE TABLE t AS SELECT g AS id, 'row ' || g AS label FROM generate_series(1, 1000) g")
            return try db.copyOut("COPY t TO STDOUT") { chunks.append(Array($0)) }
        }
        #expect(chunks.count == 1000, "one chunk per row: nothing is buffered whole")
        #expect(chunks.first == Array("1\trow 1\n".utf8))
        #expect(bytes == chunks.reduce(0) { $0 + $1.count })
        try withTestCluster("18") { new in
            let db = try new.connect()
            try db.execute("CREATE TABLE t (id int, label text)")
            var iterator = chunks.makeIterator()
            let rows = try db.copyIn("COPY t FROM STDIN") { iterator.next() }
            #expect(rows == 1000)
            #expect(try db.query("SELECT count(*), sum(id), max(label) FROM t").rows == [["1000", "500500", "row 999"]])
        }
    }

    @Test func failuresOnEitherSideLeaveNothingAndTheConnectionUsable() throws {
        try withTestCluster("17") { cluster in
            let db = try cluster.connect()
            try db.execute("CREATE TABLE t (id int)")
            var sent = 0
            #expect(throws: ProducerFailed.self) {
                try db.copyIn("COPY t FROM STDIN") {
                    sent += 1
                    if sent > 2 { throw ProducerFailed() }
                    return Array("\(sent)\n".utf8)
                }
            }
            #expect(try db.query("SELECT count(*) FROM t").rows == [["0"]])
            let bad = #expect(throws: PostgresError.self) {
                var rows = [Array("1\n".utf8), Array("x\n".utf8)].makeIterator()
                _ = try db.copyIn("COPY t FROM STDIN") { rows.next() }
            }
            #expect(bad?.sqlState == "22P02")
            #expect(try db.query("SELECT count(*) FROM t").rows == [["0"]])
            var seen = 0
            #expect(throws: ProducerFailed.self) {
                _ = try db.copyOut("COPY (SELECT generate_series(1, 100000)) TO STDOUT") { _ in
                    seen += 1
                    if seen == 10 { throw ProducerFailed() }
                }
            }
            #expect(try db.query("SELECT 42").rows == [["42"]])
            #expect(throws: PostgresError.self) { _ = try db.copyOut("SELECT 1") { _ in } }
            #expect(throws: PostgresError.self) { try db.query("COPY t TO STDOUT") }
            #expect(try db.query("SELECT 43").rows == [["43"]])
        }
    }
}
