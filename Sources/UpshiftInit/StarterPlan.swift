import Foundation

/// Writes a starter in-place plan from what `upshift init` found: every field `upshift check` needs, filled
/// from the running fleet where it can be read and otherwise from the usual layout, with a comment wherever
/// a DBA must decide or confirm.
public struct StarterPlan {
    /// A standby `upshift init` connected to (`--standby`): its own facts.
    public struct Standby {
        public var address: String
        public var facts: ClusterFacts

        public init(address: String, facts: ClusterFacts) {
            self.address = address
            self.facts = facts
        }
    }

    public var name: String
    public var primaryAddress: String
    public var primary: ClusterFacts
    public var standbys: [Standby]
    /// Agent addresses by host name (`--agent db2=10.0.0.12:7710`); others get `ADDRESS:agentPort`.
    public var agents: [String: String]
    public var agentPort: Int
    public var newMajor: Int
    public var newBindir: String
    /// Extensions of the old cluster the new build has no control file for; nil when it could not be checked.
    public var missingExtensions: [String]?
    public var tlsDirectory: String
    /// Parallel jobs (pg_upgrade, checksums): the CPU count where it could be read.
    public var jobs: Int
    /// Whether old and new data directories were seen on one file system (link mode possible), nil if not seen.
    public var sameFileSystem: Bool?

    public init(name: String, primaryAddress: String, primary: ClusterFacts, standbys: [Standby], agents: [String: String],
                agentPort: Int, newMajor: Int, newBindir: String, missingExtensions: [String]?, tlsDirectory: String,
                jobs: Int, sameFileSystem: Bool?) {
        self.name = name
        self.primaryAddress = primaryAddress
        self.primary = primary
        self.standbys = standbys
        self.agents = agents
        self.agentPort = agentPort
        self.newMajor = newMajor
        self.newBindir = newBindir
        self.missingExtensions = missingExtensions
        self.tlsDirectory = tlsDirectory
        self.jobs = jobs
        self.sameFileSystem = sameFileSystem
    }

    /// Where the new cluster goes: the old path with its version folder renamed (`/var/lib/postgresql/15/main` →
    /// `…/17/main`, `/srv/db1/15` → `/srv/db1/17`), else a sibling named `NAME-NEW`.
    public static func newDataDirectory(for pgdata: String, oldMajor: Int, newMajor: Int) -> String {
        var parts = pgdata.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if let index = parts.lastIndex(of: String(oldMajor)) {
            parts[index] = String(newMajor)
            return parts.joined(separator: "/")
        }
        return "\(pgdata)-\(newMajor)"
    }

    /// The plan's text.
    public func yaml() -> String {
        let old = primary.major
        var lines: [String] = [
            "# Starter plan written by `upshift init` from \(primaryAddress) (PostgreSQL \(primary.version)) on \(Self.today()).",
            "# Read every comment, then: upshift check, upshift plan, upshift preflight, and a rehearsal before the real run.",
            "version: 1",
            "name: \(name)",
            "strategy: inplace",
            "postgres:",
            "  from: { version: \(old), bindir: \(quoted(primary.bindir ?? "/usr/lib/postgresql/\(old)/bin")) }"
                + (primary.bindir == nil ? "   # DECIDE: the role could not read pg_config; the usual Debian path" : ""),
            "  to:   { version: \(newMajor), bindir: \(quoted(newBindir)) }",
            "tls: { dir: \(quoted(tlsDirectory)) }   # upshift certs init \(tlsDirectory) \(hostNames().map { "--agent \($0)=ADDRESS" }.joined(separator: " "))",
            "hosts:",
        ]
        lines += host(name: "db1", role: "primary", address: primaryAddress, facts: primary)
        if standbys.isEmpty {
            for (index, replica) in primary.replicas.enumerated() {
                let name = "db\(index + 2)"
                lines.append("  # \(name): found in pg_stat_replication (\(replica.applicationName), \(replica.state)"
                             + (replica.slot.map { ", slot \($0)" } ?? "") + "); its data directory and port are the primary's layout")
                lines.append("  # until confirmed: run `upshift init` with --standby CONNINFO to read them from the standby itself.")
                lines += host(name: name, role: "standby", address: replica.address ?? "ADDRESS", facts: primary, keepOldHint: index == 0)
            }
        } else {
            for (index, standby) in standbys.enumerated() {
                lines += host(name: "db\(index + 2)", role: "standby", address: standby.address, facts: standby.facts, keepOldHint: index == 0)
            }
            if primary.replicas.count != standbys.count {
                lines.append("  # NOTE: pg_stat_replication shows \(primary.replicas.count) standbys streaming; \(standbys.count) described here.")
            }
        }
        lines += ["options:"]
        lines.append("  transfer: link" + (sameFileSystem == false
            ? "   # DECIDE: old and new data directories are on different file systems here: link needs one; use copy or move new_pgdata"
            : "   # link: fastest; the old cluster is unusable once the new one starts (clone on XFS/Btrfs keeps it)"))
        lines.append("  jobs: \(jobs)")
        let newPgdata = Self.newDataDirectory(for: primary.dataDirectory, oldMajor: old, newMajor: newMajor)
        let parent = { (path: String) in URL(fileURLWithPath: path).deletingLastPathComponent().path }
        if parent(newPgdata) == parent(primary.dataDirectory) {
            lines.append("  standbys: rsync   # rsync: the documented hard-link sync; basebackup: rebuild each standby from the new primary")
        } else {
            lines.append("  standbys: basebackup   # DECIDE: the rsync hard-link sync needs new_pgdata beside pgdata (one folder); "
                         + "this layout puts it elsewhere, so standbys are rebuilt from the new primary")
        }
        lines.append("  statistics: analyze-in-stages")
        let logicalSlots = primary.slots.filter { $0.type == "logical" }.map(\.name)
        if !logicalSlots.isEmpty && old < 17 {
            lines.append("  logical_slots: recreate   # DECIDE: \(logicalSlots.joined(separator: ", ")): pg_upgrade cannot carry them from \(old); "
                         + "recreate or drop")
        }
        lines += settingsComments()
        return lines.joined(separator: "\n") + "\n"
    }

    private func host(name: String, role: String, address: String, facts: ClusterFacts, keepOldHint: Bool = false) -> [String] {
        let agent = agents[name] ?? "\(address):\(agentPort)"
        var lines = [
            "  - name: \(name)",
            "    agent: \(quoted(agent))",
            "    role: \(role)",
            "    port: \(facts.port)",
            "    pgdata: \(quoted(facts.dataDirectory))",
            "    new_pgdata: \(quoted(Self.newDataDirectory(for: facts.dataDirectory, oldMajor: primary.major, newMajor: newMajor)))",
        ]
        if keepOldHint {
            lines.append("    # keep_old: true   # DECIDE: leave this standby on \(primary.major), detached, as the rollback target (drop new_pgdata then)")
        }
        return lines
    }

    private func hostNames() -> [String] {
        ["db1"] + (standbys.isEmpty ? primary.replicas.indices.map { "db\($0 + 2)" } : standbys.indices.map { "db\($0 + 2)" })
    }

    private func settingsComments() -> [String] {
        var lines = ["", "# What upshift init found on the primary:"]
        let settings = primary.settings
        lines.append("#   wal_level \(settings["wal_level"] ?? "?"), max_wal_senders \(settings["max_wal_senders"] ?? "?"), "
                     + "max_replication_slots \(settings["max_replication_slots"] ?? "?"), data checksums \(settings["data_checksums"] ?? "?"), "
                     + "archive_mode \(settings["archive_mode"] ?? "?")")
        if let preload = settings["shared_preload_libraries"], !preload.isEmpty {
            lines.append("#   shared_preload_libraries: \(preload) (each must exist for PostgreSQL \(newMajor))")
        }
        let extensions = primary.extensions.keys.sorted()
        lines.append("#   extensions: " + (extensions.isEmpty ? "none besides plpgsql"
            : extensions.map { "\($0) (\(primary.extensions[$0]!.joined(separator: ", ")))" }.joined(separator: ", ")))
        switch missingExtensions {
        case .some(let missing) where !missing.isEmpty:
            lines.append("#   DECIDE: PostgreSQL \(newMajor) at \(newBindir) lacks \(missing.joined(separator: ", ")): install them there first")
        case .some:
            lines.append("#   every extension has a control file in PostgreSQL \(newMajor) at \(newBindir)")
        case nil:
            lines.append("#   extensions not checked against PostgreSQL \(newMajor) (its pg_config was not reachable here); preflight checks them")
        }
        if !primary.slots.isEmpty {
            lines.append("#   replication slots: " + primary.slots.map { "\($0.name) (\($0.type))" }.joined(separator: ", ")
                         + ": preflight lists what the run does with each")
        }
        return lines
    }

    private func quoted(_ text: String) -> String {
        let plain = text.allSatisfy { $0.isLetter || $0.isNumber || "/._-:".contains($0) } && !text.isEmpty
        return plain ? text : "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    private static func today() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: Date())
    }
}
