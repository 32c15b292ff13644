import Foundation
import UpshiftPostgres

/// How to reach a cluster running on this host, read from its `postmaster.pid`.
public struct LocalCluster: Sendable, Equatable {
    /// The data directory.
    public var pgdata: String
    /// The postmaster's pid.
    public var pid: Int32
    /// The port it listens on.
    public var port: Int
    /// Its first unix socket directory, if it has one.
    public var socketDirectory: String?
    /// Its first listen address, if any.
    public var listenAddress: String?

    /// Reads `PGDATA/postmaster.pid`; throws when the cluster is not running.
    public static func running(pgdata: String) throws -> LocalCluster {
        let pidFile = pgdata + "/postmaster.pid"
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8) else {
            throw AgentError("no server is running on \(pgdata) (no postmaster.pid)")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 6, let pid = Int32(lines[0]), let port = Int(lines[3]) else {
            throw AgentError("\(pidFile) is not in the format PostgreSQL writes")
        }
        guard kill(pid, 0) == 0 || errno == EPERM else {
            throw AgentError("no server is running on \(pgdata) (stale postmaster.pid, pid \(pid))")
        }
        let socket = lines[4].trimmingCharacters(in: .whitespaces)
        let listen = lines[5].trimmingCharacters(in: .whitespaces)
        return LocalCluster(pgdata: pgdata, pid: pid, port: port,
                            socketDirectory: socket.isEmpty ? nil : socket,
                            listenAddress: listen.isEmpty || listen == "*" ? nil : listen)
    }

    /// A libpq conninfo for `database` on this cluster, by socket when it has one.
    public func conninfo(database: String) -> String {
        let host = socketDirectory ?? listenAddress ?? "127.0.0.1"
        return Conninfo.make(["host": host, "port": String(port), "dbname": database, "application_name": "upshift-agent"])
    }
}
