import Foundation
import NIOCore
@testable import UpshiftWire

/// A fresh directory under /tmp, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String) throws {
        self.path = FileManager.default.temporaryDirectory
            .appendingPathComponent("upshift-wire-\(label)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: self.path, withIntermediateDirectories: true)
    }

    /// A path inside another temporary directory, created (or not) by the code under test.
    init(existing path: String) {
        self.path = path
    }

    func file(_ components: String...) -> String {
        components.reduce(URL(fileURLWithPath: self.path)) { $0.appendingPathComponent($1) }.path
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: self.path)
    }
}

struct TimedOut: Error {}

/// Runs `body`, failing with `TimedOut` after `seconds` so a hung socket fails the test instead of the run.
func withTimeout<T: Sendable>(
    _ seconds: Double, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw TimedOut()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// Collects errors reported from another task, so a test can wait for one to arrive.
actor ErrorLog {
    private(set) var errors: [any Error] = []

    func append(_ error: any Error) { self.errors.append(error) }

    /// Waits (polling, bounded) until at least `count` errors were reported; returns how many there are.
    func waitFor(count: Int, seconds: Double = 60) async -> Int {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while self.errors.count < count, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return self.errors.count
    }
}

/// A sample of every message kind, both directions, with dates on whole milliseconds.
enum SampleMessages {
    static let at = Date(timeIntervalSince1970: 1_714_564_800.25)
    static let request = StepRequest(runID: "r-1", stepID: "stop-primary", host: "db1", planSHA256: "ab12")
    /// A request carrying one fact of each kind and the run's secrets.
    static let requestWithFacts = StepRequest(runID: "r-1", stepID: "verify", host: "db1", planSHA256: "ab12",
                                              facts: outputs.map { HostFact(host: "db1", output: $0) },
                                              secrets: RunSecrets(syncSecret: "0123abcd"))

    static let outputs: [StepOutput] = [
        .installUser(name: "postgres"),
        .shutdownCheckpoint(lsn: "0/3000028"),
        .tableChecksums(checksums: TableChecksums(tables: ["app.public.orders": .init(rows: 42, hash: "-12345678901234567890", method: .record),
                                                "app.public.shapes": .init(rows: 0, hash: "0", method: .text)])),
        .syncEndpoint(port: 40123, tablespaces: [SyncTablespace(oid: 16400, location: "/srv/ts", oldSubdir: "PG_15_202209061",
                                                                newSubdir: "PG_17_202406281")]),
        .tableVerified(verification: TableVerification(table: "app.public.orders", oldRows: 42, newRows: 42, matches: true)),
        .tableVerified(verification: TableVerification(table: "app.public.new_one", oldRows: nil, newRows: 1, matches: false)),
        .pointOfNoReturn(at: at),
    ]

    static let coordinator: [CoordinatorMessage] = [
        .hello(CoordinatorHello(expectedAgent: "db1")),
        .loadPlan(PlanBundle(planPath: "plan.yaml", planText: "version: 1\nname: ü\n",
                             hooks: ["Hooks/a.lua": "return function(ctx) end", "Hooks/b.lua": ""])),
        .runStep(request),
        .runStep(requestWithFacts),
        .queryStep(request),
        .ping,
        .bye,
    ]

    static let agent: [AgentMessage] = [
        .hello(AgentHello(agentName: "db1", hostname: "host-1",
                          postgres: [FoundPostgres(major: 17, version: "postgres (PostgreSQL) 17.10", bindir: "/opt/pg/17/bin")])),
        .planLoaded(sha256: "ab12"),
        .refused(reason: "unknown step \"x\""),
        .pong,
    ] + kinds.map { .event(StepEvent(runID: "r-1", stepID: "initdb", host: "db1", at: at, kind: $0)) }

    static let kinds: [StepEventKind] = [
        .started,
        .log(level: "info", message: "line\nwith \"quotes\""),
        .progress(done: 3, total: 10, unit: "tables"),
        .progress(done: 1.5, total: nil, unit: "GB"),
        .finished(durationMS: 1234),
        .failed(error: "pg_upgrade exited 1", durationMS: 99),
        .journaled(state: .finished),
        .journaled(state: .running),
    ] + outputs.map { .output($0) }
}
