extension Plan {
    /// Host names an `on:` value selects, in plan order: a role, a cluster (`source`/`target`, logical only) or a
    /// host name; nil when it names none of them.
    public func hosts(matching on: String) -> [String]? {
        if let role = HostRole(rawValue: on) {
            return hosts.filter { $0.role == role }.map(\.name)
        }
        if strategy == .logical, let side = ClusterSide(rawValue: on), side != .fleet {
            return hosts.filter { $0.cluster == side }.map(\.name)
        }
        return hosts.contains { $0.name == on } ? [on] : nil
    }

    /// The words `on:` accepts besides host names.
    var onKeywords: [String] {
        HostRole.allCases.map(\.rawValue) + (strategy == .logical ? ["source", "target"] : [])
    }

    /// Names of the hosts that pass `filter`, in plan order.
    func hostNames(where filter: (PlanHost) -> Bool) -> [String] {
        hosts.filter(filter).map(\.name)
    }
}
