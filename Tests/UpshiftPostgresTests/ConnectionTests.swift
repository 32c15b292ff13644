import Testing
import UpshiftPostgres
import UpshiftTestSupport

@Suite struct ConnectionTests {
    @Test func bindsValuesAndNullsAndReturnsTypedRows() throws {
        try withTestCluster("17") { cluster in
            let db = try cluster.connect()
            try db.execute("CREATE TABLE people (id int PRIMARY KEY, name text); CREATE TABLE other (x int)")
            let hostile = "O'Brien'); DROP TABLE people; --"
            let insert = try db.query("INSERT INTO people VALUES ($1, $2), ($3, $4)", ["1", hostile, "2", nil])
            #expect(insert.commandTag == "INSERT 0 2")
            #expect(insert.rowsAffected == 2)
            let rows = try db.query("SELECT id, name FROM people WHERE id >= $1 ORDER BY id", ["1"])
            #expect(rows.columns == ["id", "name"])
            #expect(rows.typeOIDs == [23, 25])
            #expect(rows.rows == [["1", hostile], ["2", nil]])
            #expect(rows.commandTag == "SELECT 2" && rows.rowsAffected == 2)
            #expect(rows.value(1, "name") == nil && rows.value(0, "id") == "1")
            let created = try db.query("CREATE TABLE t2 (x int)")
            #expect(created.rowsAffected == nil && created.commandTag == "CREATE TABLE")
            #expect(try db.simpleQuery("SELECT 1; SELECT 'last' AS v").rows == [["last"]])
        }
    }

    @Test func serverErrorsCarryTheirFieldsAndWhere() throws {
        try withTestCluster("17") { cluster in
            let db = try cluster.connect()
            try db.execute("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)")
            let duplicate = #expect(throws: PostgresError.self) { try db.query("INSERT INTO t VALUES ($1)", ["1"]) }
            #expect(duplicate?.sqlState == "23505")
            #expect(duplicate?.detail == "Key (id)=(1) already exists.")
            #expect(duplicate?.description.hasPrefix("23505: duplicate key value violates unique constraint") == true)
            #expect(duplicate?.context?.contains("port=\(cluster.port)") == true)
            let raised = #expect(throws: PostgresError.self) {
                try db.execute("DO $$ BEGIN RAISE EXCEPTION 'boom' USING HINT = 'try again'; END $$")
            }
            #expect(raised?.message == "boom" && raised?.hint == "try again" && raised?.sqlState == "P0001")
            #expect(raised?.serverContext?.contains("PL/pgSQL") == true)
            #expect(raised?.description.contains("HINT: try again") == true)
            // The connection is still usable after errors.
            #expect(try db.query("SELECT count(*) FROM t").rows == [["1"]])
        }
    }

    @Test func connectionFailureNamesWhereButNotThePassword() throws {
        let dir = try ScratchDir(prefix: "up-nc")
        defer { dir.remove() }
        let error = #expect(throws: PostgresError.self) {
            try PostgresConnection(conninfo: "host=\(dir.path) port=1 user=alice password=s3cret dbname=shop")
        }
        #expect(error?.sqlState == nil)
        #expect(error?.context == "host=\(dir.path) port=1 dbname=shop user=alice")
        #expect(error?.description.contains("s3cret") == false)
        #expect(error?.description.contains(".s.PGSQL.1") == true, "libpq's reason is kept")
        #expect(throws: PostgresError.self) { try PostgresConnection(conninfo: "nonsense_keyword=1") }
    }

    @Test func quotedIdentifiersSurviveOddNames() throws {
        try withTestCluster("17") { cluster in
            let db = try cluster.connect()
            let name = #"we"ird Name; x"#
            #expect(PostgresConnection.quoteIdentifier(name) == #""we""ird Name; x""#)
            try db.execute("CREATE TABLE \(PostgresConnection.quoteIdentifier(name)) (v int)")
            let found = try db.query("SELECT relname FROM pg_class WHERE relname = $1", [name])
            #expect(found.rows == [[name]])
        }
    }

    @Test func versionEncodingNoticesAndClose() throws {
        try withTestCluster("15") { cluster in
            let db = try cluster.connect()
            #expect(db.serverVersionNumber == 150018)
            #expect(try db.query("SHOW client_encoding").rows == [["UTF8"]])
            #expect(try db.query("SELECT current_setting('application_name')").rows == [["upshift"]])
            let latin = try PostgresConnection(conninfo: cluster.conninfo + " client_encoding=LATIN1 application_name=me")
            #expect(try latin.query("SHOW client_encoding").rows == [["LATIN1"]])
            #expect(try latin.query("SHOW application_name").rows == [["me"]])
            var notices: [String] = []
            db.noticeHandler = { notices.append($0) }
            try db.execute("DO $$ BEGIN RAISE NOTICE 'hello %', 42; END $$")
            #expect(notices.count == 1 && notices.first?.contains("hello 42") == true)
            db.close()
            #expect(!db.isOpen)
            #expect(throws: PostgresError.self) { try db.query("SELECT 1") }
        }
    }

    @Test func replicationConnectionIdentifiesTheSystem() throws {
        try withTestCluster("18") { cluster in
            let logical = try PostgresConnection(conninfo: cluster.conninfo + " replication=database")
            let identity = try logical.identifySystem()
            #expect(identity.database == "postgres")
            #expect(identity.timeline == 1)
            #expect(identity.walPosition.contains("/"))
            let physical = try PostgresConnection(conninfo: cluster.conninfo + " replication=true")
            #expect(try physical.identifySystem().database == nil)
            let control = try ControlData.read(cluster.binaries, pgdata: cluster.pgdata, launcher: postgresLauncher)
            #expect(identity.systemIdentifier == control.systemIdentifier)
            #expect(control.clusterState == "in production")
        }
    }
}
