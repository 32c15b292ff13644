import Yams

/// A decoded host plus the nodes later checks point at.
struct HostDraft {
    var host: PlanHost
    var roleIsKnown: Bool
    var nameNode: Node?
    var agentNode: Node?
    var roleNode: Node?
}

extension PlanDecoder {
    static let hostKeys = ["name", "agent", "role", "port", "pgdata", "new_pgdata", "keep_old"]
    /// Words `on:` gives a meaning of its own, so no host may be called by them.
    static let reservedHostNames = ["primary", "standby", "source", "target", "fleet"]

    /// `hosts:` (inplace, custom) or `source.hosts` and `target.hosts` (logical), then plan-wide uniqueness.
    func decodeHosts(_ top: MappingReader, strategy: Strategy?) {
        if strategy == .logical || (strategy == nil && top.node("hosts") == nil) {
            for side in [ClusterSide.source, .target] {
                guard let node = strategy == nil ? top.node(side.rawValue) : top.required(side.rawValue),
                      let cluster = MappingReader(node, key: side.rawValue, what: side.rawValue, context: context)
                else { continue }
                cluster.rejectUnknownKeys(allowed: ["hosts"])
                if let list = cluster.required("hosts") {
                    decodeHostList(list, key: "\(side.rawValue).hosts", side: side, strategy: strategy)
                }
            }
        } else if let list = top.required("hosts") {
            decodeHostList(list, key: "hosts", side: .fleet, strategy: strategy)
        }
        rejectDuplicateHosts()
    }

    /// `rehearsal:`: a second fleet of the same shape as `hosts:`, checked the same way but on its own.
    func decodeRehearsal(_ top: MappingReader, strategy: Strategy?) -> RehearsalSettings? {
        guard let node = top.node("rehearsal"),
              let m = MappingReader(node, key: "rehearsal", what: "rehearsal", context: context) else { return nil }
        m.rejectUnknownKeys(allowed: ["hosts", "probe"])
        if strategy == .logical {
            context.error(at: node, "'rehearsal' applies to strategies inplace and custom (a logical plan rehearses on its target)")
            return nil
        }
        let fleetDrafts = hostDrafts
        hostDrafts = []
        defer { hostDrafts = fleetDrafts }
        if let list = m.required("hosts") {
            decodeHostList(list, key: "rehearsal.hosts", side: .fleet, strategy: strategy)
            rejectDuplicateHosts()
        }
        for draft in hostDrafts where fleetDrafts.contains(where: { $0.host.name == draft.host.name }) {
            context.error(at: draft.nameNode, "rehearsal host '\(draft.host.name)' has the name of a production host; give the rehearsal fleet its own names")
        }
        var settings = RehearsalSettings(hosts: hostDrafts.map(\.host))
        if let probeNode = m.node("probe"), let probe = MappingReader(probeNode, key: "rehearsal.probe", what: "rehearsal probe", context: context) {
            probe.rejectUnknownKeys(allowed: ["write", "read"])
            settings.probeWrite = probe.string("write")
            settings.probeRead = probe.string("read")
        }
        return settings
    }

    private func decodeHostList(_ node: Node, key: String, side: ClusterSide, strategy: Strategy?) {
        guard let items = context.list(node, key: key) else { return }
        let drafts = items.compactMap { decodeHost($0, key: key, side: side, strategy: strategy) }
        hostDrafts += drafts
        let primaries = drafts.filter { $0.roleIsKnown && $0.host.role == .primary }
        if primaries.isEmpty, drafts.count == items.count, drafts.allSatisfy(\.roleIsKnown) {
            context.error(at: node, items.isEmpty ? "'\(key)' lists no host" : "no host in '\(key)' has role primary")
        }
        for extra in primaries.dropFirst() {
            context.error(at: extra.roleNode,
                          "more than one primary in '\(key)': '\(primaries[0].host.name)' is already the primary")
        }
    }

    private func decodeHost(_ node: Node, key: String, side: ClusterSide, strategy: Strategy?) -> HostDraft? {
        guard let m = MappingReader(node, key: key, item: true, what: "host", context: context) else { return nil }
        m.rejectUnknownKeys(allowed: Self.hostKeys)
        let name = m.string("name", required: true).flatMap { checkHostName($0, node: m.node("name")!) }
        let agent = m.required("agent").flatMap { agentNode in
            context.string(agentNode, key: "agent").flatMap { text in
                let address = Self.parseAgent(text)
                if address == nil {
                    context.error(at: agentNode, "'agent' expects HOST:PORT (e.g. 10.0.0.11:7710), got '\(text)'")
                }
                return address
            }
        }
        let role: HostRole? = m.choice("role", required: true)
        let port = m.int("port", in: 1...65535) ?? 5432
        let pgdata = m.hostPath("pgdata", required: true)
        let newPgdata = m.hostPath("new_pgdata")
        let keepOld = m.bool("keep_old") ?? false
        checkHostRules(m, role: role, keepOld: keepOld, pgdata: pgdata, newPgdata: newPgdata, strategy: strategy)
        let host = PlanHost(
            name: name ?? "", agentHost: agent?.host ?? "", agentPort: agent?.port ?? 0, role: role ?? .standby,
            port: port, pgdata: pgdata ?? "", newPgdata: newPgdata, keepOld: keepOld, cluster: side)
        return HostDraft(host: host, roleIsKnown: role != nil, nameNode: m.node("name"),
                         agentNode: m.node("agent"), roleNode: m.node("role"))
    }

    private func checkHostRules(_ m: MappingReader, role: HostRole?, keepOld: Bool, pgdata: String?,
                                newPgdata: String?, strategy: Strategy?) {
        if strategy == .logical {
            m.rejectKey("keep_old", because: "applies only to strategy inplace (logical plans roll back by reverse replication)")
            m.rejectKey("new_pgdata", because: "is not used by strategy logical (a target host's pgdata is the new cluster)")
            return
        }
        if keepOld, role == .primary {
            m.rejectKey("keep_old", because: "is for standbys: the primary is always upgraded")
        } else if keepOld {
            m.rejectKey("new_pgdata", because: "cannot be set on a keep_old standby: it stays on the old version")
        } else if strategy == .inplace, role != nil, m.node("new_pgdata") == nil {
            context.error(at: m.mark, "missing required key 'new_pgdata' in host (where its new cluster is made)")
        }
        if let pgdata, let newPgdata, pgdata == newPgdata, let node = m.node("new_pgdata") {
            context.error(at: node, "'new_pgdata' must differ from 'pgdata'")
        }
    }

    private func checkHostName(_ name: String, node: Node) -> String? {
        guard name.unicodeScalars.allSatisfy({ $0.isNameCharacter || "._".unicodeScalars.contains($0) }) else {
            context.error(at: node, "host name may only hold letters, digits, '.', '_' and '-', got '\(name)'")
            return nil
        }
        guard !Self.reservedHostNames.contains(name) else {
            context.error(at: node, "host name '\(name)' is reserved: 'on:' reads it as a role or cluster")
            return nil
        }
        return name
    }

    private func rejectDuplicateHosts() {
        var names: [String: HostDraft] = [:]
        var agents: [String: HostDraft] = [:]
        for draft in hostDrafts {
            let host = draft.host
            if !host.name.isEmpty {
                if let first = names[host.name] {
                    context.error(at: draft.nameNode,
                                  "duplicate host name '\(host.name)' (first at line \(first.nameNode?.mark?.line ?? 0))")
                } else {
                    names[host.name] = draft
                }
            }
            if !host.agentHost.isEmpty {
                let address = "\(host.agentHost):\(host.agentPort)"
                if let first = agents[address] {
                    context.error(at: draft.agentNode, "agent \(address) is already host '\(first.host.name)''s agent")
                } else {
                    agents[address] = draft
                }
            }
        }
    }

    /// `host:port` or `[v6]:port`.
    static func parseAgent(_ text: String) -> (host: String, port: Int)? {
        let host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.range(of: "]:") else { return nil }
            host = text[text.index(after: text.startIndex)..<close.lowerBound]
            portText = text[close.upperBound...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }
        }
        guard !host.isEmpty, !host.contains(where: \.isWhitespace),
              let port = Int(portText), (1...65535).contains(port) else { return nil }
        return (String(host), port)
    }
}
