import Foundation
import Testing
@testable import UpshiftAgent
import UpshiftPostgres
import UpshiftTestSupport

/// The write fence is a default a client can undo with SET: the audit between the checksums and the
/// shutdown checkpoint catches a write that slipped through, and passes a fenced server that only read.
struct FenceAuditTests {
    @Test func aWriteThatLiftedTheFenceIsCaughtAtTheShutdownCheckpoint() throws {
        try withTestCluster("15", settings: ["autovacuum": "off", "default_transaction_read_only": "on"]) { cluster in
            let setup = try cluster.connect()
            _ = try setup.simpleQuery("begin read write; create table orders (id int); commit")
            setup.close()

            let quiet = try cluster.connect()
            let audit = try FenceAudit.begin(quiet)
            _ = try quiet.query("select count(*) from orders")
            #expect(throws: PostgresError.self, "the fence refuses a plain write") { try quiet.simpleQuery("insert into orders values (1)") }
            quiet.close()
            try cluster.stop()
            try audit.check(try ControlData.read(cluster.binaries, pgdata: cluster.pgdata))

            try cluster.start()
            let sneaky = try cluster.connect()
            let second = try FenceAudit.begin(sneaky)
            _ = try sneaky.simpleQuery("set default_transaction_read_only = off")
            _ = try sneaky.simpleQuery("insert into orders values (2)")
            sneaky.close()
            try cluster.stop()
            #expect(throws: AgentError.self) { try second.check(try ControlData.read(cluster.binaries, pgdata: cluster.pgdata)) }
        }
    }
}
