import Foundation
import UpshiftPlan

/// One request the availability probe made: a tiny write transaction or a read, and how it went.
public struct ProbeSample: Codable, Sendable, Equatable {
    /// A write transaction through the write endpoint, or a read through the read endpoint.
    public enum Kind: String, Codable, Sendable { case write, read }

    public var kind: Kind
    /// When the request was sent (the client's clock).
    public var startedAt: Date
    /// How long until it answered or failed.
    public var latencyMS: Double
    /// True when it committed (write) or returned its row (read).
    public var ok: Bool
    /// The server's major version, from the answer.
    public var major: Int?
    /// Whether the server that answered was in recovery (a standby).
    public var standby: Bool?
    /// The error, for a failed request.
    public var error: String?

    /// When the request answered or failed.
    public var finishedAt: Date { startedAt.addingTimeInterval(latencyMS / 1000) }

    public init(kind: Kind, startedAt: Date, latencyMS: Double, ok: Bool, major: Int? = nil, standby: Bool? = nil, error: String? = nil) {
        self.kind = kind
        self.startedAt = startedAt
        self.latencyMS = latencyMS
        self.ok = ok
        self.major = major
        self.standby = standby
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case kind, ok, major, standby, error
        case startedAt = "started_at", latencyMS = "latency_ms"
    }
}

/// The addresses the probe uses for a plan, defaults filled in from the plan's hosts.
public struct ProbeEndpoints: Sendable, Equatable {
    /// Conninfo of the write endpoint (what applications write through).
    public var write: String
    /// Conninfo of the read endpoint.
    public var read: String
    /// Milliseconds between requests on each endpoint.
    public var intervalMS: Int
    /// The schema holding the probe's table.
    public var schema: String

    /// Endpoints as given.
    public init(write: String, read: String, intervalMS: Int, schema: String) {
        self.write = write
        self.read = read
        self.intervalMS = intervalMS
        self.schema = schema
    }

    /// The endpoints of `plan`'s probe, or nil when the plan's probe is off or the strategy upgrades nothing.
    /// The write endpoint defaults to the primary's address and port; the read endpoint to the first upgraded
    /// standby's (the primary's when there is none); both as user `postgres` on database `postgres`.
    /// A logical plan is probed only through `probe.write`, the address clients use (a pooler the switch repoints):
    /// the source's own address is fenced for good once the target takes the writes.
    public static func resolve(_ plan: Plan) -> ProbeEndpoints? {
        guard plan.probe.enabled else { return nil }
        if plan.strategy == .logical, let write = plan.probe.write {
            return ProbeEndpoints(write: tagged(write), read: tagged(plan.probe.read ?? write), intervalMS: plan.probe.intervalMS,
                                  schema: plan.probe.schema)
        }
        guard plan.strategy == .inplace, let primary = plan.hosts.first(where: { $0.role == .primary }) else { return nil }
        let readHost = plan.hosts.first { $0.role == .standby && $0.isUpgraded } ?? primary
        func address(_ host: PlanHost) -> String {
            "host=\(host.agentHost) port=\(host.port) dbname=postgres user=postgres"
        }
        return ProbeEndpoints(write: tagged(plan.probe.write ?? address(primary)), read: tagged(plan.probe.read ?? address(readHost)),
                              intervalMS: plan.probe.intervalMS, schema: plan.probe.schema)
    }

    /// A key=value conninfo gets the probe's application name and a connect timeout, unless it sets them.
    static func tagged(_ conninfo: String) -> String {
        guard !conninfo.contains("://") else { return conninfo }
        var text = conninfo
        if !text.contains("application_name") { text += " application_name=upshift-probe" }
        if !text.contains("connect_timeout") { text += " connect_timeout=2" }
        return text
    }
}

/// A client that writes and reads against the fleet's endpoints during a run, timing every request.
public protocol RunProbe: AnyObject, Sendable {
    /// Creates the probe's schema and table through the write endpoint; throws, changing nothing else,
    /// when the endpoint cannot be used.
    func prepare() throws
    /// Starts probing both endpoints in the background.
    func start()
    /// Waits until the latest write went through cleanly (writes are back once the run has ended: a paused
    /// pooler resumed, a server restarted), or `timeout` passes.
    func settle(within timeout: Duration)
    /// Stops probing and returns every request made since `start`, a request still waiting counted as failed.
    func stop() -> [ProbeSample]
    /// Drops the probe's schema through the write endpoint.
    func cleanUp() throws
}

/// Makes the probe for a plan (nil when the plan runs none); the `upshift` executable supplies the libpq one.
public typealias RunProbeFactory = @Sendable (ProbeEndpoints) -> any RunProbe
