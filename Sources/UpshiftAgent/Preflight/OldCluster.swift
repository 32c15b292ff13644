import UpshiftPostgres

/// The running old cluster of this host, as the checks reach it: its postmaster.pid and the role to connect as.
struct OldCluster {
    let local: LocalCluster
    /// The role to connect as; nil for libpq's default (the OS user the agent runs as).
    let user: String?

    /// A conninfo for `database`, by the socket the postmaster advertises.
    func conninfo(database: String) -> String {
        var text = local.conninfo(database: database)
        if let user { text += " " + Conninfo.make(["user": user]) }
        return text
    }

    /// Where client programs (pg_dump, pg_dumpall) connect.
    var target: ConnectionTarget {
        ConnectionTarget(host: local.socketDirectory ?? local.listenAddress ?? "127.0.0.1", port: local.port, user: user)
    }

    /// Opens a connection to `database`, runs `body`, closes it.
    func with<T>(database: String = "postgres", _ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try PostgresConnection(conninfo: conninfo(database: database))
        defer { connection.close() }
        return try body(connection)
    }

    /// The databases that accept connections, by name (template0 does not).
    func connectableDatabases() throws -> [String] {
        try with { connection in
            try connection.query("select datname from pg_database where datallowconn order by datname")
                .rows.compactMap { $0[0] }
        }
    }

    /// Runs `query` in every connectable database and returns each database's rows.
    func queryEachDatabase(_ query: String, _ params: [String?] = []) throws -> [(database: String, rows: [[String?]])] {
        try connectableDatabases().map { database in
            (database, try with(database: database) { try $0.query(query, params).rows })
        }
    }

    /// One text value of a one-row query on the `postgres` database.
    func value(_ query: String, _ params: [String?] = []) throws -> String? {
        try with { try $0.query(query, params).rows.first?.first ?? nil }
    }
}
