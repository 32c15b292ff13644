import Yams

extension PlanDecoder {
    /// Hook `at:` against the strategy's step ids, and every `on:` against roles, clusters and host names.
    func checkReferences(in plan: inout Plan) {
        let ids = StepPlanner.strategyStepIDs(plan.strategy, plan: plan)
        for draft in hookDrafts {
            let id = draft.spec.at.stepID
            let afterRun: [BuiltinStep] = plan.strategy == .logical ? [.rollback, .rollbackToSource, .finish]
                : plan.strategy == .inplace ? [.rollback] : []
            if let step = BuiltinStep(rawValue: id), afterRun.contains(step) {
                // A rollback starts at once; `upshift rollback`/`finish` are the DBA's own moves, so hooks may go before them.
                if draft.spec.at.timing == .before, step == .rollback {
                    context.error(at: draft.atNode, "'at: before:\(id)' is not a hook point: it starts at once; use 'after:\(id)'")
                }
            } else if !ids.contains(id) {
                let close = Suggestions.close(to: id, in: ids)
                let hint = close.isEmpty ? "its steps are: \(ids.joined(separator: ", "))"
                    : "did you mean \(Suggestions.quotedList(close))?"
                context.error(at: draft.atNode,
                              "'at' names step '\(id)', which this \(plan.strategy.rawValue) plan does not have; \(hint)")
            }
            if let on = draft.spec.on { checkOn(on, node: draft.onNode, plan: plan) }
        }
        for draft in stepDrafts {
            if let on = draft.spec.on { checkOn(on, node: draft.onNode, plan: plan) }
        }
    }

    private func checkOn(_ on: String, node: Node?, plan: Plan) {
        guard let hosts = plan.hosts(matching: on) else {
            let words = plan.onKeywords
            let hint = Suggestions.didYouMean(on, in: words + plan.hosts.map(\.name))
            context.error(at: node,
                          "'on' names neither a role (\(words.joined(separator: ", "))) nor a host: '\(on)'\(hint)")
            return
        }
        if hosts.isEmpty {
            context.error(at: node, "'on: \(on)' matches no host in this plan")
        }
    }
}
