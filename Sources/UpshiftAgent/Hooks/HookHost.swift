import Foundation
import UpshiftLua
import UpshiftPlan
import UpshiftPostgres

/// Runs one Lua hook in a fresh sandbox with the `upshift.*` API bound to this host's PostgreSQL.
final class HookHost {
    private let plan: Plan
    private let host: PlanHost
    private let stepID: String
    private let runID: String
    private let emit: @Sendable (StepEventSink.Kind) -> Void
    private let limits: LuaLimits
    /// The hook's own control: cancelled with the step, and (it cancels itself) at the hook's wall-clock limit, which stops a
    /// program `exec` runs (its process group killed) and a query `sql` runs (cancelled on the server).
    private let control: ProgramControl
    /// The step's control: its cancel (a rollback, its deadline, the agent stopping) also stops pure Lua code.
    private let stepControl: ProgramControl
    private var connections: [String: PostgresConnection] = [:]

    init(plan: Plan, host: PlanHost, stepID: String, runID: String, limits: LuaLimits = LuaLimits(), control: ProgramControl,
         emit: @escaping @Sendable (StepEventSink.Kind) -> Void) {
        self.plan = plan
        self.host = host
        self.stepID = stepID
        self.runID = runID
        self.limits = limits
        self.control = control.child(deadline: .now + limits.wallClock, label: "hook")
        self.stepControl = control
        self.emit = emit
    }

    deinit {
        connections.values.forEach { $0.close() }
    }

    /// Runs the hook `source` (named `chunkName` in errors) with `with` as `ctx.with`.
    func run(source: String, chunkName: String, with: JSONValue) throws {
        let control = self.control
        let sandbox = LuaSandbox(limits: limits)
        let (interrupt, stepControl) = (sandbox.interrupt, self.stepControl)
        let registration = stepControl.onCancel { interrupt.request(reason: stepControl.stopReason ?? "the step was cancelled") }
        defer { stepControl.remove(registration) }
        sandbox.register("sql") { [unowned self] args in
            try control.checkStopped()
            return try self.sql(args)
        }
        sandbox.register("exec") { args in try HookExec.run(args, control: control) }
        sandbox.register("copy_table") { [unowned self] args in
            try control.checkStopped()
            return try self.copyTable(args)
        }
        sandbox.register("log") { [emit] args in
            let level = args.count > 1 ? (args[0].stringValue ?? "info") : "info"
            let message = (args.count > 1 ? args[1] : args.first ?? .nil).displayString
            emit(.log(level: level, message: message))
            return []
        }
        sandbox.register("progress") { [emit] args in
            guard let done = args.first?.doubleValue else { throw AgentError("upshift.progress(done, total, unit): done must be a number") }
            let total = args.count > 1 ? args[1].doubleValue : nil
            let unit = args.count > 2 ? (args[2].stringValue ?? "") : ""
            emit(.progress(done: done, total: total, unit: unit))
            return []
        }
        _ = try sandbox.runHook(source: source, chunkName: chunkName, argument: context(with: with))
    }

    private func context(with: JSONValue) -> LuaValue {
        var fields: [String: LuaValue] = [
            "step": .string(stepID),
            "host": .string(host.name),
            "role": .string(host.role.rawValue),
            "plan": .string(plan.name),
            "run": .string(runID),
            "pgdata": .string(host.pgdata),
            "port": .integer(Int64(host.port)),
            "vars": LuaValue(json: .object(plan.vars.mapValues { .string($0) })),
            "with": LuaValue(json: with),
        ]
        if let newPgdata = host.newPgdata { fields["new_pgdata"] = .string(newPgdata) }
        return .record(fields)
    }

    /// `upshift.sql(target, query, ...)`: rows back as a list of tables keyed by column, plus the affected-row count.
    private func sql(_ args: [LuaValue]) throws -> [LuaValue] {
        guard args.count >= 2, let target = args[0].stringValue, let query = args[1].stringValue else {
            throw AgentError("upshift.sql(target, query, ...): target and query must be strings")
        }
        let binds: [String?] = args.dropFirst(2).map(\.bindText)
        let connection = try connection(for: target)
        // Without binds the simple protocol runs it, so hooks can talk to consoles that speak only that
        // (PgBouncer's admin console) and send several statements at once.
        let result = binds.isEmpty ? try connection.simpleQuery(query) : try connection.query(query, binds)
        let rows: [LuaValue] = result.rows.map { row in
            var fields: [String: LuaValue] = [:]
            for (index, column) in result.columns.enumerated() {
                fields[column] = LuaValue(postgresText: row[index], typeOID: result.typeOIDs[index])
            }
            return .record(fields)
        }
        return [.list(rows), result.rowsAffected.map { .integer(Int64($0)) } ?? .nil]
    }

    /// `upshift.copy_table{…}`: the bulk copy of one table between two clusters, reporting rows as progress; returns its summary.
    private func copyTable(_ args: [LuaValue]) throws -> [LuaValue] {
        let targets = SQLTarget(plan: plan, host: host)
        let spec = try TableCopySpec(lua: args) { try targets.conninfo(for: $0) }
        let result = try TableCopy.run(spec, control: control) { rows, _, total in
            emit(.progress(done: Double(rows), total: total.map(Double.init), unit: "rows"))
        }
        return [result.luaValue]
    }

    private func connection(for target: String) throws -> PostgresConnection {
        if let open = connections[target] { return open }
        let conninfo = try SQLTarget(plan: plan, host: host).conninfo(for: target)
        let connection = try PostgresConnection(conninfo: conninfo)
        if let canceller = connection.makeCanceller() { control.onCancel { canceller.cancel() } }
        connections[target] = connection
        return connection
    }
}
