/// Where a client program (vacuumdb, pg_dump, pg_basebackup, …) connects; passwords go through PGPASSWORD or .pgpass, never argv.
public struct ConnectionTarget: Sendable, Equatable {
    /// A host name, address, or absolute socket directory.
    public var host: String
    /// The port.
    public var port: Int
    /// The user; nil for the OS user's name.
    public var user: String?
    /// The database; nil where the program picks one.
    public var database: String?

    /// Names a server.
    public init(host: String, port: Int, user: String? = nil, database: String? = nil) {
        self.host = host
        self.port = port
        self.user = user
        self.database = database
    }

    /// `-h HOST -p PORT [-U USER]`.
    public var clientArguments: [String] {
        ["-h", host, "-p", String(port)] + (user.map { ["-U", $0] } ?? [])
    }
}
