import Foundation
import UpshiftPostgres
import UpshiftTestSupport

/// A blue/green pair on loopback: a PostgreSQL 15 source and an empty 17 target, both `wal_level = logical`, each
/// behind its own agent (`old1`, `new1`), configured in postgresql.conf as a DBA's servers are.
final class LogicalFleet {
    struct Server {
        var name: String
        var version: String
        var port: Int
        var pgdata: String
        var agent: AgentProcess
    }

    let scratch: ScratchDir
    let socketDirectory: String
    let tlsDirectory: String
    var source: Server!
    var target: Server!
    /// The database the plans replicate.
    let database = "shop"

    init(from: String = "15", to: String = "17", prefix: String) throws {
        scratch = try ScratchDir(prefix: prefix)
        socketDirectory = try scratch.subdirectory("s")
        tlsDirectory = scratch.path + "/tls"
        let certs = try Executables.runUpshift(["certs", "init", tlsDirectory, "--agent", "old1=127.0.0.1", "--agent", "new1=127.0.0.1"])
        guard certs.status == 0 else { throw AgentError("certs init: \(certs.stderr)") }
        source = try makeServer("old1", version: from)
        target = try makeServer("new1", version: to)
    }

    private func makeServer(_ name: String, version: String) throws -> Server {
        let bindir = try TestPostgres.bindir(version)
        _ = try runAsPostgres(["/bin/mkdir", "-p", "\(scratch.path)/\(name)"])
        let pgdata = "\(scratch.path)/\(name)/\(version)"
        let port = try freePort()
        try runAsPostgres([bindir + "/initdb", "-D", pgdata, "-U", "postgres", "--encoding", "UTF8", "--locale", "C.UTF-8",
                           "--auth", "trust", "--no-sync"] + (version == "18" ? ["--no-data-checksums"] : [])).requireSuccess()
        let settings = ["port = \(port)", "listen_addresses = '127.0.0.1'", "unix_socket_directories = '\(socketDirectory)'",
                        "wal_level = logical", "max_wal_senders = 10", "max_replication_slots = 10", "fsync = off",
                        "max_prepared_transactions = 5"]
        try append(settings.joined(separator: "\n") + "\n", to: pgdata + "/postgresql.conf")
        try append("host replication postgres 127.0.0.1/32 trust\n", to: pgdata + "/pg_hba.conf")
        try runAsPostgres([bindir + "/pg_ctl", "-D", pgdata, "-l", "\(scratch.path)/\(name)/\(version).log", "-w", "start"]).requireSuccess()
        let agentTLS = "\(scratch.path)/\(name)/tls"
        try FileManager.default.copyItem(atPath: "\(tlsDirectory)/agents/\(name)", toPath: agentTLS)
        if getuid() == 0 { _ = try ProgramRunner.run("/bin/chown", ["-R", "postgres:postgres", agentTLS]) }
        let agent = try AgentProcess(name: name, tlsDirectory: agentTLS, scratch: scratch)
        return Server(name: name, version: version, port: port, pgdata: pgdata, agent: agent)
    }

    private func append(_ text: String, to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data(text.utf8))
    }

    /// A connection to one side; `database` defaults to the replicated one.
    func connect(_ server: Server, database: String? = nil) throws -> PostgresConnection {
        try PostgresConnection(conninfo: "host=\(socketDirectory) port=\(server.port) user=postgres dbname=\(database ?? self.database)")
    }

    /// One value of one query on one side.
    func value(_ server: Server, _ sql: String) throws -> String? {
        let connection = try connect(server)
        defer { connection.close() }
        return try connection.query(sql).rows.first?.first ?? nil
    }

    /// The source's `shop`: pgbench tables, and what a blue/green move must carry: an int key referenced by a foreign
    /// key (to become bigint; a partitioned table's key references it too) with a view on it, a sequence no column owns, a table without a primary key, a large
    /// object, a column type without a hash function, and an append-only table the plan skips and a hook copies.
    func loadData() throws {
        let admin = try connect(source, database: "postgres")
        _ = try admin.simpleQuery("create database \(database)")
        admin.close()
        try runAsPostgres([try TestPostgres.bindir(source.version) + "/pgbench", "-i", "-s", "1", "-q", "-h", socketDirectory,
                           "-p", String(source.port), "-U", "postgres", database]).requireSuccess()
        let db = try connect(source)
        defer { db.close() }
        _ = try db.simpleQuery("""
            create table accounts (id serial primary key, name text not null);
            create table transfers (id bigserial primary key, account_id int not null references accounts(id), amount numeric(12,2));
            create view account_names as select id, upper(name) as name from accounts;
            create table ledger (id bigserial, account_id int not null references accounts(id), at date not null, primary key (id, at))
              partition by range (at);
            create table ledger_2026 partition of ledger for values from ('2026-01-01') to ('2027-01-01');
            create sequence invoice_numbers;
            select nextval('invoice_numbers') from generate_series(1, 40);
            create table notes (body text, written date);
            create table places (id serial primary key, at point not null);  -- point has no hash: checksummed as text
            insert into places (at) select point(g, g * 2) from generate_series(1, 50) g;
            create table audit_events (id bigserial primary key, kind text, payload jsonb);
            insert into accounts (name) select 'a' || g from generate_series(1, 500) g;
            insert into transfers (account_id, amount) select 1 + g % 500, g * 0.5 from generate_series(1, 3000) g;
            insert into ledger (account_id, at) select 1 + g % 500, date '2026-01-01' + g % 300 from generate_series(1, 1000) g;
            insert into notes select 'note ' || g, date '2026-01-01' + g from generate_series(1, 200) g;
            insert into audit_events (kind, payload) select 'k' || g % 7, jsonb_build_object('n', g) from generate_series(1, 20000) g;
            select lo_from_bytea(424242, 'a large object'::bytea);
            """)
    }

    /// How many replication slots and subscriptions each cluster has (both are cluster-wide), by server name: a run
    /// that rolled back leaves none.
    func slotsAndSubscriptions() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for server in [source!, target!] {
            let admin = try connect(server, database: "postgres")
            defer { admin.close() }
            let count = try admin.query("select (select count(*) from pg_replication_slots) + (select count(*) from pg_subscription)")
            counts[server.name] = Int(count.rows.first?.first.flatMap { $0 } ?? "") ?? -1
        }
        return counts
    }

    /// A second source database, a copy of `shop` made from it as a template (retried while a background worker
    /// still has `shop` open).
    func copyDatabase(as name: String) throws {
        let admin = try connect(source, database: "postgres")
        defer { admin.close() }
        try waitFor("\(database) to be free to copy", seconds: 30) {
            (try? admin.simpleQuery("create database \(name) template \(database)")) != nil
        }
    }

    /// The plan file; `extra` adds top-level sections (hooks, probe), `options` lines under `options:`, `databases`
    /// replaces the one replicated database.
    func writePlan(options: String = "", extra: String = "", databases: [String]? = nil) throws -> String {
        func host(_ server: Server) -> String {
            "[ { name: \(server.name), agent: 127.0.0.1:\(server.agent.port), role: primary, port: \(server.port), pgdata: \(server.pgdata) } ]"
        }
        let text = """
        version: 1
        name: e2e-logical
        strategy: logical
        postgres:
          from: { version: \(try TestPostgres.major(source.version)), bindir: \(try TestPostgres.bindir(source.version)) }
          to:   { version: \(try TestPostgres.major(target.version)), bindir: \(try TestPostgres.bindir(target.version)) }
        tls: { dir: \(tlsDirectory) }
        source:
          hosts: \(host(source))
        target:
          hosts: \(host(target))
        databases: [\((databases ?? [database]).joined(separator: ", "))]
        options:
          jobs: 2
          lag_threshold: 64kB
          sequence_margin: 1000
        \(options)
        transforms:
          - { table: public.accounts, column: id, type: bigint }
        skip: [ public.audit_events ]
        replica_identity_full: [ public.notes, public.pgbench_history ]
        \(extra)
        """
        let path = scratch.path + "/plan.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Copies a hook of the repository's `Hooks/` into the plan's folder.
    func copyRepositoryHook(_ name: String) throws {
        _ = try runAsPostgres(["/bin/mkdir", "-p", scratch.path + "/Hooks"])
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        try FileManager.default.copyItem(atPath: repository + "/Hooks/\(name)", toPath: scratch.path + "/Hooks/\(name)")
    }

    /// Writes a hook of the test's own as `Hooks/NAME`.
    func writeHook(_ name: String, _ source: String) throws {
        _ = try runAsPostgres(["/bin/mkdir", "-p", scratch.path + "/Hooks"])
        try source.write(toFile: scratch.path + "/Hooks/\(name)", atomically: true, encoding: .utf8)
    }

    func tearDown() {
        for server in [source, target].compactMap({ $0 }) {
            server.agent.stop()
            if let bindir = try? TestPostgres.bindir(server.version), FileManager.default.fileExists(atPath: server.pgdata + "/postmaster.pid") {
                _ = try? runAsPostgres([bindir + "/pg_ctl", "-D", server.pgdata, "-m", "immediate", "stop"])
            }
        }
        scratch.remove()
    }
}
