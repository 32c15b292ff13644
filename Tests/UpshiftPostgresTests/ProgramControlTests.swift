import Foundation
import Testing
@testable import UpshiftPostgres

@Suite(.timeLimit(.minutes(1))) struct ProgramControlTests {
    @Test func cancellingFromAnotherThreadStopsAndReapsTheProgram() throws {
        let spawned = Locked<[pid_t]>([])
        let exited = Locked<[pid_t]>([])
        let control = ProgramControl(onSpawn: { pid in spawned.update { $0.append(pid) } },
                                     onExit: { pid in exited.update { $0.append(pid) } })
        Timers.after(.milliseconds(300)) { control.cancel("rollback requested") }
        let started = ContinuousClock.now
        let error = #expect(throws: ProgramStopped.self) {
            try ProgramRunner.run("/bin/sleep", ["30"], control: control)
        }
        #expect(ContinuousClock.now - started < .seconds(1.5))
        #expect(error?.reason == "sleep stopped: rollback requested")
        let pid = try #require(spawned.value.first)
        #expect(exited.value == [pid], "onExit sees the child on the throwing path too")
        #expect(kill(pid, 0) == -1 && errno == ESRCH, "the child is reaped, not left running or a zombie")
    }

    @Test func cancellingKillsWhatTheProgramStartedInItsGroup() throws {
        let control = ProgramControl()
        let grandchild = Locked<pid_t?>(nil)
        let started = ContinuousClock.now
        #expect(throws: ProgramStopped.self) {
            try ProgramRunner.run("/bin/sh", ["-c", "sleep 30 & echo $!; wait"], control: control) { line in
                guard line.isComplete, let pid = pid_t(line.text) else { return }
                grandchild.update { $0 = pid }
                control.cancel("rollback requested")
            }
        }
        #expect(ContinuousClock.now - started < .seconds(2), "the shell waited for its sleep instead")
        let pid = try #require(grandchild.value)
        #expect(waitUntilGone(pid), "the background sleep \(pid) still runs")
    }

    @Test func aChildKilledByCancelBeforeTheRunnerLooksStillCountsAsStopped() throws {
        let control = ProgramControl()
        let error = #expect(throws: ProgramStopped.self) {
            try ProgramRunner.run("/bin/sh", ["-c", "echo go; sleep 30"], control: control) { line in
                guard line.isComplete else { return }
                control.cancel("rollback requested")
                usleep(300_000)  // the child dies of the SIGTERM before the runner looks at the control
            }
        }
        #expect(error?.reason == "sh stopped: rollback requested")
    }

    @Test func aProgramIgnoringSIGTERMIsKilledAfterTheGracePeriod() throws {
        let control = ProgramControl()
        Timers.after(.milliseconds(300)) { control.cancel("rollback requested") }
        let started = ContinuousClock.now
        // The ignored SIGTERM is inherited by every sleep the loop starts.
        #expect(throws: ProgramStopped.self) {
            try ProgramRunner.run("/bin/sh", ["-c", "trap '' TERM; while :; do sleep 0.1; done"], control: control)
        }
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= ProgramRunner.gracePeriod, "SIGKILL came before the grace period was over")
        #expect(elapsed < .seconds(7))
    }

    @Test func aPassedDeadlineStopsTheProgramAndRunsCancelActions() throws {
        let control = ProgramControl(deadline: .now + .milliseconds(300))
        let cancelled = Locked(false)
        control.onCancel { cancelled.update { $0 = true } }
        let started = ContinuousClock.now
        let error = #expect(throws: ProgramStopped.self) { try ProgramRunner.run("sleep", ["30"], control: control) }
        #expect(ContinuousClock.now - started < .seconds(1.5))
        #expect(error?.reason == "sleep stopped: deadline of 0.3 s passed")
        #expect(control.stopReason == "deadline of 0.3 s passed")
        #expect(control.remaining == .zero)
        let deadline = ContinuousClock.now + .seconds(2)
        while !cancelled.value && ContinuousClock.now < deadline { usleep(10_000) }
        #expect(cancelled.value, "the deadline ran the cancel actions (a libpq query would be cancelled)")
    }

    @Test func aStoppedControlStartsNothing() throws {
        let spawned = Locked(false)
        let control = ProgramControl(label: "hook pre", onSpawn: { _ in spawned.update { $0 = true } })
        #expect(control.stopReason == nil)
        #expect(throws: Never.self) { try control.checkStopped() }
        control.cancel("rollback requested")
        let error = #expect(throws: ProgramStopped.self) { try ProgramRunner.run("/bin/true", [], control: control) }
        #expect(error?.reason == "true stopped: rollback requested")
        #expect(!spawned.value)
        let checked = #expect(throws: ProgramStopped.self) { try control.checkStopped() }
        #expect(checked?.description == "hook pre stopped: rollback requested")

        let expired = ProgramControl(deadline: .now - .seconds(1), onSpawn: { _ in spawned.update { $0 = true } })
        #expect(throws: ProgramStopped.self) { try ProgramInvocation("/bin/true", []).run(control: expired) }
        #expect(!spawned.value)
    }

    @Test func cancelActionsRunOnceAndLateOnesAtOnce() {
        let control = ProgramControl()
        let counts = Locked([0, 0, 0, 0])
        control.onCancel { counts.update { $0[0] += 1 } }
        let removed = control.onCancel { counts.update { $0[1] += 1 } }
        control.onCancel { counts.update { $0[2] += 1 } }
        control.remove(removed)
        control.cancel("first")
        control.cancel("second")
        #expect(counts.value == [1, 0, 1, 0])
        #expect(control.stopReason == "first")
        control.onCancel { counts.update { $0[3] += 1 } }
        #expect(counts.value == [1, 0, 1, 1])
    }

    @Test func aChildControlTakesTheEarlierDeadlineAndFollowsItsParent() throws {
        let soon = ContinuousClock.now + .seconds(10)
        let parent = ProgramControl(deadline: soon)
        #expect(parent.child(deadline: soon + .seconds(50), label: "hook").deadline == soon)
        #expect(parent.child(deadline: nil, label: "hook").deadline == soon)
        let earlier = soon - .seconds(5)
        let hook = parent.child(deadline: earlier, label: "hook")
        #expect(hook.deadline == earlier)
        #expect(try #require(hook.remaining) <= .seconds(5))
        #expect(ProgramControl().remaining == nil)

        Timers.after(.milliseconds(300)) { parent.cancel("rollback requested") }
        let error = #expect(throws: ProgramStopped.self) { try ProgramRunner.run("/bin/sleep", ["30"], control: hook) }
        #expect(error?.reason == "sleep stopped: rollback requested")
        #expect(hook.stopReason == "rollback requested")
        #expect(parent.child(deadline: nil, label: "late").stopReason == "rollback requested")
    }

    @Test func aLauncherStopsItsProgramAndNamesItRatherThanItsPrefix() throws {
        let control = ProgramControl()
        let launcher = ProgramLauncher(prefix: ["/usr/bin/env"], control: control)
        Timers.after(.milliseconds(300)) { control.cancel("rollback requested") }
        let error = #expect(throws: ProgramStopped.self) { try launcher.run(ProgramInvocation("/bin/sleep", ["30"])) }
        #expect(error?.reason == "sleep stopped: rollback requested")
        #expect(ProgramLauncher.asUser("nobody", control: control).control === control)
        #expect(ProgramLauncher.direct.control == nil)
    }

    @Test func spawnedChildrenLeadTheirOwnProcessGroup() throws {
        let groups = Locked<[pid_t: pid_t]>([:])
        let control = ProgramControl(onSpawn: { pid in groups.update { $0[pid] = getpgid(pid) } })
        _ = try ProgramRunner.run("/bin/true", [], control: control)
        let (pid, group) = try #require(groups.value.first)
        #expect(group == pid)
        #expect(getpgrp() != pid)

        // Without a control too: field 5 of /proc/PID/stat is the process group.
        let result = try ProgramRunner.run("/bin/sh", ["-c", "echo $$; cut -d' ' -f5 /proc/$$/stat"])
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[0] == lines[1])
    }

    @Test func spawnProcessCanStayInOurGroup() throws {
        let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { close(null) }
        for newGroup in [true, false] {
            let pid = try spawnProcess("/bin/sleep", ["5"], environment: [:], stdout: null, stderr: null,
                                       newProcessGroup: newGroup)
            #expect(getpgid(pid) == (newGroup ? pid : getpgrp()))
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }

    @Test func capturedOutputKeepsItsHeadAndTailWithinTheLimit() throws {
        let limit = 1 << 20
        let total = 20_000_000
        let longest = Locked(0)
        let delivered = Locked(0)
        let result = try ProgramRunner.run("/bin/sh", ["-c", "head -c \(total) /dev/zero | tr '\\0' x; echo END"],
                                           outputLimit: limit) { line in
            longest.update { $0 = max($0, line.text.utf8.count) }
            if line.isComplete { delivered.update { $0 += line.text.utf8.count } }
        }
        let marker = CappedBytes.marker(leftOut: total + 4 - limit)
        #expect(result.stdout.utf8.count == limit + marker.utf8.count)
        #expect(result.stdout.contains(marker))
        #expect(result.stdout.hasPrefix(String(repeating: "x", count: limit / 2)))
        #expect(result.stdout.hasSuffix("xxEND\n"), "the tail, where errors are, survives")
        #expect(longest.value <= OutputCollector.maxLineBytes)
        #expect(delivered.value == total + 3, "every byte still reaches onLine")
    }

    @Test func aLongUnterminatedLineArrivesInBoundedPieces() throws {
        var pieces: [Int] = []
        let result = try ProgramRunner.run("/bin/sh", ["-c", "head -c 200000 /dev/zero | tr '\\0' y"]) { line in
            if line.isComplete { pieces.append(line.text.utf8.count) }
        }
        #expect(pieces == [65536, 65536, 65536, 200000 - 3 * 65536])
        #expect(result.stdout.utf8.count == 200000, "under the limit nothing is left out")
    }
}

/// Whether `pid` is gone (or a zombie its new parent has yet to reap) within two seconds.
private func waitUntilGone(_ pid: pid_t) -> Bool {
    let deadline = ContinuousClock.now + .seconds(2)
    while ContinuousClock.now < deadline {
        if kill(pid, 0) == -1 && errno == ESRCH { return true }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        if let close = stat.lastIndex(of: ")"), stat[close...].dropFirst(2).first == "Z" { return true }
        usleep(10_000)
    }
    return false
}

/// A value shared with callbacks that may run on other threads.
private final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value { lock.withLock { stored } }

    func update(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}
