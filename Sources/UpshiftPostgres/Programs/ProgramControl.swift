import Foundation
import Glibc

/// Cancellation and a deadline shared by every program (and every registered cancel action) of one step or hook.
public final class ProgramControl: @unchecked Sendable {
    /// A token for a registered cancel action, to remove it once the work it guards is done.
    public struct Registration: Hashable, Sendable {
        fileprivate let id: Int
    }

    /// What the control is for ("step", "hook pre-upgrade", …); names it in `checkStopped` errors.
    public let label: String
    /// When its programs are stopped, if ever.
    public let deadline: ContinuousClock.Instant?
    private let deadlineReason: String
    private let onSpawn: (@Sendable (pid_t) -> Void)?
    private let onExit: (@Sendable (pid_t) -> Void)?
    private let lock = NSLock()
    private var cancelReason: String?
    /// Running children (process group ids), and whether SIGTERM has already been sent to each.
    private var running: [pid_t: Bool] = [:]
    private var actions: [Int: @Sendable () -> Void] = [:]
    private var nextID = 0

    /// A control with an optional deadline; `onSpawn`/`onExit` see each child's pid (= its process group id) as it starts and ends.
    /// When the deadline passes the control cancels itself, so cancel actions (a libpq cancel request) run then too.
    public init(deadline: ContinuousClock.Instant? = nil, label: String = "step",
                onSpawn: (@Sendable (pid_t) -> Void)? = nil, onExit: (@Sendable (pid_t) -> Void)? = nil) {
        self.deadline = deadline
        self.label = label
        self.onSpawn = onSpawn
        self.onExit = onExit
        let budget = deadline.map { $0 - ContinuousClock.now } ?? .zero
        deadlineReason = "deadline of \(formatSeconds(budget)) s passed"
        guard let deadline else { return }
        Timers.after(deadline - .now) { [weak self] in
            guard let self else { return }
            self.cancel(self.deadlineReason)
        }
    }

    /// Cancels: marks the control cancelled with `reason`, sends SIGTERM to the process group of every running child
    /// started under it, and runs every registered cancel action once. Idempotent; safe from any thread.
    public func cancel(_ reason: String) {
        let toRun: [@Sendable () -> Void] = lock.withLock {
            guard cancelReason == nil else { return [] }
            cancelReason = reason
            // Signalled under the lock: a child is unregistered before it is reaped, so its group id is
            // still reserved (by the zombie) whenever a signal is sent to it here.
            for (pid, signalled) in running where !signalled { terminateGroup(pid) }
            running = running.mapValues { _ in true }
            let pending = actions.sorted { $0.key < $1.key }.map(\.value)
            actions.removeAll()
            return pending
        }
        toRun.forEach { $0() }
    }

    /// The reason once cancelled, or "deadline of N s passed" once the deadline has passed; nil otherwise.
    public var stopReason: String? {
        if let reason = lock.withLock({ cancelReason }) { return reason }
        if let deadline, ContinuousClock.now >= deadline { return deadlineReason }
        return nil
    }

    /// Throws `ProgramStopped` when cancelled or past the deadline (for loops in step code to call).
    public func checkStopped() throws {
        if let reason = stopReason { throw ProgramStopped(reason: "\(label) stopped: \(reason)") }
    }

    /// Registers an action run on cancel (or at once if already cancelled), e.g. a libpq cancel request; returns a token to remove it.
    @discardableResult
    public func onCancel(_ action: @escaping @Sendable () -> Void) -> ProgramControl.Registration {
        let registration: Registration? = lock.withLock {
            guard cancelReason == nil else { return nil }
            nextID += 1
            actions[nextID] = action
            return Registration(id: nextID)
        }
        guard let registration else {
            action()
            return Registration(id: 0)
        }
        // Past the deadline but before the timer fired: behave as cancelled, as `stopReason` already does.
        if let deadline, ContinuousClock.now >= deadline { cancel(deadlineReason) }
        return registration
    }

    /// Forgets a cancel action that has not run; does nothing once it has.
    public func remove(_ registration: Registration) {
        _ = lock.withLock { actions.removeValue(forKey: registration.id) }
    }

    /// A child control whose deadline is the earlier of this one's and `deadline`, cancelled whenever this one is (for a hook inside a step).
    /// It reports its children to this control's `onSpawn`/`onExit`.
    public func child(deadline: ContinuousClock.Instant?, label: String) -> ProgramControl {
        let earlier = [self.deadline, deadline].compactMap { $0 }.min()
        let child = ProgramControl(deadline: earlier, label: label, onSpawn: onSpawn, onExit: onExit)
        onCancel { [weak self, weak child] in
            child?.cancel(self?.stopReason ?? "\(label) cancelled")
        }
        return child
    }

    /// Time left before the deadline, or nil with no deadline.
    public var remaining: Duration? {
        deadline.map { max(.zero, $0 - .now) }
    }

    /// Records a child just spawned (its pid is its process group id).
    func started(_ pid: pid_t) {
        lock.withLock { running[pid] = false }
        onSpawn?(pid)
    }

    /// Sends SIGTERM to the child's group unless the control already did.
    func terminate(_ pid: pid_t) {
        lock.withLock {
            guard running[pid] == false else { return }
            running[pid] = true
            terminateGroup(pid)
        }
    }

    /// Forgets a child that has exited but is not reaped yet: no signal is sent to its group afterwards.
    /// Returns whether the control had signalled it.
    func exited(_ pid: pid_t) -> Bool {
        lock.withLock { running.removeValue(forKey: pid) } ?? false
    }

    /// Reports a reaped child to `onExit`.
    func reaped(_ pid: pid_t) {
        onExit?(pid)
    }
}

/// SIGTERM to a whole process group, and SIGCONT so that members stopped (by SIGTTIN, say) see it.
private func terminateGroup(_ pid: pid_t) {
    kill(-pid, SIGTERM)
    kill(-pid, SIGCONT)
}

/// Seconds as "30" or "0.3".
private func formatSeconds(_ duration: Duration) -> String {
    let tenths = (Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18) * 10
    let rounded = max(0, tenths.rounded())
    return rounded.truncatingRemainder(dividingBy: 10) == 0 ? "\(Int(rounded / 10))" : "\(rounded / 10)"
}

/// A program or a step stopped because its control was cancelled or its deadline passed.
public struct ProgramStopped: Error, CustomStringConvertible, Sendable {
    /// Why, e.g. "pg_upgrade stopped: rollback requested".
    public var reason: String

    /// Describes a stop.
    public init(reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}
