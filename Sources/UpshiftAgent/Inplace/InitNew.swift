import Foundation
import UpshiftPostgres

/// `init-new`: initdb the new cluster with the old one's settings, then carry over the configuration the
/// old cluster runs with (port, addresses, replication, memory…) and its pg_hba/pg_ident rules.
struct InitNew {
    let context: InplaceContext

    /// Server settings never carried: they name the old cluster's own files or are set by initdb.
    static let notCarried: Set<String> = [
        "data_directory", "config_file", "hba_file", "ident_file", "external_pid_file", "lc_messages",
        "lc_monetary", "lc_numeric", "lc_time", "default_text_search_config", "log_timezone", "timezone",
        "include", "include_dir", "include_if_exists", "transaction_read_only", "default_transaction_read_only",
    ]

    func run() throws {
        let newPgdata = try context.newPgdata
        if let contents = try? FileManager.default.contentsOfDirectory(atPath: newPgdata), !contents.isEmpty {
            throw AgentError("\(newPgdata) already exists and is not empty: move it away (a new cluster is made there)")
        }
        let old = try context.connectOld()
        defer { old.close() }
        let settings = try ClusterSettings.read(OldCluster(local: LocalCluster.running(pgdata: context.host.pgdata), user: nil))
        let carried = try carriedSettings(old)
        let hbaFile = try old.query("show hba_file").rows.first?.first ?? nil
        let identFile = try old.query("show ident_file").rows.first?.first ?? nil

        let major = try context.versions.to.version
        let options = settings.initDBOptions(pgdata: newPgdata, newMajor: major)
        context.log("initdb \(options.arguments(major: major).joined(separator: " "))")
        try context.run(options.invocation(try context.newBinaries, major: major))
        try context.markAsOurs(newPgdata)

        let known = try knownParameters()
        var lines = ["", "# Carried over from the PostgreSQL \(try context.versions.from.version) cluster by upshift (run \(context.request.runID))"]
        var skipped: [String] = []
        for (name, value) in carried {
            if known.contains(name) {
                lines.append("\(name) = '\(value.replacingOccurrences(of: "'", with: "''"))'")
            } else {
                skipped.append(name)
            }
        }
        try appendLines(lines, to: newPgdata + "/postgresql.conf")
        context.log("carried \(carried.count - skipped.count) settings" + (skipped.isEmpty ? "" : "; PostgreSQL \(major) has no \(skipped.joined(separator: ", "))"))
        for (source, name) in [(hbaFile, "pg_hba.conf"), (identFile, "pg_ident.conf")] {
            guard let source, FileManager.default.fileExists(atPath: source) else { continue }
            let target = "\(newPgdata)/\(name)"
            try? FileManager.default.moveItem(atPath: target, toPath: target + ".initdb")
            try FileManager.default.copyItem(atPath: source, toPath: target)
        }
        context.output(.installUser(name: settings.installUser))
        try checkpointOld(old)
    }

    /// A checkpoint of the old primary while clients still write, just before the write window: the shutdown
    /// checkpoint inside the window then writes only what changed since, not everything since the last timed one
    /// (on a busy primary with large shared_buffers that is seconds of the window).
    private func checkpointOld(_ old: PostgresConnection) throws {
        let clock = ContinuousClock()
        let began = clock.now
        _ = try old.simpleQuery("checkpoint")
        let seconds = Double((clock.now - began) / .milliseconds(1)) / 1000
        context.log("old primary checkpointed in \(String(format: "%.2f", seconds)) s: the shutdown checkpoint in the write window writes only what changes from here on")
    }

    /// Settings the old cluster takes from its configuration files or command line, as it shows them.
    private func carriedSettings(_ old: PostgresConnection) throws -> [(String, String)] {
        let result = try old.query("""
            select name, current_setting(name) from pg_settings
            where source in ('configuration file', 'command line') order by name
            """)
        return result.rows.compactMap { row in
            guard let name = row[0], let value = row[1], !Self.notCarried.contains(name) else { return nil }
            return (name, value)
        }
    }

    /// Parameter names the new server knows (`postgres --describe-config`).
    private func knownParameters() throws -> Set<String> {
        let result = try context.run(ProgramInvocation(try context.newBinaries.path("postgres"), ["--describe-config"]))
        return Set(result.stdout.split(separator: "\n").compactMap { $0.split(separator: "\t").first.map(String.init) })
    }
}

/// Appends lines to a configuration file.
func appendLines(_ lines: [String], to path: String) throws {
    guard let handle = FileHandle(forWritingAtPath: path) else { throw AgentError("cannot write \(path)") }
    defer { try? handle.close() }
    handle.seekToEndOfFile()
    try handle.write(contentsOf: Data((lines.joined(separator: "\n") + "\n").utf8))
}
