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

    @Test func prepareFailsClearlyWhenTheWriteEndpointIsUnreachable() throws {
        let port = try freePort()
        let probe = AvailabilityProbe(endpoints: ProbeEndpoints(write: "host=127.0.0.1 port=\(port) dbname=postgres user=postgres connect_timeout=2",
                                                                read: "", intervalMS: 50, schema: "upshift_probe"))
        #expect(throws: PostgresError.self) { try probe.prepare() }
    }
}
