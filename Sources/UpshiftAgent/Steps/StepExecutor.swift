import Foundation
import UpshiftLua
import UpshiftPlan
import UpshiftPostgres
import UpshiftWire

/// Carries out one expanded step of the plan on this host.
struct StepExecutor {
    let plan: Plan
    let hookSources: [String: String]
    let host: PlanHost
    let request: StepRequest
    let stateDirectory: String
    let limits: LuaLimits
    /// The step's owner: cancels it, bounds it by its deadline.
    let control: ProgramControl
    /// The agent's journal, for the point of no return.
    let journal: AgentJournal
    var runID: String { request.runID }

    /// Runs `step`, reporting through `emit`; throws what made it fail.
    func run(_ step: Step, emit: @escaping @Sendable (StepEventSink.Kind) -> Void) throws {
        switch step.action {
        case .hook(let run, let with):
            guard let source = hookSources[run] else {
                throw AgentError("hook \(run) is not in the plan bundle")
            }
            // A hook the plan gives a deadline (`step_timeouts:` by its step id, e.g. `after:data/bulk_copy`) may run that
            // long: a bulk copy of a large table outlasts the default wall-clock limit.
            var limits = self.limits
            if let seconds = plan.options.stepTimeoutsS[step.id] { limits.wallClock = .seconds(seconds) }
            let hookHost = HookHost(plan: plan, host: host, stepID: step.id, runID: runID, limits: limits, control: control, emit: emit)
            try hookHost.run(source: source, chunkName: run, with: with)
        case .sql(let target, let query):
            let conninfo = try SQLTarget(plan: plan, host: host).conninfo(for: target)
            let connection = try PostgresConnection(conninfo: conninfo)
            defer { connection.close() }
            if let canceller = connection.makeCanceller() { control.onCancel { canceller.cancel() } }
            try connection.execute(query)
            emit(.log(level: "info", message: "SQL ran on \(target)"))
        case .builtin(let builtin):
            let ledger = PointOfNoReturnLedger(journal: journal, request: request)
            switch plan.strategy {
            case .inplace:
                try InplaceContext(plan: plan, host: host, request: request, stateDirectory: stateDirectory, emit: emit,
                                   control: control, pointOfNoReturn: ledger).run(builtin)
            case .logical:
                try LogicalContext(plan: plan, host: host, request: request, stateDirectory: stateDirectory, emit: emit,
                                   control: control, pointOfNoReturn: ledger).run(builtin)
            case .custom:
                throw AgentError("a custom runbook has no built-in step \(builtin.id)")
            }
        }
    }
}
