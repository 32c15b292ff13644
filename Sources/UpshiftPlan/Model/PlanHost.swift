/// One database host of the plan, reached through its agent.
public struct PlanHost: Sendable, Equatable {
    /// The host's unique name in the plan.
    public var name: String
    /// Address of the host's agent (no brackets for IPv6).
    public var agentHost: String
    /// TCP port of the host's agent.
    public var agentPort: Int
    /// Whether this host is its cluster's primary or a standby.
    public var role: HostRole
    /// The PostgreSQL port of the cluster on this host.
    public var port: Int
    /// Absolute data directory of the existing cluster on this host.
    public var pgdata: String
    /// Absolute data directory the new cluster is made in (inplace upgraded hosts).
    public var newPgdata: String?
    /// A standby left on the old version, detached, as the rollback target.
    public var keepOld: Bool
    /// Which cluster the host belongs to.
    public var cluster: ClusterSide
}

/// A host's role in its cluster.
public enum HostRole: String, Sendable, Equatable, CaseIterable, Codable {
    /// The cluster's writable primary.
    case primary
    /// A streaming standby.
    case standby
}

/// The cluster a host belongs to.
public enum ClusterSide: String, Sendable, Equatable, CaseIterable, Codable {
    /// The single fleet of an `inplace` or `custom` plan.
    case fleet
    /// The old cluster of a `logical` plan.
    case source
    /// The new cluster of a `logical` plan.
    case target
}

extension PlanHost {
    /// True for inplace hosts that get the new version (the primary and standbys without `keep_old`).
    public var isUpgraded: Bool { !keepOld }
}
