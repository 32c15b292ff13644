import Foundation
import Testing
import UpshiftCoordinator
import UpshiftPostgres
@testable import UpshiftProbe
import UpshiftTestSupport

/// The probe against a real server: it times writes and reads, sees the server go away and come back,
/// and leaves nothing behind.
@Suite(.serialized) struct AvailabilityProbeTests {
    @Test func itRecordsTheOutageOfARestartAndDropsItsSchema() throws {
        try withTestCluster("15") { cluster in
        let conninfo = "host=127.0.0.1 port=\(cluster.port) dbname=postgres user=postgres"
        let endpoints = ProbeEndpoints(write: conninfo, read: conninfo, intervalMS: 20, schema: "probe_test")
        let probe = AvailabilityProbe(endpoints: endpoints)
        try probe.prepare()
        probe.start()
        Thread.sleep(forTimeInterval: 0.5)
        try cluster.stop()
        Thread.sleep(forTimeInterval: 0.3)
        try cluster.start()
        Thread.sleep(forTimeInterval: 0.5)
        let samples = probe.stop()
        try probe.cleanUp()

        let figures = DowntimeFigures(samples: samples, newMajor: 15)
        #expect(figures.writes > 10 && figures.reads > 10)
        #expect(figures.failedTransactions > 0, "the restart refused some writes")
        #expect((figures.writeMS ?? 0) > 0 && figures.writesRecovered)
        #expect(samples.filter(\.ok).allSatisfy { $0.major == 15 && $0.standby == false })
        let connection = try cluster.connect()
        defer { connection.close() }
        #expect(try connection.query("select count(*) from pg_namespace where nspname = 'probe_test'").rows == [["0"]])
        }
    }

    /// The probe owns only what it made: a schema of that name that holds an application's table is refused
    /// and left as it was, and an object someone puts into the probe's schema during the run survives it.
    @Test func itNeverWritesIntoOrDropsASchemaItDidNotMake() throws {
        try withTestCluster("15") { cluster in
        let conninfo = "host=127.0.0.1 port=\(cluster.port) dbname=postgres user=postgres"
        let connection = try cluster.connect()
        defer { connection.close() }
        _ = try connection.simpleQuery("create schema app; create table app.orders (id int primary key); insert into app.orders values (1), (2)")
        let taken = AvailabilityProbe(endpoints: ProbeEndpoints(write: conninfo, read: conninfo, intervalMS: 20, schema: "app"))
        #expect(throws: ProbeSchemaInUse.self) { try taken.prepare() }
        try taken.cleanUp()
        #expect(try connection.query("select count(*) from app.orders").rows == [["2"]])
        #expect(try connection.query("select count(*) from pg_class where relnamespace = 'app'::regnamespace").rows == [["2"]],
                "no probe table was created in it")

        let own = AvailabilityProbe(endpoints: ProbeEndpoints(write: conninfo, read: conninfo, intervalMS: 20, schema: "probe_own"))
        try own.prepare()
        try own.prepare()  // a leftover of the probe's own (an earlier run that died) is reused
        _ = try connection.simpleQuery("create table probe_own.keepsake (note text); insert into probe_own.keepsake values ('mine')")
        #expect(throws: ProbeSchemaInUse.self) { try own.prepare() }
        #expect(throws: PostgresError.self) { try own.cleanUp() }
        #expect(try connection.query("select note from probe_own.keepsake").rows == [["mine"]])
        #expect(try connection.query("select to_regclass('probe_own.ticks') is null").rows == [["t"]], "the probe's own table is gone")
        }
    }

    @Test func prepareFailsClearlyWhenTheWriteEndpointIsUnreachable() throws {
        let port = try freePort()
        let probe = AvailabilityProbe(endpoints: ProbeEndpoints(write: "host=127.0.0.1 port=\(port) dbname=postgres user=postgres connect_timeout=2",
                                                                read: "", intervalMS: 50, schema: "upshift_probe"))
        #expect(throws: PostgresError.self) { try probe.prepare() }
    }
}
