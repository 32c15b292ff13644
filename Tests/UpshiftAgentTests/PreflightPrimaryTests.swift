import Foundation
import Testing
@testable import UpshiftAgent
import UpshiftPostgres
import UpshiftTestSupport
import UpshiftWire

/// The in-place preflight of a primary, against real clusters of the installed builds.
@Suite struct PreflightPrimaryTests {
    static let primaryChecks = ["old-bindir", "new-bindir", "new-pgdata", "old-cluster-running", "disk",
                                "initdb-settings", "extensions", "shared-preload-libraries", "prepared-transactions",
                                "long-transactions", "reg-types", "sequence-headroom", "replication", "pg_upgrade-check", "schema-restore"]

    @Test func aHealthy15PrimaryPassesEveryCheckToward17And18AndIsLeftAsItWas() throws {
        let dir = try ScratchDir(prefix: "pf-ok")
        defer { dir.remove() }
        let old = try TestCluster(version: "15", in: dir, name: "old",
                                  settings: ["shared_preload_libraries": "pg_stat_statements"])
        try old.psql("""
            create extension hstore;
            create table items(id serial primary key, attrs hstore, owner regrole default current_user::regrole);
            insert into items(attrs) values ('a=>1'), ('b=>2');
            """)
        try old.psql("create database shop")
        let pid = try LocalCluster.running(pgdata: old.pgdata).pid
        let scratch = try dir.subdirectory("scratch")

        let to17 = try runPreflight(try inplacePlan(from: "15", to: "17", hosts: [primaryHost(old, in: dir)]),
                                    host: "db1", scratch: scratch)
        #expect(to17.names == Self.primaryChecks)
        #expect(to17.all.allSatisfy { $0.verdict == .pass }, "\(to17.listing)")
        #expect(to17["pg_upgrade-check"]?.detail.contains("clusters are compatible") == true)
        #expect(to17["extensions"]?.detail.contains("hstore") == true)
        #expect(to17["shared-preload-libraries"]?.detail.contains("pg_stat_statements") == true)
        #expect(to17["schema-restore"]?.detail.contains("shop") == true)
        #expect(to17["initdb-settings"]?.detail.contains("--encoding UTF8 --locale C") == true)

        // 18 turns checksums on by default: the scratch cluster must be made without them, or --check refuses it.
        var quick = PreflightLimits()
        quick.schemaRestore = false
        let to18 = try runPreflight(try inplacePlan(from: "15", to: "18", hosts: [primaryHost(old, in: dir)]),
                                    host: "db1", scratch: scratch, limits: quick)
        #expect(to18["initdb-settings"]?.detail.contains("--no-data-checksums") == true, "\(to18.listing)")
        #expect(to18["pg_upgrade-check"]?.verdict == .pass, "\(to18.listing)")
        #expect(to18["schema-restore"] == nil)

        #expect(try LocalCluster.running(pgdata: old.pgdata).pid == pid)
        #expect(try old.psql("select count(*) from items") == "2")
        #expect(try entries(scratch).isEmpty, "scratch clusters are removed")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/new"), "new_pgdata is not made by preflight")
    }

    @Test func aRegprocColumnFailsRegTypesAndTheUpgradeCheckAndTheOldClusterRunsOn() throws {
        let dir = try ScratchDir(prefix: "pf-reg")
        defer { dir.remove() }
        let old = try TestCluster(version: "15", in: dir, name: "old")
        try old.psql("""
            create table t(id int, r regproc);
            insert into t values (1, 'now');
            create table tickets(id serial);
            select setval('tickets_id_seq', 2000000000);
            """)
        let pid = try LocalCluster.running(pgdata: old.pgdata).pid
        let scratch = try dir.subdirectory("scratch")
        var limits = PreflightLimits()
        limits.schemaRestore = false

        let verdicts = try runPreflight(try inplacePlan(from: "15", to: "17", hosts: [primaryHost(old, in: dir)]),
                                        host: "db1", scratch: scratch, limits: limits)
        let regTypes = try #require(verdicts["reg-types"])
        #expect(regTypes.verdict == .fail)
        #expect(regTypes.detail.contains("postgres: public.t.r (regproc)"), "\(regTypes.detail)")
        #expect(regTypes.remedy != nil)
        let check = try #require(verdicts["pg_upgrade-check"])
        #expect(check.verdict == .fail)
        // The failing step, pg_upgrade's reason, and the lines of the file it points at.
        #expect(check.detail.contains("reg* data types in user tables"), "\(check.detail)")
        #expect(check.detail.contains("tables_using_reg.txt: In database: postgres | public.t.r"), "\(check.detail)")
        let headroom = try #require(verdicts["sequence-headroom"])
        #expect(headroom.verdict == .warn)
        #expect(headroom.detail.contains("public.tickets_id_seq 6.9% left"), "\(headroom.detail)")
        #expect(verdicts["old-cluster-running"]?.verdict == .pass)

        #expect(try LocalCluster.running(pgdata: old.pgdata).pid == pid)
        #expect(try old.psql("select id, r::text from t") == "1|now")
        #expect(try old.psql("select pg_is_in_recovery()") == "f")
        #expect(!FileManager.default.fileExists(atPath: old.pgdata + "/pg_upgrade_output.d"))
        #expect(try entries(scratch).isEmpty)
    }

    @Test func aPreparedAndAnOpenTransactionFailTheirChecks() throws {
        let dir = try ScratchDir(prefix: "pf-tx")
        defer { dir.remove() }
        let old = try TestCluster(version: "15", in: dir, name: "old", settings: ["max_prepared_transactions": "2"])
        let preparer = try old.connect()
        defer { preparer.close() }
        try preparer.execute("begin; create table pending(id int); prepare transaction 'upshift-pending'")
        let idle = try old.connect()
        defer { idle.close() }
        try idle.execute("begin; select 1")
        let idlePID = try #require(try idle.query("select pg_backend_pid()").rows.first?.first ?? nil)
        var limits = PreflightLimits()
        limits.maxTransactionAgeSeconds = 0
        limits.schemaRestore = false

        let verdicts = try runPreflight(try inplacePlan(from: "15", to: "17", hosts: [primaryHost(old, in: dir)]),
                                        host: "db1", scratch: try dir.subdirectory("scratch"), limits: limits)
        let prepared = try #require(verdicts["prepared-transactions"])
        #expect(prepared.verdict == .fail)
        #expect(prepared.detail.contains("'upshift-pending' in postgres by postgres"), "\(prepared.detail)")
        let long = try #require(verdicts["long-transactions"])
        #expect(long.verdict == .fail)
        #expect(long.detail.contains("pid \(idlePID) "), "\(long.detail)")
        let check = try #require(verdicts["pg_upgrade-check"])
        #expect(check.verdict == .fail, "pg_upgrade refuses prepared transactions too")
        #expect(check.detail.hasPrefix("Checking for prepared transactions: fatal — The source cluster contains prepared transactions"),
                "\(check.detail)")
        #expect(try old.psql("select gid from pg_prepared_xacts") == "upshift-pending")
    }
}
