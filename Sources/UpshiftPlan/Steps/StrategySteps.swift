extension StepPlanner {
    /// pg_upgrade in place. Standbys are stopped only after the primary so they hold its last WAL, and a
    /// keep_old standby is detached only then, for the same reason: it is the rollback target.
    static func inplaceSteps(_ plan: Plan) -> [Step] {
        let all = plan.hostNames { _ in true }
        let primary = plan.hostNames { $0.role == .primary }
        let upgradedStandbys = plan.hostNames { $0.role == .standby && !$0.keepOld }
        let keptOld = plan.hostNames { $0.role == .standby && $0.keepOld }
        let rsync = plan.options.standbys == .rsync

        var steps = [
            builtin(.preflight, all),
            builtin(.initNew, primary),
            builtin(.stopPrimary, primary, downtime: .writesStop),
            builtin(.detachKeepOld, keptOld),
            builtin(.stopStandbys, upgradedStandbys, downtime: .readsStop),
            builtin(.pgUpgrade, primary),
        ]
        // The new primary starts fenced (read-only) and `verify` lifts the fence once its tables match the
        // old cluster's checksums (under `verify: structural`, once its catalog names every relation of the
        // old one), so nothing a client writes can blur the comparison: verify closes the
        // write window. Rsync'd standbys are copies of that state: `start-standbys` pauses their replay
        // once they hold everything the fenced primary has, so `verify-standbys` compares exactly that
        // state while writes already flow again, then lets replay go on. Basebackup standbys are built from
        // the verified primary afterwards. Under `verify: structural` no table content is compared, so the
        // standbys are neither held nor waited for: they start once writes flow again, outside the window.
        if rsync, plan.options.verify == .fenced {
            steps.append(builtin(.syncStandbys, upgradedStandbys))
            steps.append(builtin(.startPrimary, primary, pointOfNoReturn: true))
            steps.append(builtin(.startStandbys, upgradedStandbys, downtime: .readsResume))
            steps.append(builtin(.verify, primary, downtime: .writesResume))
            steps.append(builtin(.verifyStandbys, upgradedStandbys))
        } else if rsync {
            steps.append(builtin(.syncStandbys, upgradedStandbys))
            steps.append(builtin(.startPrimary, primary, pointOfNoReturn: true))
            steps.append(builtin(.verify, primary, downtime: .writesResume))
            steps.append(builtin(.startStandbys, upgradedStandbys, downtime: .readsResume))
            // `verify: online`: the content proof after the window, between references that outlive it: the
            // keep_old standby (the old primary's last state) and each upgraded standby, whose replay
            // `start-standbys` holds at the new primary's start until `verify-standbys` has compared it.
            if plan.options.verify == .online {
                steps.append(builtin(.checksumKeepOld, keptOld))
                steps.append(builtin(.verifyStandbys, upgradedStandbys))
            }
        } else {
            steps.append(builtin(.startPrimary, primary, pointOfNoReturn: true))
            steps.append(builtin(.verify, primary, downtime: .writesResume))
            steps.append(builtin(.basebackupStandbys, upgradedStandbys))
            steps.append(builtin(.startStandbys, upgradedStandbys, downtime: .readsResume))
        }
        if plan.options.statistics != "none" { steps.append(builtin(.statistics, primary)) }
        // (A loop, not `map` with `contains` passed as a function: Swift 6.3.1's optimizer crashes on that form
        // in release builds.)
        for index in steps.indices {
            if let builtin = steps[index].builtin { steps[index].isRerunnable = rerunnableInplaceSteps.contains(builtin) }
        }
        return steps
    }

    /// Blue/green over logical replication. The target primary's agent does the work (it reaches the source over
    /// libpq); preflight runs on both primaries, each checking its own side. The write window is `cutover` (the
    /// source fenced) to `switch` (writes let in on the target), the plan's point of no return; hooks that move
    /// traffic attach `before:cutover` (pause) and `after:switch` (repoint, resume). Under `verify: online` the
    /// content proof is `verify`, right after the switch.
    static func logicalSteps(_ plan: Plan) -> [Step] {
        let primaries = plan.hostNames { $0.role == .primary }
        let target = plan.hostNames { $0.cluster == .target && $0.role == .primary }
        var steps = [
            builtin(.preflight, primaries),
            builtin(.snapshot, target),
            builtin(.schemaPre, target),
            builtin(.data, target),
            builtin(.schemaPost, target),
            builtin(.subscribe, target),
            builtin(.cutover, target, downtime: .writesStop),
            builtin(.switchover, target, pointOfNoReturn: true, downtime: .writesResume),
        ]
        if plan.options.verify == .online { steps.append(builtin(.verify, target)) }
        // Past the switch there is no going back by rollback: a failed `post` (a foreign key some row breaks) is
        // mended by the DBA and asked again by `upshift resume RUN`.
        steps.append(builtin(.post, target).retryable)
        for index in steps.indices {
            if let builtin = steps[index].builtin { steps[index].isRerunnable = rerunnableLogicalSteps.contains(builtin) }
        }
        return steps
    }

    /// Logical steps an agent restart may run again: preflight only reads; subscribe creates what is missing and
    /// waits; switch lifts the target's fence again; post validates, analyzes and drops what is left.
    static let rerunnableLogicalSteps: Set<BuiltinStep> = [.preflight, .subscribe, .switchover, .post]

    /// In-place steps an agent restart may simply run again: preflight only reads; start-primary and
    /// start-standbys start what is not running and check it; verify compares and lifts the fence again;
    /// verify-standbys compares while replay is still held (or only resumes it once it passed); statistics
    /// analyzes again.
    static let rerunnableInplaceSteps: Set<BuiltinStep> = [.preflight, .startPrimary, .startStandbys, .verify, .verifyStandbys,
                                                           .checksumKeepOld, .statistics]

    private static func builtin(_ step: BuiltinStep, _ hosts: [String], pointOfNoReturn: Bool = false,
                                downtime: DowntimeMark = .none) -> Step {
        Step(id: step.id, hosts: hosts, action: .builtin(step), isPointOfNoReturn: pointOfNoReturn, downtime: downtime)
    }
}
