import Foundation
import NIOConcurrencyHelpers
import UpshiftPlan
import UpshiftPostgres
import UpshiftWire

/// What every built-in step has: the plan, the request with the run's facts, how to report, its owner.
protocol StepContext: Sendable {
    var plan: Plan { get }
    var host: PlanHost { get }
    var request: StepRequest { get }
    /// The agent's state directory.
    var stateDirectory: String { get }
    var emit: @Sendable (StepEventKind) -> Void { get }
    /// The step's owner: a rollback cancels it through here, and it bounds the step by its deadline.
    var control: ProgramControl { get }
}

extension StepContext {
    /// Every program of the step runs under its control.
    var launcher: ProgramLauncher { ProgramLauncher(prefix: [], control: control) }

    /// A folder for this run's files on this host (pg_upgrade's working directory, dumps, logs, saved settings).
    func workDirectory() throws -> String {
        let path = "\(stateDirectory)/runs/\(request.runID)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return path
    }

    /// Reports a fact for later steps.
    func output(_ fact: StepOutput) { emit(.output(fact)) }
    /// Reports a line for the board and the journal.
    func log(_ message: String, level: String = "info") { emit(.log(level: level, message: message)) }

    /// Runs a program to success, logging its failure output in the error.
    @discardableResult
    func run(_ invocation: ProgramInvocation, onLine: ((ProgramOutputLine) -> Void)? = nil) throws -> ProgramResult {
        try launcher.run(invocation, onLine: onLine).requireSuccess()
    }

    /// The latest fact an earlier step reported on `host` that `pick` accepts; `name` says what it is in the error.
    func fact<Value>(_ name: String, on host: String, _ pick: (StepOutput) -> Value?) throws -> Value {
        for fact in request.facts.reversed() where fact.host == host {
            if let value = pick(fact.output) { return value }
        }
        throw AgentError("step \(request.stepID) needs the \(name) from \(host), which no earlier step reported")
    }

    /// A connection whose running query a cancel of the step cancels too.
    func owned(_ connection: PostgresConnection) throws -> PostgresConnection {
        try control.checkStopped()
        if let canceller = connection.makeCanceller() { control.onCancel { canceller.cancel() } }
        return connection
    }

    /// Polls `condition` every `interval` seconds until it holds or `seconds` pass.
    func wait(upTo seconds: Double, every interval: Double = 0.1, for what: String, _ condition: () throws -> Bool) throws {
        try control.poll(upTo: seconds, every: interval, for: what, condition)
    }

    /// Checksums through `connect`, with the plan's `jobs` connections at once, showing progress. `reference`
    /// (the other side's checksums) fixes how each table is hashed; `scope` narrows what is covered.
    func takeChecksums(connect: @escaping @Sendable (String) throws -> PostgresConnection, includeUnlogged: Bool,
                       following reference: TableChecksums? = nil, scope: TableChecksums.Scope = .init()) throws -> TableChecksums {
        let clock = ContinuousClock()
        let started = clock.now
        let count = NIOLockedValueBox(0)
        let checksums = try TableChecksums.take(connect: connect, includeUnlogged: includeUnlogged, probeSchema: plan.probe.schema,
                                                jobs: plan.options.jobs, following: reference, scope: scope) { _ in
            count.withLockedValue { count in
                count += 1
                if count % 10 == 0 { emit(.progress(done: Double(count), total: nil, unit: "tables checksummed")) }
            }
        }
        log("checksummed \(checksums.tables.count) tables in \(clock.now - started) with \(plan.options.jobs) connections")
        return checksums
    }

    /// Reports every table compared and fails, naming the differences, unless `found` matches `expected`.
    func compare(_ found: TableChecksums, with expected: TableChecksums, reference: String = "the old primary") throws {
        for (table, entry) in found.tables.sorted(by: { $0.key < $1.key }) {
            let old = expected.tables[table]
            output(.tableVerified(verification: TableVerification(table: table, oldRows: old?.rows, newRows: entry.rows, matches: old == entry)))
        }
        let differences = found.differences(from: expected)
        guard differences.isEmpty else {
            throw AgentError("verify found \(differences.count) tables that differ from \(reference): " + differences.prefix(10).joined(separator: "; "))
        }
        log("\(found.tables.count) tables match \(reference) (row counts and content checksums)")
    }
}

extension ProgramControl {
    /// Polls `condition` every `interval` seconds until it holds, `seconds` pass, or this control is cancelled.
    func poll(upTo seconds: Double, every interval: Double, for what: String, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            try checkStopped()
            if try condition() { return }
            if Date() > deadline { throw AgentError("timed out after \(Int(seconds)) s waiting for \(what)") }
            Thread.sleep(forTimeInterval: interval)
        }
    }
}
