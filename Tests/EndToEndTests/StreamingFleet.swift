import Foundation
import UpshiftPostgres
import UpshiftTestSupport

/// A primary with streaming standbys on loopback, configured the way a DBA's fleet is (settings in
/// postgresql.conf, not on a command line), each host behind its own agent: `scratch/NAME/OLD` old data,
/// `scratch/NAME/NEW` where the upgrade puts the new cluster.
final class StreamingFleet {
    struct Host {
        var name: String
        var port: Int
        var pgdata: String
        var newPgdata: String
        var keepOld: Bool
        var agent: AgentProcess
    }

    let scratch: ScratchDir
    let from: String
    let to: String
    let socketDirectory: String
    let tlsDirectory: String
    var hosts: [Host] = []
    /// Agent ports the plan names instead of the agents' own (a relay in between), by host name.
    var relayedAgentPorts: [String: Int] = [:]

    var primary: Host { hosts[0] }

    /// `standbys` names the standbys; those in `keepOld` stay on the old version as the rollback target.
    /// A fleet given `sharedTLS` adds its agents to that certificate folder (a rehearsal fleet beside a real one).
    /// With `slots`, each standby streams through a physical slot `slot_NAME` on the primary (`primary_slot_name`).
    init(from: String = "15", to: String = "17", primary: String = "db1", standbys: [String] = ["db2"], keepOld: Set<String> = [],
         prefix: String, sharedTLS: String? = nil, relocatedWAL: Bool = false, slots: Bool = false, walLevel: String = "replica") throws {
        self.from = from
        self.to = to
        scratch = try ScratchDir(prefix: prefix)
        socketDirectory = try scratch.subdirectory("s")
        tlsDirectory = sharedTLS ?? scratch.path + "/tls"
        let names = [primary] + standbys
        let certs = try Executables.runUpshift(["certs", "init", tlsDirectory] + names.flatMap { ["--agent", "\($0)=127.0.0.1"] })
        guard certs.status == 0 else { throw AgentError("certs init: \(certs.stderr)") }
        let old = try TestPostgres.bindir(from)
        for (index, name) in names.enumerated() {
            _ = try runAsPostgres(["/bin/mkdir", "-p", "\(scratch.path)/\(name)"])
            let pgdata = "\(scratch.path)/\(name)/\(from)"
            let port = try freePort()
            if index == 0 {
                try runAsPostgres([old + "/initdb", "-D", pgdata, "-U", "postgres", "--encoding", "UTF8", "--locale", "C.UTF-8",
                                   "--auth", "trust", "--no-sync"] + (relocatedWAL ? ["--waldir", "\(scratch.path)/\(name)/wal"] : [])).requireSuccess()
                try appendConfig(pgdata, port: port, extra: ["wal_level = \(walLevel)", "max_wal_senders = 10", "fsync = off",
                                                              "max_prepared_transactions = 5"])
                try appendText("host replication postgres 127.0.0.1/32 trust\n", to: pgdata + "/pg_hba.conf")
            } else {
                try runAsPostgres([old + "/pg_basebackup", "-h", "127.0.0.1", "-p", String(hosts[0].port), "-U", "postgres",
                                   "-D", pgdata, "-R", "-X", "stream", "-c", "fast"]
                                  + (slots ? ["--create-slot", "--slot", "slot_\(name)"] : [])
                                  + (relocatedWAL ? ["--waldir", "\(scratch.path)/\(name)/wal"] : [])).requireSuccess()
                try appendConfig(pgdata, port: port, extra: [])
            }
            try runAsPostgres([old + "/pg_ctl", "-D", pgdata, "-l", "\(scratch.path)/\(name)/\(from).log", "-w", "start"]).requireSuccess()
            let agentTLS = "\(scratch.path)/\(name)/tls"
            try FileManager.default.copyItem(atPath: "\(tlsDirectory)/agents/\(name)", toPath: agentTLS)
            if getuid() == 0 { _ = try ProgramRunner.run("/bin/chown", ["-R", "postgres:postgres", agentTLS]) }
            let agent = try AgentProcess(name: name, tlsDirectory: agentTLS, scratch: scratch)
            hosts.append(Host(name: name, port: port, pgdata: pgdata, newPgdata: "\(scratch.path)/\(name)/\(to)",
                              keepOld: keepOld.contains(name), agent: agent))
        }
    }

    private func appendConfig(_ pgdata: String, port: Int, extra: [String]) throws {
        let lines = ["port = \(port)", "listen_addresses = '127.0.0.1'", "unix_socket_directories = '\(socketDirectory)'"] + extra
        try appendText(lines.joined(separator: "\n") + "\n", to: pgdata + "/postgresql.conf")
    }

    private func appendText(_ text: String, to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data(text.utf8))
    }

    /// A connection to a host's server on its port, whichever version runs there.
    func connect(_ host: Host, database: String = "postgres") throws -> PostgresConnection {
        try PostgresConnection(conninfo: "host=\(socketDirectory) port=\(host.port) user=postgres dbname=\(database)")
    }

    /// The rows of one query on a host, over a connection of its own.
    func query(_ host: Host, _ sql: String) throws -> [[String?]] {
        let connection = try connect(host)
        defer { connection.close() }
        return try connection.query(sql).rows
    }

    /// Loads pgbench tables and a small schema with the features an upgrade must carry.
    func loadData(scale: Int = 1) throws {
        let old = try TestPostgres.bindir(from)
        try runAsPostgres([old + "/pgbench", "-i", "-s", String(scale), "-q", "-h", socketDirectory, "-p", String(primary.port),
                           "-U", "postgres", "postgres"]).requireSuccess()
        let db = try connect(primary)
        defer { db.close() }
        // The 16 build (a PyPI wheel) has no contrib modules: its customers keep their attributes as text.
        let sharedir = try ProgramRunner.run(old + "/pg_config", ["--sharedir"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let hstore = FileManager.default.fileExists(atPath: sharedir + "/extension/hstore.control")
        _ = try db.simpleQuery("""
            \(hstore ? "create extension hstore;" : "create domain hstore as text; create function hstore(text, text) returns hstore language sql as $$ select ($1 || '=>' || $2)::hstore $$;")
            create table customers (id bigserial primary key, name text not null, attrs hstore);
            create table orders (id serial primary key, customer_id bigint not null references customers(id),
                                 placed date not null, total numeric(12,2)) ;
            create table events (id bigint generated always as identity, at date not null, payload jsonb) partition by range (at);
            create table events_2026 partition of events for values from ('2026-01-01') to ('2027-01-01');
            create unlogged table scratchpad (k text primary key, v text);
            insert into customers (name, attrs) select 'c' || g, hstore('tier', (g % 3)::text) from generate_series(1, 300) g;
            insert into orders (customer_id, placed, total) select 1 + g % 300, date '2026-01-01' + g % 200, g * 1.25 from generate_series(1, 2000) g;
            insert into events (at, payload) select date '2026-03-01' + g % 100, jsonb_build_object('n', g) from generate_series(1, 500) g;
            insert into scratchpad select 'k' || g, 'v' from generate_series(1, 50) g;
            create materialized view order_totals as select customer_id, sum(total) as total from orders group by 1;
            select lo_from_bytea(0, 'a large object'::bytea);
            """)
    }

    /// The fleet's hosts as plan YAML list items, indented by `indent` spaces.
    func hostsYAML(indent: Int = 2) -> String {
        let pad = String(repeating: " ", count: indent)
        return hosts.enumerated().map { index, host in
            var lines = [
                "- name: \(host.name)", "  agent: 127.0.0.1:\(relayedAgentPorts[host.name] ?? host.agent.port)", "  role: \(index == 0 ? "primary" : "standby")",
                "  port: \(host.port)", "  pgdata: \(host.pgdata)",
            ]
            lines.append(host.keepOld ? "  keep_old: true" : "  new_pgdata: \(host.newPgdata)")
            return lines.map { pad + $0 }.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// Writes a hook the plan can name as `Hooks/NAME`.
    func writeHook(_ name: String, _ source: String) throws {
        _ = try runAsPostgres(["/bin/mkdir", "-p", scratch.path + "/Hooks"])
        try source.write(toFile: scratch.path + "/Hooks/\(name)", atomically: true, encoding: .utf8)
    }

    /// The plan file for this fleet, written into the scratch folder.
    func writePlan(name: String = "e2e-inplace", transfer: String = "link", options: String = "", extra: String = "") throws -> String {
        let hostLines = hostsYAML()
        let text = """
        version: 1
        name: \(name)
        strategy: inplace
        postgres:
          from: { version: \(try TestPostgres.major(from)), bindir: \(try TestPostgres.bindir(from)) }
          to:   { version: \(try TestPostgres.major(to)), bindir: \(try TestPostgres.bindir(to)) }
        tls: { dir: \(tlsDirectory) }
        hosts:
        \(hostLines)
        options:
          transfer: \(transfer)
          jobs: 2
        \(options)
        \(extra)
        """
        let path = scratch.path + "/plan.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func tearDown() {
        hosts.forEach { $0.agent.stop() }
        for host in hosts {
            for (bindir, pgdata) in [(try? TestPostgres.bindir(from), host.pgdata), (try? TestPostgres.bindir(to), host.newPgdata)] {
                guard let bindir, FileManager.default.fileExists(atPath: pgdata + "/postmaster.pid") else { continue }
                _ = try? runAsPostgres([bindir + "/pg_ctl", "-D", pgdata, "-m", "immediate", "stop"])
            }
        }
        scratch.remove()
    }
}
