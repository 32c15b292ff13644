import Foundation
import UpshiftPlan
import UpshiftWire

/// The run logic: events in, actions out, no I/O. The runner carries the actions out.
///
/// Steps run in plan order; a step on several hosts runs on all of them at once and the next step waits
/// for every one of them (a barrier). The first failure stops the run; its outcome depends on whether
/// the failed step came before the plan's point of no return.
public struct RunStateMachine: Sendable {
    enum State: Sendable, Equatable {
        case idle
        case connecting(pending: Set<String>)
        case loadingPlan(pending: Set<String>)
        case running(index: Int, pending: Set<String>, failures: [String: String])
        /// Putting every host back on the old cluster after a failure before the point of no return.
        case rollingBack(reason: String, pending: Set<String>, failures: [String: String])
        /// Running the plan's `after:rollback` hooks, the old cluster back everywhere.
        case afterRollback(index: Int, reason: String, pending: Set<String>, failures: [String: String])
        case finished(RunOutcome)
    }

    /// The plan's expanded steps.
    public let steps: [Step]
    /// Every host the run talks to, in plan order.
    public let hosts: [String]
    /// The plan bundle's hash, checked against what each agent says it loaded.
    public let planSHA256: String
    /// Steps already finished on every host (a resumed run skips them).
    public private(set) var completed: Set<String>
    private(set) var state: State = .idle
    private var passedPointOfNoReturn = false
    /// Facts steps reported, handed to every later step.
    public private(set) var facts: RunFacts
    /// Hosts that run the `rollback` step when the run fails before its point of no return; empty for none.
    public let rollbackHosts: [String]
    /// A resumed run whose journal shows a rollback under way carries on with it, with this reason.
    private let rollbackUnderWay: String?
    /// The plan's `after:rollback` hook steps, run in order once every host has its old cluster back.
    public let afterRollbackSteps: [Step]
    /// How long to keep trying to re-attach to a host's running step over a lost link, in seconds.
    public let reattachSeconds: Int
    /// Hosts of the running step whose link was lost, being reconnected to re-attach to the step.
    private var reattaching: Set<String> = []

    /// A machine for `steps` over `hosts`; `completed` lists step ids a resumed run need not run again,
    /// and `facts` what they reported.
    public init(steps: [Step], hosts: [String], planSHA256: String, completed: Set<String> = [],
                facts: RunFacts = RunFacts(), rollbackHosts: [String] = [],
                rollbackUnderWay: String? = nil, afterRollbackSteps: [Step] = [], reattachSeconds: Int = 120) {
        self.reattachSeconds = reattachSeconds
        self.rollbackHosts = rollbackHosts
        self.afterRollbackSteps = afterRollbackSteps
        self.rollbackUnderWay = rollbackUnderWay
        self.steps = steps
        self.hosts = hosts
        self.planSHA256 = planSHA256
        self.completed = completed
        self.facts = facts
        // A run that journaled an agent's point-of-no-return fact is past it, whatever step it was in.
        self.passedPointOfNoReturn = steps.contains { completed.contains($0.id) && $0.isPointOfNoReturn }
            || facts.crossedPointOfNoReturn
    }

    /// True once the run has ended.
    public var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    /// Feeds one event in and returns what to do next, in order.
    public mutating func handle(_ event: RunEvent) -> [RunAction] {
        switch (state, event) {
        case (.idle, .start):
            state = .connecting(pending: Set(hosts))
            return [.journal(JournalRecord(kind: .runStarted, message: "\(steps.count) steps on \(hosts.count) hosts"))]
                + hosts.map { .connect(host: $0, retryForSeconds: 0) }

        case (.connecting(var pending), .connected(let host, let hello)):
            guard pending.contains(host) else { return [] }
            if hello.protocolVersion != wireProtocolVersion {
                return fail(before: "agent \(host) speaks protocol \(hello.protocolVersion), this coordinator \(wireProtocolVersion)", host: host)
            }
            if hello.agentName != host {
                return fail(before: "the agent at \(host)'s address says it is '\(hello.agentName)'", host: host)
            }
            pending.remove(host)
            let found = hello.postgres.map { "\($0.major)" }.joined(separator: ", ")
            var actions: [RunAction] = [
                .journal(JournalRecord(kind: .hostConnected, host: host, message: "PostgreSQL found: \(found.isEmpty ? "none" : found)")),
                .show(ProgressLine(host: host, text: "connected (\(hello.hostname); PostgreSQL \(found.isEmpty ? "none" : found))")),
            ]
            if pending.isEmpty {
                state = .loadingPlan(pending: Set(hosts))
                actions += hosts.map { .sendPlan(host: $0) }
            } else {
                state = .connecting(pending: pending)
            }
            return actions

        case (.connecting, .connectFailed(let host, let error)), (.loadingPlan, .connectFailed(let host, let error)):
            return fail(before: "cannot reach the agent of \(host): \(error)", host: host)

        case (.loadingPlan(var pending), .planLoaded(let host, let sha)):
            guard pending.contains(host) else { return [] }
            guard sha == planSHA256 else {
                return fail(before: "\(host) loaded plan \(sha.prefix(12)), expected \(planSHA256.prefix(12))", host: host)
            }
            pending.remove(host)
            var actions: [RunAction] = [.journal(JournalRecord(kind: .hostPlanLoaded, host: host))]
            if pending.isEmpty, let reason = rollbackUnderWay {
                actions += rollBack(because: reason)
            } else if pending.isEmpty {
                actions += advance(from: 0)
            } else {
                state = .loadingPlan(pending: pending)
            }
            return actions

        case (.running(let index, var pending, var failures), .step(let event)):
            let step = steps[index]
            guard event.stepID == step.id, pending.contains(event.host) else {
                return [.show(ProgressLine(host: event.host, stepID: event.stepID, text: "ignored a stray event", level: "warning"))]
            }
            switch event.kind {
            case .output(let output):
                facts.record(HostFact(host: event.host, output: output))
                return recorded(event) + (output.isPointOfNoReturn ? crossedPointOfNoReturn(on: event.host) : [])
            case .finished:
                pending.remove(event.host)
                return recorded(event) + afterHostReported(index: index, pending: pending, failures: failures)
            case .failed(let error, _):
                pending.remove(event.host)
                failures[event.host] = error
                return recorded(event) + afterHostReported(index: index, pending: pending, failures: failures)
            case .started, .log, .progress, .check, .journaled:
                return recorded(event)
            }

        case (.running(let index, let pending, _), .disconnected(let host, let error)) where reattachSeconds > 0:
            guard pending.contains(host) else {
                return [.show(ProgressLine(host: host, text: "connection lost: \(error)", level: "warning"))]
            }
            // The step goes on on the agent, which owns it: reconnect and re-attach rather than fail it.
            reattaching.insert(host)
            return [.journal(JournalRecord(kind: .hostLinkLost, step: steps[index].id, host: host, message: error)),
                    .show(ProgressLine(host: host, stepID: steps[index].id, text: "link lost (\(error)); re-attaching", level: "warning")),
                    .connect(host: host, retryForSeconds: reattachSeconds)]

        case (.running(let index, let pending, _), .connected(let host, let hello)) where reattaching.contains(host):
            guard hello.agentName == host, hello.protocolVersion == wireProtocolVersion, pending.contains(host) else {
                return handle(.connectFailed(host: host, error: "the agent at \(host)'s address says it is '\(hello.agentName)'"))
            }
            return [.journal(JournalRecord(kind: .hostReconnected, step: steps[index].id, host: host)), .sendPlan(host: host)]

        case (.running(let index, let pending, _), .planLoaded(let host, let sha)) where reattaching.contains(host):
            reattaching.remove(host)
            guard sha == planSHA256, pending.contains(host) else {
                return handle(.connectFailed(host: host, error: "\(host) loaded plan \(sha.prefix(12)), expected \(planSHA256.prefix(12))"))
            }
            // The agent answers for the same step of the same run: it re-attaches, or replays how it ended.
            return [.runStep(stepID: steps[index].id, hosts: [host], facts: facts.all)]

        case (.running(let index, var pending, var failures), .connectFailed(let host, let error)):
            reattaching.remove(host)
            guard pending.contains(host) else { return [] }
            let step = steps[index]
            pending.remove(host)
            failures[host] = "lost the link to its agent and could not re-attach within \(reattachSeconds) s: \(error)"
            return [
                .journal(JournalRecord(kind: .stepFailed, step: step.id, host: host, message: failures[host])),
                .show(ProgressLine(host: host, stepID: step.id, text: "failed: \(failures[host]!)", level: "error")),
            ] + afterHostReported(index: index, pending: pending, failures: failures)

        case (.running(let index, var pending, var failures), .disconnected(let host, let error)),
             (.running(let index, var pending, var failures), .refused(let host, let error)):
            guard pending.contains(host) else {
                return [.show(ProgressLine(host: host, text: "connection lost: \(error)", level: "warning"))]
            }
            let step = steps[index]
            pending.remove(host)
            failures[host] = error
            return [
                .journal(JournalRecord(kind: .stepFailed, step: step.id, host: host, message: error)),
                .show(ProgressLine(host: host, stepID: step.id, text: "failed: \(error)", level: "error")),
            ] + afterHostReported(index: index, pending: pending, failures: failures)

        case (.connecting, .disconnected(let host, let error)), (.loadingPlan, .disconnected(let host, let error)),
             (.connecting, .refused(let host, let error)), (.loadingPlan, .refused(let host, let error)):
            return fail(before: "\(host): \(error)", host: host)

        case (.rollingBack(let reason, var pending, var failures), .step(let event)) where event.stepID == BuiltinStep.rollback.id:
            guard pending.contains(event.host) else { return [] }
            switch event.kind {
            case .finished(let ms):
                pending.remove(event.host)
                state = .rollingBack(reason: reason, pending: pending, failures: failures)
                return [.journal(JournalRecord(kind: .stepFinished, step: BuiltinStep.rollback.id, host: event.host, at: event.at, durationMS: ms)),
                        .show(ProgressLine(host: event.host, stepID: BuiltinStep.rollback.id, text: "old cluster back in \(seconds(ms))"))]
                    + afterRollbackReport()
            case .failed(let error, let ms):
                pending.remove(event.host)
                failures[event.host] = error
                state = .rollingBack(reason: reason, pending: pending, failures: failures)
                return [.journal(JournalRecord(kind: .stepFailed, step: BuiltinStep.rollback.id, host: event.host, at: event.at, message: error, durationMS: ms)),
                        .show(ProgressLine(host: event.host, stepID: BuiltinStep.rollback.id, text: "rollback failed: \(error)", level: "error"))]
                    + afterRollbackReport()
            case .started, .log, .progress, .output, .check, .journaled:
                return handleRollbackDetail(event)
            }

        case (.rollingBack(_, let pending, _), .disconnected(let host, let error)):
            guard pending.contains(host) else { return [] }
            return [.show(ProgressLine(host: host, stepID: BuiltinStep.rollback.id, text: "\(error); reconnecting to roll back", level: "warning")),
                    .connect(host: host, retryForSeconds: max(reattachSeconds, 30))]

        case (.rollingBack, .refused(let host, let error)):
            // A refusal is the agent's answer, not a lost link: asking again would get the same one.
            return rollbackFailed(on: host, "refused: \(error)")

        case (.rollingBack, .connectFailed(let host, let error)):
            return rollbackFailed(on: host, "unreachable: \(error)")

        case (.rollingBack(_, let pending, _), .connected(let host, _)):
            return pending.contains(host) ? [.sendPlan(host: host)] : []

        case (.rollingBack(_, let pending, _), .planLoaded(let host, _)):
            return pending.contains(host) ? [.runStep(stepID: BuiltinStep.rollback.id, hosts: [host], facts: facts.all)] : []

        case (.afterRollback(let index, let reason, var pending, var failures), .step(let event)):
            let step = afterRollbackSteps[index]
            guard event.stepID == step.id, pending.contains(event.host) else { return [] }
            switch event.kind {
            case .finished:
                pending.remove(event.host)
                state = .afterRollback(index: index, reason: reason, pending: pending, failures: failures)
                return recorded(event) + afterRollbackHookReported()
            case .failed(let error, _):
                pending.remove(event.host)
                failures[event.host] = error
                state = .afterRollback(index: index, reason: reason, pending: pending, failures: failures)
                return recorded(event) + afterRollbackHookReported()
            case .started, .log, .progress, .output, .check, .journaled:
                return recorded(event)
            }

        case (.afterRollback(let index, let reason, var pending, var failures), .disconnected(let host, let error)),
             (.afterRollback(let index, let reason, var pending, var failures), .refused(let host, let error)):
            guard pending.contains(host) else { return [] }
            let step = afterRollbackSteps[index]
            pending.remove(host)
            failures[host] = error
            state = .afterRollback(index: index, reason: reason, pending: pending, failures: failures)
            return [.journal(JournalRecord(kind: .stepFailed, step: step.id, host: host, message: error))] + afterRollbackHookReported()

        case (.finished, _):
            return []

        default:
            return [.show(ProgressLine(text: "unexpected \(event) in \(state)", level: "warning"))]
        }
    }

    /// The journal line and the operator's line for one step event (an output is journaled only).
    private func recorded(_ event: StepEvent) -> [RunAction] {
        let step = event.stepID, host = event.host
        switch event.kind {
        case .started:
            return [.journal(JournalRecord(kind: .stepStarted, step: step, host: host, at: event.at)),
                    .show(ProgressLine(host: host, stepID: step, text: "started", kind: .started))]
        case .log(let level, let message):
            return [.journal(JournalRecord(kind: .stepLog, step: step, host: host, at: event.at, message: message, level: level)),
                    .show(ProgressLine(host: host, stepID: step, text: message, level: level, kind: .log))]
        case .progress(let done, let total, let unit):
            let figure = total.map { "\(format(done))/\(format($0)) \(unit)" } ?? "\(format(done)) \(unit)"
            return [.journal(JournalRecord(kind: .stepProgress, step: step, host: host, at: event.at, done: done, total: total, unit: unit)),
                    .show(ProgressLine(host: host, stepID: step, text: figure, kind: .progress, done: done, total: total, unit: unit))]
        case .output(let output):
            return [.journal(JournalRecord(kind: .stepOutput, step: step, host: host, at: event.at, output: output))]
        case .check(let check):
            let text = "\(check.verdict.rawValue.uppercased()) \(check.name): \(check.detail)" + (check.remedy.map { " — \($0)" } ?? "")
            return [.journal(JournalRecord(kind: .stepCheck, step: step, host: host, at: event.at, message: text, check: check)),
                    .show(ProgressLine(host: host, stepID: step, text: text,
                                       level: check.verdict == .fail ? "error" : check.verdict == .warn ? "warning" : "info", kind: .check))]
        case .finished(let ms):
            return [.journal(JournalRecord(kind: .stepFinished, step: step, host: host, at: event.at, durationMS: ms)),
                    .show(ProgressLine(host: host, stepID: step, text: "finished in \(seconds(ms))", kind: .finished))]
        case .failed(let error, let ms):
            return [.journal(JournalRecord(kind: .stepFailed, step: step, host: host, at: event.at, message: error, durationMS: ms)),
                    .show(ProgressLine(host: host, stepID: step, text: "failed: \(error)", level: "error", kind: .failed))]
        case .journaled:
            return []
        }
    }

    /// Called when a host has reported on the running step: waits for the rest, then moves on or stops.
    private mutating func afterHostReported(index: Int, pending: Set<String>, failures: [String: String]) -> [RunAction] {
        guard pending.isEmpty else {
            state = .running(index: index, pending: pending, failures: failures)
            return []
        }
        let step = steps[index]
        if !failures.isEmpty {
            let reason = failures.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
            let why = "step \(step.id) failed on \(reason)"
            if passedPointOfNoReturn { return finish(.failedAfterPointOfNoReturn, reason: why) }
            return rollBack(because: why)
        }
        completed.insert(step.id)
        if step.isPointOfNoReturn { passedPointOfNoReturn = true }
        return advance(from: index + 1)
    }

    /// Asks every host to put its old cluster back, or fails plainly when the plan has no rollback.
    private mutating func rollBack(because reason: String) -> [RunAction] {
        guard !rollbackHosts.isEmpty else { return finish(.failed, reason: reason) }
        state = .rollingBack(reason: reason, pending: Set(rollbackHosts), failures: [:])
        return [
            .journal(JournalRecord(kind: .runRollback, message: reason)),
            .show(ProgressLine(stepID: BuiltinStep.rollback.id, text: "rolling back to the old cluster: \(reason)", level: "warning")),
            .runStep(stepID: BuiltinStep.rollback.id, hosts: rollbackHosts, facts: facts.all),
        ]
    }

    /// The rollback could not be done on `host`: journaled, and the run ends once every host has reported.
    private mutating func rollbackFailed(on host: String, _ why: String) -> [RunAction] {
        guard case .rollingBack(let reason, var pending, var failures) = state, pending.contains(host) else { return [] }
        pending.remove(host)
        failures[host] = why
        state = .rollingBack(reason: reason, pending: pending, failures: failures)
        return [.journal(JournalRecord(kind: .stepFailed, step: BuiltinStep.rollback.id, host: host, message: why))] + afterRollbackReport()
    }

    private mutating func afterRollbackReport() -> [RunAction] {
        guard case .rollingBack(let reason, let pending, let failures) = state, pending.isEmpty else { return [] }
        if passedPointOfNoReturn {
            let refused = failures.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
            return finish(.failedAfterPointOfNoReturn, reason: "\(reason); the new primary had already been allowed to start, "
                          + "so the old cluster was not started again" + (refused.isEmpty ? "" : " (\(refused))"))
        }
        if failures.isEmpty { return runAfterRollbackHook(0, reason: reason) }
        let broken = failures.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
        return finish(.failed, reason: "\(reason); ROLLBACK FAILED on \(broken): check those hosts by hand")
    }

    /// Asks for the `after:rollback` hook at `index`, or ends the run as rolled back when none is left.
    private mutating func runAfterRollbackHook(_ index: Int, reason: String) -> [RunAction] {
        guard index < afterRollbackSteps.count else { return finish(.rolledBack, reason: reason) }
        let step = afterRollbackSteps[index]
        state = .afterRollback(index: index, reason: reason, pending: Set(step.hosts), failures: [:])
        return [.journal(JournalRecord(kind: .stepRequested, step: step.id, message: step.hosts.joined(separator: ","))),
                .runStep(stepID: step.id, hosts: step.hosts, facts: facts.all)]
    }

    /// Called when a host has reported on an `after:rollback` hook: the next one, or the end. A failed hook
    /// does not undo the rollback: the run still ends rolled back, and says which hook failed.
    private mutating func afterRollbackHookReported() -> [RunAction] {
        guard case .afterRollback(let index, var reason, let pending, let failures) = state, pending.isEmpty else { return [] }
        if !failures.isEmpty {
            let broken = failures.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
            reason += "; hook \(afterRollbackSteps[index].id) failed on \(broken)"
        }
        return runAfterRollbackHook(index + 1, reason: reason)
    }

    private mutating func handleRollbackDetail(_ event: StepEvent) -> [RunAction] {
        switch event.kind {
        case .output(let output) where output.isPointOfNoReturn:
            facts.record(HostFact(host: event.host, output: output))
            return recorded(event) + crossedPointOfNoReturn(on: event.host)
        case .log(let level, let message):
            return [.journal(JournalRecord(kind: .stepLog, step: BuiltinStep.rollback.id, host: event.host, at: event.at, message: message, level: level)),
                    .show(ProgressLine(host: event.host, stepID: BuiltinStep.rollback.id, text: message, level: level))]
        case .started:
            return [.journal(JournalRecord(kind: .stepStarted, step: BuiltinStep.rollback.id, host: event.host, at: event.at))]
        default:
            return []
        }
    }

    /// An agent journaled that its new primary may start: from here on nothing rolls back automatically.
    private mutating func crossedPointOfNoReturn(on host: String) -> [RunAction] {
        guard !passedPointOfNoReturn else { return [] }
        passedPointOfNoReturn = true
        return [.journal(JournalRecord(kind: .runPointOfNoReturn, host: host)),
                .show(ProgressLine(host: host, text: "past the point of no return: the new primary may start", level: "warning"))]
    }

    /// Starts the first step at or after `index` not already completed, or finishes the run.
    private mutating func advance(from index: Int) -> [RunAction] {
        var next = index
        while next < steps.count, completed.contains(steps[next].id) { next += 1 }
        guard next < steps.count else { return finish(.done, reason: nil) }
        let step = steps[next]
        state = .running(index: next, pending: Set(step.hosts), failures: [:])
        var actions: [RunAction] = []
        if step.isPointOfNoReturn {
            actions.append(.show(ProgressLine(stepID: step.id, text: "point of no return: \(step.id)", level: "warning")))
        }
        actions.append(.journal(JournalRecord(kind: .stepRequested, step: step.id, message: step.hosts.joined(separator: ","))))
        actions.append(.runStep(stepID: step.id, hosts: step.hosts, facts: facts.all))
        return actions
    }

    private mutating func fail(before reason: String, host: String) -> [RunAction] {
        finish(.failed, reason: reason)
    }

    private mutating func finish(_ outcome: RunOutcome, reason: String?) -> [RunAction] {
        state = .finished(outcome)
        return [
            .journal(JournalRecord(kind: .runFinished, message: reason, outcome: outcome)),
            .finish(outcome, reason: reason),
        ]
    }
}

private func format(_ value: Double) -> String {
    value.rounded() == value ? String(Int(value)) : String(format: "%.1f", value)
}

private func seconds(_ ms: Int) -> String {
    String(format: "%.2fs", Double(ms) / 1000)
}
