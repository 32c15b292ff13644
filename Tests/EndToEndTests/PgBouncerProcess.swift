import Foundation
import UpshiftPostgres
import UpshiftTestSupport

/// A real PgBouncer in transaction pooling mode in front of one server, run as `postgres`, with its admin
/// console open to user `postgres`.
final class PgBouncerProcess {
    let port: Int
    let directory: String

    /// The database clients use through it (and the server's database of that name).
    let database: String

    /// The configuration file (a REPOINT hook rewrites its [databases] line).
    var iniPath: String { directory + "/pgbouncer.ini" }

    init(scratch: ScratchDir, serverPort: Int, database: String = "postgres") throws {
        self.database = database
        directory = scratch.path + "/pgbouncer"
        port = try freePort()
        _ = try runAsPostgres(["/bin/mkdir", "-p", directory])
        try "\"postgres\" \"\"\n".write(toFile: directory + "/userlist.txt", atomically: true, encoding: .utf8)
        let config = """
            [databases]
            \(database) = host=127.0.0.1 port=\(serverPort) dbname=\(database)
            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = \(port)
            unix_socket_dir =
            auth_type = trust
            auth_file = \(directory)/userlist.txt
            admin_users = postgres
            pool_mode = transaction
            server_login_retry = 1
            query_wait_timeout = 300
            logfile = \(directory)/pgbouncer.log
            pidfile = \(directory)/pgbouncer.pid

            """
        try config.write(toFile: directory + "/pgbouncer.ini", atomically: true, encoding: .utf8)
        try runAsPostgres(["/usr/sbin/pgbouncer", "-d", directory + "/pgbouncer.ini"]).requireSuccess()
        try waitFor("PgBouncer to listen on \(port)") {
            guard let admin = try? PostgresConnection(conninfo: adminConninfo) else { return false }
            admin.close()
            return true
        }
    }

    /// The admin console.
    var adminConninfo: String { "host=127.0.0.1 port=\(port) dbname=pgbouncer user=postgres" }

    /// What applications connect to.
    var conninfo: String { "host=127.0.0.1 port=\(port) dbname=\(database) user=postgres" }

    /// Plan text that probes writes through this PgBouncer and pauses it across the write window with
    /// `Hooks/pgbouncer.lua` (copied into `scratch`), resuming it after `verify` and after a rollback.
    func planSections(scratch: ScratchDir) throws -> String {
        _ = try runAsPostgres(["/bin/mkdir", "-p", scratch.path + "/Hooks"])
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        try FileManager.default.copyItem(atPath: repository + "/Hooks/pgbouncer.lua", toPath: scratch.path + "/Hooks/pgbouncer.lua")
        return """
            probe:
              write: "\(conninfo)"
            hooks:
              - at: before:stop-primary
                run: Hooks/pgbouncer.lua
                on: primary
                with: { admin: "\(adminConninfo)", action: PAUSE }
              - at: after:verify
                run: Hooks/pgbouncer.lua
                on: primary
                with: { admin: "\(adminConninfo)", action: RESUME }
              - at: after:rollback
                run: Hooks/pgbouncer.lua
                on: primary
                with: { admin: "\(adminConninfo)", action: RESUME }
            """
    }

    func stop() {
        guard let text = try? String(contentsOfFile: directory + "/pgbouncer.pid", encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return }
        kill(pid, SIGTERM)
    }
}
