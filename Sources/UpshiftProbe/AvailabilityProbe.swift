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

    public func prepare() throws {
        let connection = try PostgresConnection(conninfo: endpoints.write)
        defer { connection.close() }
        _ = try connection.simpleQuery("""
            create schema if not exists \(PostgresConnection.quoteIdentifier(endpoints.schema));
            create table if not exists \(table) (id bigserial primary key, at timestamptz not null default clock_timestamp())
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

    public func cleanUp() throws {
        let connection = try PostgresConnection(conninfo: endpoints.write)
        defer { connection.close() }
        _ = try connection.simpleQuery("drop schema if exists \(PostgresConnection.quoteIdentifier(endpoints.schema)) cascade")
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
