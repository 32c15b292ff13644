import Foundation
import UpshiftCoordinator
import UpshiftPostgres

/// The availability probe over libpq: one thread writes a one-row transaction into `SCHEMA.ticks` through the
/// write endpoint every interval, another reads through the read endpoint, and every request is timed.
public final class AvailabilityProbe: RunProbe, @unchecked Sendable {
    private let endpoints: ProbeEndpoints
    private let lock = NSLock()
    private var samples: [ProbeSample] = []
    private var inFlight: [ProbeSample.Kind: Date] = [:]
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)
    private var threads = 0

    /// A probe of `endpoints`.
    public init(endpoints: ProbeEndpoints) {
        self.endpoints = endpoints
    }

    private var table: String { "\(PostgresConnection.quoteIdentifier(endpoints.schema)).ticks" }

    /// The comment that marks a schema as the probe's own: only such a schema is ever reused or dropped.
    static let ownerComment = "upshift availability probe: created for an upgrade run, dropped after it"

    /// Creates the probe's schema and table. A schema of that name that the probe did not make (no owner
    /// comment, or holding anything besides the probe's table) is refused, never written into.
    public func prepare() throws {
        let connection = try PostgresConnection(conninfo: endpoints.write)
        defer { connection.close() }
        let found = try connection.query("""
            select obj_description(n.oid, 'pg_namespace'),
                   (select count(*) from pg_class c where c.relnamespace = n.oid and c.relname not in ('ticks', 'ticks_id_seq', 'ticks_pkey'))
                 + (select count(*) from pg_proc p where p.pronamespace = n.oid)
                 + (select count(*) from pg_type t where t.typnamespace = n.oid and t.typrelid = 0 and t.typelem = 0)
            from pg_namespace n where n.nspname = $1
            """, [endpoints.schema]).rows.first
        if let found {
            guard found[0] == Self.ownerComment, found[1] == "0" else {
                throw ProbeSchemaInUse(schema: endpoints.schema)
            }
        }
        let schema = PostgresConnection.quoteIdentifier(endpoints.schema)
        _ = try connection.simpleQuery("""
            begin;
            create schema if not exists \(schema);
            comment on schema \(schema) is '\(Self.ownerComment)';
            create table if not exists \(table) (id bigserial primary key, at timestamptz not null default clock_timestamp());
            commit
            """)
    }

    public func start() {
        lock.withLock { threads = 2 }
        for kind in [ProbeSample.Kind.write, .read] {
            let thread = Thread { [self] in
                loop(kind)
                finished.signal()
            }
            thread.name = "upshift-probe-\(kind.rawValue)"
            thread.start()
        }
    }

    public func settle(within timeout: Duration) {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let clean = lock.withLock { () -> Bool in
                guard let last = samples.last(where: { $0.kind == .write }), last.ok, last.latencyMS < DowntimeFigures.stallMS else { return false }
                // A write still waiting for longer than a stall is not back yet.
                return inFlight[.write].map { Date().timeIntervalSince($0) * 1000 < DowntimeFigures.stallMS } ?? true
            }
            if clean { return }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    public func stop() -> [ProbeSample] {
        let running = lock.withLock { () -> Int in
            stopping = true
            return threads
        }
        // A request held by a paused pooler or a dead server may never answer: wait a little, then count it failed.
        let deadline = DispatchTime.now() + .seconds(3)
        var joined = 0
        while joined < running, finished.wait(timeout: deadline) == .success { joined += 1 }
        return lock.withLock {
            threads = 0
            var all = samples
            let now = Date()
            for (kind, since) in inFlight {
                all.append(ProbeSample(kind: kind, startedAt: since, latencyMS: now.timeIntervalSince(since) * 1000, ok: false,
                                       error: "no answer when the run ended"))
            }
            inFlight = [:]
            return all.sorted { $0.startedAt < $1.startedAt }
        }
    }

    /// Drops the probe's table, then its schema without CASCADE: an object someone else put there keeps the
    /// schema (and itself) alive, and a schema the probe does not own is left alone.
    public func cleanUp() throws {
        let connection = try PostgresConnection(conninfo: endpoints.write)
        defer { connection.close() }
        let owned = try connection.query("select obj_description(oid, 'pg_namespace') = $2 from pg_namespace where nspname = $1",
                                         [endpoints.schema, Self.ownerComment]).rows.first?.first
        guard owned == "t" else { return }
        _ = try connection.simpleQuery("drop table if exists \(table)")
        _ = try connection.simpleQuery("drop schema \(PostgresConnection.quoteIdentifier(endpoints.schema))")
    }

    private func loop(_ kind: ProbeSample.Kind) {
        let conninfo = kind == .write ? endpoints.write : endpoints.read
        let sql = kind == .write
            ? "insert into \(table) default values returning current_setting('server_version_num'), pg_is_in_recovery()"
            : "select current_setting('server_version_num'), pg_is_in_recovery()"
        let interval = Double(endpoints.intervalMS) / 1000
        var connection: PostgresConnection?
        defer { connection?.close() }
        while !lock.withLock({ stopping }) {
            let started = Date()
            lock.withLock { inFlight[kind] = started }
            var sample: ProbeSample
            do {
                if connection == nil { connection = try PostgresConnection(conninfo: conninfo) }
                let row = try connection!.simpleQuery(sql).rows.first ?? []
                let version = row.first.flatMap { $0 }.flatMap { Int($0) }
                sample = ProbeSample(kind: kind, startedAt: started, latencyMS: Date().timeIntervalSince(started) * 1000, ok: true,
                                     major: version.map { $0 / 10000 }, standby: row.count > 1 ? row[1] == "t" : nil)
            } catch {
                connection?.close()
                connection = nil
                sample = ProbeSample(kind: kind, startedAt: started, latencyMS: Date().timeIntervalSince(started) * 1000, ok: false,
                                     error: Self.firstLine(of: error))
            }
            lock.withLock {
                inFlight[kind] = nil
                samples.append(sample)
            }
            let pause = interval - Date().timeIntervalSince(started)
            if pause > 0 { Thread.sleep(forTimeInterval: pause) }
        }
    }

    private static func firstLine(of error: Error) -> String {
        let text = (error as? PostgresError)?.message ?? "\(error)"
        return String(text.split(separator: "\n").first ?? "")
    }
}

/// The probe's schema exists and is not the probe's own: the run must not write into it or drop it.
public struct ProbeSchemaInUse: Error, CustomStringConvertible, Sendable {
    /// The schema name the plan gave.
    public var schema: String

    public var description: String {
        "schema \(schema) already exists and was not made by the probe; the probe writes into and drops a schema of its own: "
            + "set probe.schema to a name no application uses"
    }
}
