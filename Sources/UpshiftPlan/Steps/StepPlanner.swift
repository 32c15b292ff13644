/// Expands a plan into its ordered steps (pure: no I/O).
public enum StepPlanner {
    /// Every step of the plan in run order: the strategy's steps with the hooks inserted around them.
    public static func steps(for plan: Plan) -> [Step] {
        let base = strategySteps(plan.strategy, plan: plan)
        let names = hookNames(plan.hooks)
        var result: [Step] = []
        for step in base {
            for (hook, name) in zip(plan.hooks, names) where hook.at == HookPoint(timing: .before, stepID: step.id) {
                result.append(hookStep(hook, name: name, attachedTo: step, plan: plan))
            }
            result.append(step)
            for (hook, name) in zip(plan.hooks, names) where hook.at == HookPoint(timing: .after, stepID: step.id) {
                result.append(hookStep(hook, name: name, attachedTo: step, plan: plan))
            }
        }
        return result
    }

    /// `rollback`, no step of the plan's run: asked of every host when a run fails before its point of no return
    /// (in place: the old cluster started again; logical: each primary drops what the run made on it and the
    /// source takes writes again); nil for custom runbooks.
    public static func rollbackStep(for plan: Plan) -> Step? {
        switch plan.strategy {
        case .inplace:
            return Step(id: BuiltinStep.rollback.id, hosts: plan.hosts.map(\.name), action: .builtin(.rollback)).retryable
        case .logical:
            return Step(id: BuiltinStep.rollback.id, hosts: plan.hostNames { $0.role == .primary }, action: .builtin(.rollback)).retryable
        case .custom:
            return nil
        }
    }

    /// The steps `upshift rollback RUN` (`rollbackToSource`) or `upshift finish RUN` (`finish`) runs after a
    /// logical switch, on the target primary, with the hooks the plan attaches before and after it
    /// (`before:rollback-to-source` pauses traffic, `after:rollback-to-source` moves it back); nil for other strategies.
    public static func afterSwitchSteps(_ builtin: BuiltinStep, for plan: Plan) -> [Step]? {
        guard plan.strategy == .logical, builtin == .rollbackToSource || builtin == .finish else { return nil }
        let step = Step(id: builtin.id, hosts: plan.hostNames { $0.cluster == .target && $0.role == .primary },
                        action: .builtin(builtin)).retryable
        let named = zip(plan.hooks, hookNames(plan.hooks))
        let hooks = { (timing: HookTiming) in
            named.filter { $0.0.at == HookPoint(timing: timing, stepID: builtin.id) }.map { hookStep($0.0, name: $0.1, attachedTo: step, plan: plan).retryable }
        }
        return hooks(.before) + [step] + hooks(.after)
    }

    /// The hooks a plan attaches `after:rollback`, as steps run once the old cluster is back on every host
    /// (resuming a paused PgBouncer, telling people); on every host unless `on:` says otherwise.
    public static func rollbackHookSteps(for plan: Plan) -> [Step] {
        guard let rollback = rollbackStep(for: plan) else { return [] }
        let point = HookPoint(timing: .after, stepID: BuiltinStep.rollback.id)
        return zip(plan.hooks, hookNames(plan.hooks)).filter { $0.0.at == point }
            .map { hookStep($0.0, name: $0.1, attachedTo: rollback, plan: plan).retryable }
    }

    /// The step ids `strategy` gives this plan (steps without hosts left out): what hook `at:` may name.
    public static func strategyStepIDs(_ strategy: Strategy, plan: Plan) -> [String] {
        strategySteps(strategy, plan: plan).map(\.id)
    }

    static func strategySteps(_ strategy: Strategy, plan: Plan) -> [Step] {
        let steps: [Step]
        switch strategy {
        case .inplace: steps = inplaceSteps(plan)
        case .logical: steps = logicalSteps(plan)
        case .custom: steps = customSteps(plan)
        }
        return steps.filter { !$0.hosts.isEmpty }
    }

    private static func hookStep(_ hook: HookSpec, name: String, attachedTo step: Step, plan: Plan) -> Step {
        let hosts = hook.on.flatMap { plan.hosts(matching: $0) } ?? step.hosts
        return Step(id: "\(hook.at.timing.rawValue):\(step.id)/\(name)", hosts: hosts,
                    action: .hook(run: hook.run, with: hook.with))
    }

    /// The hook file's base name without extension; `-2`, `-3`… when several hooks share one, skipping names
    /// already given (a file may be called `notify-2.lua`): agents look steps up by id, so each must be unique.
    static func hookNames(_ hooks: [HookSpec]) -> [String] {
        var seen: [String: Int] = [:]
        var given: Set<String> = []
        return hooks.map { hook in
            let file = hook.run.split(separator: "/").last.map(String.init) ?? hook.run
            let base = file.contains(".") && !file.hasPrefix(".") ? String(file[..<file.lastIndex(of: ".")!]) : file
            var name = base
            while !given.insert(name).inserted {
                seen[base, default: 1] += 1
                name = "\(base)-\(seen[base]!)"
            }
            return name
        }
    }

    private static func customSteps(_ plan: Plan) -> [Step] {
        plan.steps.map { spec in
            let hosts = spec.on.flatMap { plan.hosts(matching: $0) } ?? plan.hosts.map(\.name)
            let action: StepAction = spec.sql.map { .sql(target: spec.target ?? "old", query: $0) }
                ?? .hook(run: spec.run ?? "", with: spec.with)
            return Step(id: spec.id, hosts: hosts, action: action, isPointOfNoReturn: spec.pointOfNoReturn,
                        downtime: spec.downtime)
        }
    }
}
