import Foundation
import UpshiftPostgres

/// A throwaway cluster: initdb + start as postgres on a free loopback port with its own socket dir.
public final class TestCluster {
    /// The build name it was made with ("15", "17", "18", "15-debian").
    public let version: String
    /// The server's port (TCP on 127.0.0.1 and the socket's name).
    public let port: Int
    /// The server's own unix socket directory.
    public let socketDir: String
    /// The data directory.
    public let pgdata: String
    /// The build's bindir.
    public let bindir: String
    /// The server log.
    public let logFile: String
    /// The build's programs.
    public let binaries: PostgresBinaries
    /// Extra `-c` settings given at every start.
    public let settings: [String: String]
    /// Whether this object started the server and has not stopped it.
    public private(set) var isRunning = false

    /// Runs initdb (UTF8, C locale, trust auth, user postgres) in `dir/name` and starts the server.
    /// `checksums` nil keeps the build's default (off before 18, on from 18).
    public init(version: String, in dir: ScratchDir, name: String, checksums: Bool? = nil,
                settings: [String: String] = [:]) throws {
        self.version = version
        bindir = try TestPostgres.bindir(version)
        binaries = PostgresBinaries(bindir: bindir)
        pgdata = "\(dir.path)/\(name)"
        socketDir = try dir.subdirectory("\(name).s")
        logFile = "\(dir.path)/\(name).log"
        port = try freePort()
        self.settings = settings
        let options = InitDBOptions(pgdata: pgdata, encoding: "UTF8", locale: "C", dataChecksums: checksums,
                                    username: "postgres", authMethod: "trust")
        try postgresLauncher.run(options.invocation(binaries, major: try TestPostgres.major(version))).requireSuccess()
        dir.beforeRemoval { [weak self] in self?.stopImmediatelyIfRunning() }
        try start()
    }

    deinit {
        stopImmediatelyIfRunning()
    }

    /// A test that failed or forgot to stop its cluster must not leave a postmaster behind.
    private func stopImmediatelyIfRunning() {
        guard isRunning else { return }
        _ = try? postgresLauncher.run(PgCtl(binaries, pgdata: pgdata).stop(mode: .immediate))
        isRunning = false
    }

    /// `host=SOCKETDIR port=P user=postgres dbname=postgres`.
    public var conninfo: String { conninfo(database: "postgres") }

    /// The conninfo for another database of this cluster.
    public func conninfo(database: String) -> String {
        Self.conninfo(socketDir: socketDir, port: port, database: database)
    }

    private static func conninfo(socketDir: String, port: Int, database: String) -> String {
        "host=\(socketDir) port=\(port) user=postgres dbname=\(database)"
    }

    /// Where client programs connect (the socket directory).
    public var target: ConnectionTarget {
        ConnectionTarget(host: socketDir, port: port, user: "postgres", database: "postgres")
    }

    /// The arguments every start passes to postgres.
    public var serverOptions: [String] {
        var options = ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=\(socketDir)",
                       "-c", "port=\(port)", "-c", "fsync=off"]
        for (key, value) in settings.sorted(by: { $0.key < $1.key }) { options += ["-c", "\(key)=\(value)"] }
        return options
    }

    /// Opens a libpq connection over the socket.
    public func connect(database: String = "postgres") throws -> PostgresConnection {
        try PostgresConnection(conninfo: conninfo(database: database))
    }

    /// Opens a connection to a database of this cluster by name, from any thread.
    public var connector: @Sendable (String) throws -> PostgresConnection {
        let (socketDir, port) = (socketDir, port)
        return { database in try PostgresConnection(conninfo: Self.conninfo(socketDir: socketDir, port: port, database: database)) }
    }

    /// Runs SQL (several statements allowed) and returns the last result as `psql -XAt` prints it:
    /// one row a line, columns separated by `|`, NULL as empty.
    @discardableResult
    public func psql(_ sql: String) throws -> String {
        let connection = try connect()
        defer { connection.close() }
        let result = try connection.simpleQuery(sql)
        return result.rows.map { row in row.map { $0 ?? "" }.joined(separator: "|") }.joined(separator: "\n")
    }

    /// Starts the server (pg_ctl start -w) with `serverOptions`; the error carries the log's last lines.
    public func start() throws {
        let result = try postgresLauncher.run(
            PgCtl(binaries, pgdata: pgdata).start(logFile: logFile, serverOptions: serverOptions))
        guard result.succeeded else {
            let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
            let tail = log.split(separator: "\n").suffix(5).joined(separator: " | ")
            throw TestSetupError("cluster \(pgdata) did not start: \(ProgramError(result: result)); log: \(tail)")
        }
        isRunning = true
    }

    /// Stops the server (fast mode, waits).
    public func stop() throws {
        try postgresLauncher.run(PgCtl(binaries, pgdata: pgdata).stop(mode: .fast)).requireSuccess()
        isRunning = false
    }
}

/// Runs `body` with a fresh started cluster in its own scratch directory; stops and deletes both afterwards.
public func withTestCluster<T>(_ version: String, checksums: Bool? = nil, settings: [String: String] = [:],
                               _ body: (TestCluster) throws -> T) throws -> T {
    let dir = try ScratchDir(prefix: "up-\(version)")
    defer { dir.remove() }
    let cluster = try TestCluster(version: version, in: dir, name: "db", checksums: checksums, settings: settings)
    defer { if cluster.isRunning { try? cluster.stop() } }
    return try body(cluster)
}
