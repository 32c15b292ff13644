import Foundation
import Logging
import UpshiftPlan
import UpshiftPostgres
import UpshiftWire

/// The one owner of each host's work on this agent.
///
/// At most one step runs per host. A repeated request for the running step re-attaches the asking
/// connection to it; a request for a step that ended answers from the journal (its outputs, then how it
/// ended); a `rollback` cancels the running step (its programs' process groups are killed, its queries
/// cancelled) and waits for its end before it starts. Every step has a deadline. The registry belongs to
/// the agent service: `shutDown` cancels what runs and waits for it, so no step thread outlives the service.
final class StepRegistry: @unchecked Sendable {
    /// Where a running step's events go: the connection that asked for it last.
    typealias Subscriber = @Sendable (AgentMessage) -> Void

    /// The body of a step: runs under `control`, reports through `emit`; throws what made it fail.
    typealias Work = @Sendable (_ control: ProgramControl, _ emit: @escaping @Sendable (StepEventKind) -> Void) throws -> Void

    private final class Running: @unchecked Sendable {
        let request: StepRequest
        let control: ProgramControl
        var subscriber: (session: UInt64, send: Subscriber)?
        var outputs: [StepOutput] = []
        var startedAt: Date?
        /// When progress was last sent, and the newest figure held back since (see `progressInterval`).
        var progressSentAt: ContinuousClock.Instant?
        var heldProgress: StepEventKind?
        var progressFlushScheduled = false
        let done = DispatchSemaphore(value: 0)

        init(request: StepRequest, control: ProgramControl, subscriber: (UInt64, Subscriber)) {
            self.request = request
            self.control = control
            self.subscriber = subscriber
        }
    }

    /// At most one progress event per step per this interval goes out; a newer figure replaces a held one, which
    /// goes out when the interval has passed or before the step's next other event, whichever comes first. rsync
    /// reports every file, and thousands of events a second cost the CPU the transfer itself needs (inside the
    /// write window) for a board that redraws a few times a second.
    static let progressInterval: Duration = .milliseconds(100)

    private let lock = NSLock()
    private var running: [String: Running] = [:]
    private var shuttingDown = false
    /// The agent's journal, which every step's start, end and outputs go to.
    let journal: AgentJournal
    private let ledger: ChildLedger
    private let logger: Logger

    init(journal: AgentJournal, ledger: ChildLedger, logger: Logger) {
        self.journal = journal
        self.ledger = ledger
        self.logger = logger
    }

    /// Stops what an earlier agent process left running and journals its unfinished steps as failed, so a
    /// step is never taken for running when no one owns it. Call once, before serving.
    func recover() throws {
        let stopped = ledger.stopLeftovers()
        if !stopped.isEmpty {
            logger.warning("stopped programs an earlier agent process left running", metadata: ["pids": "\(stopped)"])
        }
        for entry in journal.unfinishedSteps() {
            let request = StepRequest(runID: entry.run, stepID: entry.step, host: entry.host, planSHA256: entry.plan)
            try journal.record(request, state: .failed,
                               message: "the agent stopped while step \(entry.step) ran on \(entry.host); its programs were stopped when it started again",
                               interrupted: true)
        }
    }

    /// The state of a step: running here, or what the journal says.
    func state(of request: StepRequest) -> StepState {
        if lock.withLock({ running[request.host].map { Self.same($0.request, request) } ?? false }) { return .running }
        switch journal.history(of: request).state {
        case nil: return .none
        case .finished: return .finished
        case .failed, .started, .pointOfNoReturn: return .failed
        }
    }

    /// Runs, re-attaches to, or answers for the step `request` names, its events going to `send` (the
    /// connection `session`). `work` is the step's body, run on a thread the registry owns. `deadline` bounds it.
    /// A `rerunnable` step that an agent restart cut short runs again instead of answering that it failed; a
    /// `retriesAfterFailure` step runs again after any failure.
    func submit(_ request: StepRequest, session: UInt64, send: @escaping Subscriber, deadline: Duration, rerunnable: Bool = false,
                retriesAfterFailure: Bool = false, work: @escaping Work) {
        let sink = StepEventSink(runID: request.runID, stepID: request.stepID, host: request.host, send: send)
        lock.lock()
        if shuttingDown {
            lock.unlock()
            send(.refused(reason: "the agent is shutting down; step \(request.stepID) was not started"))
            return
        }
        var predecessor: Running?
        if let current = running[request.host] {
            if Self.same(current.request, request) {
                current.subscriber = (session, send)
                let (started, outputs) = (current.startedAt, current.outputs)
                lock.unlock()
                logger.info("coordinator re-attached to a running step", metadata: ["step.id": "\(request.stepID)", "run.id": "\(request.runID)"])
                if let started { send(.event(StepEvent(runID: request.runID, stepID: request.stepID, host: request.host, at: started, kind: .started))) }
                outputs.forEach { sink(.output($0)) }
                return
            }
            guard request.stepID == BuiltinStep.rollback.id else {
                lock.unlock()
                send(.refused(reason: "\(request.host) is busy with step \(current.request.stepID) of run \(current.request.runID); "
                              + "step \(request.stepID) was not started"))
                return
            }
            predecessor = current
        }
        let history = journal.history(of: request)
        switch history.state {
        case .finished?:
            lock.unlock()
            history.outputs.forEach { sink(.output($0)) }
            sink(.finished(durationMS: history.durationMS))
            return
        case .failed?, .started?, .pointOfNoReturn?:
            // A rollback or an after-switch action may be asked for again (the host may have come back), and a
            // step that is safe to run again after an agent restart cut it short; nothing else runs twice.
            guard retriesAfterFailure || (rerunnable && history.interrupted) else {
                lock.unlock()
                history.outputs.forEach { sink(.output($0)) }
                sink(.failed(error: history.message ?? "step \(request.stepID) did not finish", durationMS: history.durationMS))
                return
            }
        case nil:
            break
        }
        let ledger = self.ledger
        let control = ProgramControl(deadline: .now + deadline, label: request.stepID,
                                     onSpawn: { ledger.started($0) }, onExit: { ledger.ended($0) })
        let entry = Running(request: request, control: control, subscriber: (session, send))
        running[request.host] = entry
        lock.unlock()

        if let predecessor {
            logger.warning("rollback cancels the running step", metadata: ["step.id": "\(predecessor.request.stepID)"])
            predecessor.control.cancel("a rollback was requested while it ran")
        }
        let thread = Thread { [self, predecessor] in
            predecessor?.done.wait()
            execute(entry, work: work)
        }
        thread.name = "step \(request.stepID)"
        thread.start()
    }

    /// Ends the connection's claim on the steps it asked for (their events are no longer sent anywhere).
    func detach(session: UInt64) {
        lock.withLock {
            for entry in running.values where entry.subscriber?.session == session { entry.subscriber = nil }
        }
    }

    /// Cancels every running step and waits until each has ended (the service is stopping).
    func shutDown(reason: String) {
        let entries = lock.withLock { () -> [Running] in
            shuttingDown = true
            return Array(running.values)
        }
        for entry in entries { entry.control.cancel(reason) }
        for entry in entries { entry.done.wait() }
    }

    private func execute(_ entry: Running, work: Work) {
        let request = entry.request
        let clock = ContinuousClock()
        let start = clock.now
        func elapsedMS() -> Int { Int((clock.now - start) / .milliseconds(1)) }
        // Events are handed to the subscriber under the lock (a non-blocking stream yield), so a held progress
        // figure that the timer sends cannot overtake the step's next event.
        @Sendable func send(_ event: StepEventKind) {
            entry.subscriber?.send(.event(StepEvent(runID: request.runID, stepID: request.stepID, host: request.host, kind: event)))
        }
        let flushHeldProgress: @Sendable () -> Void = { [self] in
            lock.withLock {
                entry.progressFlushScheduled = false
                guard let held = entry.heldProgress else { return }
                entry.heldProgress = nil
                entry.progressSentAt = ContinuousClock.now
                send(held)
            }
        }
        let emit: @Sendable (StepEventKind) -> Void = { [self] kind in
            let flushAfter = lock.withLock { () -> Duration? in
                if case .output(let fact) = kind { entry.outputs.append(fact) }
                if case .started = kind { entry.startedAt = Date() }
                guard case .progress = kind else {
                    if let held = entry.heldProgress { send(held) }
                    entry.heldProgress = nil
                    send(kind)
                    return nil
                }
                let now = ContinuousClock.now
                guard let sent = entry.progressSentAt, now - sent < Self.progressInterval else {
                    entry.progressSentAt = now
                    entry.heldProgress = nil
                    send(kind)
                    return nil
                }
                entry.heldProgress = kind
                guard !entry.progressFlushScheduled else { return nil }
                entry.progressFlushScheduled = true
                return Self.progressInterval - (now - sent)
            }
            if let flushAfter { Timers.after(flushAfter, flushHeldProgress) }
        }
        var outcome: StepEventKind
        do {
            try entry.control.checkStopped()
            try journal.record(request, state: .started)
            emit(.started)
            logger.info("step started", metadata: ["step.id": "\(request.stepID)", "run.id": "\(request.runID)"])
            try work(entry.control, emit)
            let outputs = lock.withLock { entry.outputs }
            try journal.record(request, state: .finished, durationMS: elapsedMS(), outputs: outputs)
            outcome = .finished(durationMS: elapsedMS())
            logger.info("step finished", metadata: ["step.id": "\(request.stepID)", "step.ms": "\(elapsedMS())"])
        } catch {
            var message = String(describing: error)
            if let reason = entry.control.stopReason, !message.contains(reason) { message += " (stopped: \(reason))" }
            let outputs = lock.withLock { entry.outputs }
            try? journal.record(request, state: .failed, message: message, durationMS: elapsedMS(), outputs: outputs)
            outcome = .failed(error: message, durationMS: elapsedMS())
            logger.error("step failed", metadata: ["step.id": "\(request.stepID)", "error": "\(message)"])
        }
        lock.withLock {
            if running[request.host] === entry { running[request.host] = nil }
        }
        emit(outcome)
        entry.done.signal()
    }

    private static func same(_ a: StepRequest, _ b: StepRequest) -> Bool {
        a.runID == b.runID && a.stepID == b.stepID && a.host == b.host
    }
}
