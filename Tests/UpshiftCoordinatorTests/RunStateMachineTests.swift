import Foundation
import Testing
@testable import UpshiftCoordinator
import UpshiftPlan
import UpshiftWire

/// The run logic, driven event by event: no sockets, no sleeps.
struct RunStateMachineTests {
    static let sha = String(repeating: "ab", count: 32)

    static func step(_ id: String, _ hosts: [String], pointOfNoReturn: Bool = false) -> Step {
        Step(id: id, hosts: hosts, action: .hook(run: "\(id).lua", with: .null), isPointOfNoReturn: pointOfNoReturn, downtime: .none)
    }

    static func hello(_ name: String) -> AgentHello {
        AgentHello(agentName: name, hostname: "h-\(name)", postgres: [FoundPostgres(major: 15, version: "15.18", bindir: "/pg/15/bin")])
    }

    static func event(_ step: String, _ host: String, _ kind: StepEventKind) -> RunEvent {
        .step(StepEvent(runID: "r1", stepID: step, host: host, at: Date(timeIntervalSince1970: 0), kind: kind))
    }

    /// A machine that has connected and loaded the plan everywhere, so its first step has been requested.
    static func started(_ steps: [Step], hosts: [String] = ["db1", "db2"], completed: Set<String> = []) -> (RunStateMachine, [RunAction]) {
        var machine = RunStateMachine(steps: steps, hosts: hosts, planSHA256: sha, completed: completed)
        _ = machine.handle(.start)
        for host in hosts { _ = machine.handle(.connected(host: host, hello: hello(host))) }
        var last: [RunAction] = []
        for host in hosts { last = machine.handle(.planLoaded(host: host, sha256: sha)) }
        return (machine, last)
    }

    static func requested(_ actions: [RunAction]) -> [String] {
        actions.compactMap { if case .runStep(let id, _, _) = $0 { id } else { nil } }
    }

    static func outcome(_ actions: [RunAction]) -> RunOutcome? {
        actions.compactMap { if case .finish(let outcome, _) = $0 { outcome } else { nil } }.first
    }

    @Test func connectsEverywhereThenShipsThePlanOnlyWhenAllAnswered() {
        var machine = RunStateMachine(steps: [Self.step("a", ["db1"])], hosts: ["db1", "db2"], planSHA256: Self.sha)
        let start = machine.handle(.start)
        #expect(start.filter { if case .connect = $0 { true } else { false } }.count == 2)
        let first = machine.handle(.connected(host: "db1", hello: Self.hello("db1")))
        #expect(!first.contains { if case .sendPlan = $0 { true } else { false } })
        let second = machine.handle(.connected(host: "db2", hello: Self.hello("db2")))
        #expect(second.contains(.sendPlan(host: "db1")) && second.contains(.sendPlan(host: "db2")))
    }

    @Test func aStepOnSeveralHostsWaitsForAllOfThemBeforeTheNext() {
        var (machine, first) = Self.started([Self.step("a", ["db1", "db2"]), Self.step("b", ["db1"])])
        #expect(Self.requested(first) == ["a"])
        #expect(Self.requested(machine.handle(Self.event("a", "db1", .finished(durationMS: 5)))) == [])
        #expect(Self.requested(machine.handle(Self.event("a", "db2", .finished(durationMS: 7)))) == ["b"])
        let end = machine.handle(Self.event("b", "db1", .finished(durationMS: 1)))
        #expect(Self.outcome(end) == .done)
        #expect(machine.isFinished)
    }

    @Test func aFailureBeforeThePointOfNoReturnIsExitOneAndStopsTheRun() {
        var (machine, _) = Self.started([Self.step("a", ["db1", "db2"]), Self.step("b", ["db1"], pointOfNoReturn: true)])
        _ = machine.handle(Self.event("a", "db1", .failed(error: "boom", durationMS: 3)))
        let end = machine.handle(Self.event("a", "db2", .finished(durationMS: 3)))
        #expect(Self.requested(end) == [])
        #expect(Self.outcome(end) == .failed)
        #expect(Self.outcome(end)?.exitCode == 1)
        #expect(end.contains { if case .finish(_, let reason) = $0 { reason?.contains("db1: boom") ?? false } else { false } })
    }

    @Test func aFailureAfterThePointOfNoReturnIsExitThree() {
        var (machine, _) = Self.started([Self.step("start", ["db1"], pointOfNoReturn: true), Self.step("after", ["db2"])])
        #expect(Self.requested(machine.handle(Self.event("start", "db1", .finished(durationMS: 1)))) == ["after"])
        let end = machine.handle(Self.event("after", "db2", .failed(error: "x", durationMS: 1)))
        #expect(Self.outcome(end) == .failedAfterPointOfNoReturn)
        #expect(Self.outcome(end)?.exitCode == 3)
    }

    @Test func aLostLinkIsReconnectedAndReattachedToTheStepTheAgentStillRuns() {
        var (machine, _) = Self.started([Self.step("a", ["db1", "db2"]), Self.step("b", ["db1"])])
        _ = machine.handle(Self.event("a", "db1", .finished(durationMS: 1)))
        let lost = machine.handle(.disconnected(host: "db2", error: "connection reset"))
        #expect(Self.outcome(lost) == nil, "the step goes on on the agent")
        #expect(lost.contains(.connect(host: "db2", retryForSeconds: 120)))
        let back = machine.handle(.connected(host: "db2", hello: Self.hello("db2")))
        #expect(back.contains(.sendPlan(host: "db2")))
        // The same step of the same run is asked for again: the agent re-attaches or replays how it ended.
        #expect(Self.requested(machine.handle(.planLoaded(host: "db2", sha256: Self.sha))) == ["a"])
        _ = machine.handle(Self.event("a", "db2", .output(.shutdownCheckpoint(lsn: "0/3000028"))))
        #expect(Self.requested(machine.handle(Self.event("a", "db2", .finished(durationMS: 9)))) == ["b"])
        #expect(machine.facts.all == [HostFact(host: "db2", output: .shutdownCheckpoint(lsn: "0/3000028"))])
    }

    @Test func aHostThatCannotBeReattachedInTimeFailsTheStep() {
        var (machine, _) = Self.started([Self.step("a", ["db1", "db2"])])
        _ = machine.handle(Self.event("a", "db1", .finished(durationMS: 1)))
        _ = machine.handle(.disconnected(host: "db2", error: "connection reset"))
        let end = machine.handle(.connectFailed(host: "db2", error: "connection refused"))
        #expect(Self.outcome(end) == .failed)
        #expect(end.contains { if case .finish(_, let reason) = $0 { reason?.contains("could not re-attach within 120 s") ?? false } else { false } })
    }

    @Test func withoutAReattachWindowALostLinkFailsTheStep() {
        var machine = RunStateMachine(steps: [Self.step("a", ["db1"])], hosts: ["db1"], planSHA256: Self.sha, reattachSeconds: 0)
        _ = machine.handle(.start)
        _ = machine.handle(.connected(host: "db1", hello: Self.hello("db1")))
        _ = machine.handle(.planLoaded(host: "db1", sha256: Self.sha))
        #expect(Self.outcome(machine.handle(.disconnected(host: "db1", error: "reset"))) == .failed)
    }

    @Test func completedStepsAreNotRunAgain() {
        let (_, first) = Self.started([Self.step("a", ["db1"]), Self.step("b", ["db2"])], completed: ["a"])
        #expect(Self.requested(first) == ["b"])
    }

    @Test func anAgentThatIsNotTheHostItShouldBeFailsTheRunBeforeAnythingRuns() {
        var machine = RunStateMachine(steps: [Self.step("a", ["db1"])], hosts: ["db1"], planSHA256: Self.sha)
        _ = machine.handle(.start)
        let actions = machine.handle(.connected(host: "db1", hello: Self.hello("db9")))
        #expect(Self.outcome(actions) == .failed)
        #expect(Self.requested(actions) == [])
    }

    @Test func anAgentHoldingAnotherPlanFailsTheRun() {
        var machine = RunStateMachine(steps: [Self.step("a", ["db1"])], hosts: ["db1"], planSHA256: Self.sha)
        _ = machine.handle(.start)
        _ = machine.handle(.connected(host: "db1", hello: Self.hello("db1")))
        let actions = machine.handle(.planLoaded(host: "db1", sha256: "ff"))
        #expect(Self.outcome(actions) == .failed)
    }

    @Test func everyStepEventIsJournaledBeforeTheRunMovesOn() {
        var (machine, first) = Self.started([Self.step("a", ["db1"])], hosts: ["db1"])
        #expect(first.contains { if case .journal(let r) = $0 { r.kind == .stepRequested } else { false } })
        let progress = machine.handle(Self.event("a", "db1", .progress(done: 5, total: 10, unit: "rows")))
        #expect(progress.contains { if case .journal(let r) = $0 { r.kind == .stepProgress && r.done == 5 } else { false } })
        let end = machine.handle(Self.event("a", "db1", .finished(durationMS: 9)))
        let kinds = end.compactMap { if case .journal(let r) = $0 { r.kind } else { nil } }
        #expect(kinds == [.stepFinished, .runFinished])
    }
}

/// Failures before the point of no return put every host back on the old cluster.
struct RollbackTests {
    typealias T = RunStateMachineTests

    static func started(rollback: [String]) -> RunStateMachine {
        var machine = RunStateMachine(steps: [T.step("a", ["db1", "db2"]), T.step("start", ["db1"], pointOfNoReturn: true)],
                                      hosts: ["db1", "db2"], planSHA256: T.sha, rollbackHosts: rollback)
        _ = machine.handle(.start)
        for host in ["db1", "db2"] { _ = machine.handle(.connected(host: host, hello: T.hello(host))) }
        for host in ["db1", "db2"] { _ = machine.handle(.planLoaded(host: host, sha256: T.sha)) }
        return machine
    }

    @Test func aFailureBeforeThePointOfNoReturnRollsEveryHostBack() {
        var machine = Self.started(rollback: ["db1", "db2"])
        _ = machine.handle(T.event("a", "db1", .finished(durationMS: 1)))
        let failed = machine.handle(T.event("a", "db2", .failed(error: "pg_upgrade failed", durationMS: 1)))
        #expect(failed.contains(.runStep(stepID: "rollback", hosts: ["db1", "db2"], facts: [])))
        #expect(T.outcome(failed) == nil)
        #expect(T.outcome(machine.handle(T.event("rollback", "db1", .finished(durationMS: 5)))) == nil)
        let end = machine.handle(T.event("rollback", "db2", .finished(durationMS: 5)))
        #expect(T.outcome(end) == .rolledBack)
        #expect(T.outcome(end)?.exitCode == 1)
    }

    @Test func afterRollbackHooksRunInOrderOnceEveryHostIsBackAndAFailedOneIsNamed() {
        let hooks = [Step(id: "after:rollback/resume", hosts: ["db1"], action: .hook(run: "r.lua", with: .null)),
                     Step(id: "after:rollback/notify", hosts: ["db1", "db2"], action: .hook(run: "n.lua", with: .null))]
        var machine = RunStateMachine(steps: [T.step("a", ["db1", "db2"])], hosts: ["db1", "db2"], planSHA256: T.sha,
                                      rollbackHosts: ["db1", "db2"], afterRollbackSteps: hooks)
        _ = machine.handle(.start)
        for host in ["db1", "db2"] { _ = machine.handle(.connected(host: host, hello: T.hello(host))) }
        for host in ["db1", "db2"] { _ = machine.handle(.planLoaded(host: host, sha256: T.sha)) }
        _ = machine.handle(T.event("a", "db1", .failed(error: "pg_upgrade failed", durationMS: 1)))
        _ = machine.handle(T.event("a", "db2", .finished(durationMS: 1)))
        _ = machine.handle(T.event("rollback", "db1", .finished(durationMS: 1)))
        let back = machine.handle(T.event("rollback", "db2", .finished(durationMS: 1)))
        #expect(T.requested(back) == ["after:rollback/resume"] && T.outcome(back) == nil)
        let next = machine.handle(T.event("after:rollback/resume", "db1", .failed(error: "admin console refused", durationMS: 1)))
        #expect(T.requested(next) == ["after:rollback/notify"])
        _ = machine.handle(T.event("after:rollback/notify", "db2", .finished(durationMS: 1)))
        let end = machine.handle(T.event("after:rollback/notify", "db1", .finished(durationMS: 1)))
        #expect(T.outcome(end) == .rolledBack)
        #expect(end.contains { if case .finish(_, let reason) = $0 {
            reason == "step a failed on db1: pg_upgrade failed; hook after:rollback/resume failed on db1: admin console refused" } else { false } })
    }

    @Test func aRollbackThatFailsSaysSoLoudly() {
        var machine = Self.started(rollback: ["db1", "db2"])
        _ = machine.handle(T.event("a", "db1", .failed(error: "x", durationMS: 1)))
        _ = machine.handle(T.event("a", "db2", .finished(durationMS: 1)))
        _ = machine.handle(T.event("rollback", "db1", .failed(error: "disk gone", durationMS: 1)))
        let end = machine.handle(T.event("rollback", "db2", .finished(durationMS: 1)))
        #expect(T.outcome(end) == .failed)
        #expect(end.contains { if case .finish(_, let reason) = $0 { reason?.contains("ROLLBACK FAILED on db1: disk gone") ?? false } else { false } })
    }

    @Test func anAgentLostDuringRollbackIsReconnectedAndAskedAgain() {
        var machine = Self.started(rollback: ["db1", "db2"])
        _ = machine.handle(.disconnected(host: "db1", error: "killed"))
        _ = machine.handle(T.event("a", "db2", .finished(durationMS: 1)))
        let gaveUp = machine.handle(.connectFailed(host: "db1", error: "connection refused"))
        #expect(gaveUp.contains(.runStep(stepID: "rollback", hosts: ["db1", "db2"], facts: [])))
        let lost = machine.handle(.disconnected(host: "db1", error: "connection refused"))
        #expect(lost.contains(.connect(host: "db1", retryForSeconds: 120)))
        #expect(machine.handle(.connected(host: "db1", hello: T.hello("db1"))) == [.sendPlan(host: "db1")])
        #expect(machine.handle(.planLoaded(host: "db1", sha256: T.sha)) == [.runStep(stepID: "rollback", hosts: ["db1"], facts: [])])
    }

    @Test func aRefusedRollbackIsNotAskedAgainInALoop() {
        var machine = Self.started(rollback: ["db1", "db2"])
        _ = machine.handle(T.event("a", "db1", .failed(error: "x", durationMS: 1)))
        _ = machine.handle(T.event("a", "db2", .finished(durationMS: 1)))
        let refused = machine.handle(.refused(host: "db1", reason: "db1 is busy"))
        #expect(!refused.contains { if case .connect = $0 { true } else { false } })
        let end = machine.handle(T.event("rollback", "db2", .finished(durationMS: 1)))
        #expect(T.outcome(end) == .failed)
        #expect(end.contains { if case .finish(_, let reason) = $0 { reason?.contains("ROLLBACK FAILED on db1: refused: db1 is busy") ?? false } else { false } })
    }

    /// The agent journals that the new primary may start before `pg_ctl start`: a failure inside the step
    /// that starts it is past the point of no return, and nothing is rolled back.
    @Test func aFailureInsideTheStartOfTheNewPrimaryIsPastThePointOfNoReturn() {
        var machine = Self.started(rollback: ["db1", "db2"])
        _ = machine.handle(T.event("a", "db1", .finished(durationMS: 1)))
        #expect(T.requested(machine.handle(T.event("a", "db2", .finished(durationMS: 1)))) == ["start"])
        let crossed = machine.handle(T.event("start", "db1", .output(.pointOfNoReturn(at: Date()))))
        #expect(crossed.contains { if case .journal(let r) = $0 { r.kind == .runPointOfNoReturn } else { false } })
        let end = machine.handle(T.event("start", "db1", .failed(error: "the new primary came up in recovery", durationMS: 1)))
        #expect(T.requested(end) == [], "no rollback is asked for")
        #expect(T.outcome(end) == .failedAfterPointOfNoReturn)
    }

    /// An agent that refuses the rollback because its new primary may have started (the coordinator missed
    /// the fact, its link was down) turns the run's end into exit 3.
    @Test func aRollbackRefusedPastThePointOfNoReturnEndsTheRunAsExitThree() {
        var machine = Self.started(rollback: ["db1", "db2"])
        _ = machine.handle(T.event("a", "db1", .failed(error: "x", durationMS: 1)))
        _ = machine.handle(T.event("a", "db2", .finished(durationMS: 1)))
        _ = machine.handle(T.event("rollback", "db1", .output(.pointOfNoReturn(at: Date()))))
        _ = machine.handle(T.event("rollback", "db1", .failed(error: "may already have started", durationMS: 1)))
        let end = machine.handle(T.event("rollback", "db2", .finished(durationMS: 1)))
        #expect(T.outcome(end) == .failedAfterPointOfNoReturn)
    }

    static var crossedOnDB1: RunFacts {
        var facts = RunFacts()
        facts.record(HostFact(host: "db1", output: .pointOfNoReturn(at: Date())))
        return facts
    }

    @Test func aResumedRunWhoseJournalHoldsThePointOfNoReturnDoesNotRollBack() {
        var machine = RunStateMachine(steps: [T.step("a", ["db1"])], hosts: ["db1"], planSHA256: T.sha,
                                      facts: Self.crossedOnDB1, rollbackHosts: ["db1"])
        _ = machine.handle(.start)
        _ = machine.handle(.connected(host: "db1", hello: T.hello("db1")))
        _ = machine.handle(.planLoaded(host: "db1", sha256: T.sha))
        let end = machine.handle(T.event("a", "db1", .failed(error: "x", durationMS: 1)))
        #expect(T.outcome(end) == .failedAfterPointOfNoReturn)
    }

    @Test func withoutRollbackHostsAFailureIsPlainFailed() {
        var machine = Self.started(rollback: [])
        _ = machine.handle(T.event("a", "db1", .failed(error: "x", durationMS: 1)))
        #expect(T.outcome(machine.handle(T.event("a", "db2", .finished(durationMS: 1)))) == .failed)
    }
}
