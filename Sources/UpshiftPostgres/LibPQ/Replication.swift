/// What `IDENTIFY_SYSTEM` reports on a replication connection.
public struct ReplicationIdentity: Sendable, Equatable {
    /// The cluster's system identifier, as pg_controldata prints it.
    public var systemIdentifier: String
    /// The current timeline.
    public var timeline: Int
    /// The current WAL flush location, e.g. `0/1A2B3C8`.
    public var walPosition: String
    /// The database of a `replication=database` connection; nil for a physical one.
    public var database: String?
}

extension PostgresConnection {
    /// Runs `IDENTIFY_SYSTEM`; the connection must have been opened with `replication=database` or `replication=true`.
    public func identifySystem() throws -> ReplicationIdentity {
        let result = try simpleQuery("IDENTIFY_SYSTEM")
        guard result.rows.count == 1,
              let system = result.value(0, "systemid"),
              let timeline = result.value(0, "timeline").flatMap({ Int($0) }),
              let position = result.value(0, "xlogpos")
        else {
            throw PostgresError(message: "IDENTIFY_SYSTEM returned \(result.rows.count) rows in an unexpected shape",
                                context: context)
        }
        return ReplicationIdentity(systemIdentifier: system, timeline: timeline, walPosition: position,
                                   database: result.value(0, "dbname"))
    }
}
