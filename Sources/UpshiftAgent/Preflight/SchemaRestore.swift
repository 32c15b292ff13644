import Foundation
import UpshiftPostgres
import UpshiftWire

/// `schema-restore`: the old cluster's roles and every database's schema, dumped by the NEW pg_dump as
/// pg_upgrade does, restored into the scratch cluster. Catches what `--check` misses (Debian 15.20's
/// `pg_attver` column options, say), before the real pg_upgrade would stop half-way.
struct SchemaRestore {
    let newBinaries: PostgresBinaries
    let newMajor: Int
    let old: OldCluster
    let installUser: String
    let launcher: ProgramLauncher

    func run(scratch: ScratchCluster) -> CheckResult {
        let name = "schema-restore"
        let remedy = "fix or drop what the restore rejects in the old cluster (pg_upgrade restores the schema the same way), then run preflight again"
        return CheckResult.guarded(name, remedy: remedy) {
            try scratch.start()
            let target = scratch.target(user: installUser)
            if let failure = try restoreGlobals(into: target, scratch: scratch) {
                return .fail(name, "roles: " + failure, remedy: remedy)
            }
            let databases = try old.connectableDatabases()
            for (index, database) in databases.enumerated() {
                if let failure = try restoreSchema(of: database, file: "\(scratch.root)/db\(index).dump", into: target) {
                    return .fail(name, "database \(database): " + failure, remedy: remedy)
                }
            }
            return .pass(name, "roles and the schema of \(counted(databases.count, "database")) (\(listed(databases))) restore into PostgreSQL \(newMajor)")
        }
    }

    /// Dumps roles without passwords or tablespaces and replays them with psql; the install user exists
    /// already, so its CREATE ROLE is left out (as pg_upgrade's own dump does). Returns why it failed.
    private func restoreGlobals(into target: ConnectionTarget, scratch: ScratchCluster) throws -> String? {
        let dumped = "\(scratch.root)/globals.sql"
        let dump = try launcher.run(ProgramInvocation(
            newBinaries.path("pg_dumpall"),
            old.target.clientArguments + ["--globals-only", "--no-role-passwords", "--no-tablespaces", "--file", dumped],
            environment: ["LC_MESSAGES": "C"]))
        guard dump.succeeded else { return "pg_dumpall: " + firstError(dump.stderr) }
        let skipped: Set = ["CREATE ROLE \(installUser);", "CREATE ROLE \(PostgresConnection.quoteIdentifier(installUser));"]
        let text = try String(contentsOfFile: dumped, encoding: .utf8)
        let kept = text.split(separator: "\n", omittingEmptySubsequences: false).filter { !skipped.contains(String($0)) }
        let replay = "\(scratch.root)/globals-replay.sql"
        // Readable by the servers' OS user whoever writes it; the directory around it is theirs and 0700.
        guard FileManager.default.createFile(atPath: replay, contents: Data(kept.joined(separator: "\n").utf8),
                                             attributes: [.posixPermissions: 0o644]) else {
            throw AgentError("cannot write \(replay)")
        }
        let restore = try launcher.run(ProgramInvocation(
            newBinaries.path("psql"),
            target.clientArguments + ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-f", replay],
            environment: ["LC_MESSAGES": "C"]))
        return restore.succeeded ? nil : "psql: " + firstError(restore.stderr)
    }

    /// pg_dump --schema-only of `database` and pg_restore into the scratch cluster (postgres and template1
    /// exist there already; every other database is created from the dump). Returns why it failed.
    private func restoreSchema(of database: String, file: String, into target: ConnectionTarget) throws -> String? {
        let dump = try launcher.run(PgDump.schemaOnly(newBinaries, source: old.target, database: database, file: file))
        guard dump.succeeded else { return "pg_dump: " + firstError(dump.stderr) }
        let exists = ["postgres", "template1"].contains(database)
        var restore = PgDump.restore(newBinaries, target: target, database: exists ? database : "postgres", file: file,
                                     createDatabase: !exists)
        restore.arguments.insert("--no-tablespaces", at: 0)
        let result = try launcher.run(restore)
        return result.succeeded ? nil : "pg_restore: " + firstError(result.stderr)
    }
}

/// The first error a PostgreSQL client printed, without its program prefix, with the statement it ran
/// when it says (`Command was:`, which may span lines).
func firstError(_ stderr: String) -> String {
    let lines = stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard let index = lines.firstIndex(where: { $0.contains("error:") || $0.contains("ERROR:") || $0.contains("FATAL:") }) else {
        return lines.last(where: { !$0.isEmpty }).map(collapsed) ?? "failed without a message"
    }
    var text = collapsed(lines[index])
    for prefix in ["pg_restore: ", "pg_dumpall: ", "pg_dump: ", "psql: ", "initdb: ", "error: "] where text.hasPrefix(prefix) {
        text.removeFirst(prefix.count)
    }
    if let start = lines[(index + 1)...].firstIndex(where: { $0.hasPrefix("Command was:") }) {
        let command = lines[start...].prefix { !$0.isEmpty && !$0.hasPrefix("pg_restore:") }.map(collapsed).joined(separator: " ")
        text += " (" + String(command.prefix(300)) + ")"
    }
    return text
}

private func collapsed(_ line: String) -> String {
    line.split(whereSeparator: \.isWhitespace).joined(separator: " ")
}
