import Foundation
import UpshiftPlan

/// The probe's part in a run: started before the first step, stopped after the last, its samples kept in
/// the run directory and its figures journaled and shown.
enum ProbeSession {
    /// The plan runs no probe (or no factory was given).
    case none
    /// The probe could not be prepared; the run must not start.
    case refused(String)
    /// Probing.
    case running(any RunProbe, ProbeEndpoints)

    /// Starts the plan's probe; with `prepare`, creates its table first and refuses the run when it cannot.
    static func start(plan: Plan, factory: RunProbeFactory?, prepare: Bool, journal: RunJournal, output: ProgressOutput) throws -> ProbeSession {
        guard let factory, let endpoints = ProbeEndpoints.resolve(plan) else { return .none }
        let probe = factory(endpoints)
        if prepare {
            do {
                try probe.prepare()
            } catch {
                let reason = "the availability probe cannot write through '\(Redaction.conninfo(endpoints.write))': \(error). Set probe.write to the "
                    + "address applications write through, or turn the probe off with probe: { enabled: false }"
                output.show(ProgressLine(stepID: "probe", text: reason, level: "error"))
                return .refused(reason)
            }
        }
        try journal.append(JournalRecord(kind: .probeStarted, message: "writes through \(Redaction.conninfo(endpoints.write)); reads through \(Redaction.conninfo(endpoints.read)); every \(endpoints.intervalMS) ms"))
        output.show(ProgressLine(stepID: "probe", text: "probing writes and reads every \(endpoints.intervalMS) ms"))
        probe.start()
        return .running(probe, endpoints)
    }

    /// Stops the probe, keeps its samples, journals and shows the figures, and drops the probe's schema.
    func finish(directory: RunDirectory, newMajor: Int?, journal: RunJournal, output: ProgressOutput) throws {
        guard case .running(let probe, let endpoints) = self else { return }
        // The last step may have just let writes in again (verify, an after:rollback hook resuming a pooler):
        // give the probe a moment to see them come back, so the figures do not stop mid-recovery.
        probe.settle(within: .seconds(3))
        let samples = probe.stop()
        try ProbeLog.append(samples, to: directory)
        let figures = DowntimeFigures(samples: samples, newMajor: newMajor)
        let text = figures.headline
        try journal.append(JournalRecord(kind: .probeFinished, message: text))
        output.show(ProgressLine(stepID: "probe", text: text, level: figures.failedTransactions > 0 ? "warning" : "info"))
        do {
            try probe.cleanUp()
        } catch {
            let warning = "could not drop the probe's schema \(endpoints.schema) through '\(Redaction.conninfo(endpoints.write))': \(error); drop it by hand"
            try journal.append(JournalRecord(kind: .probeWarning, message: warning, level: "warning"))
            output.show(ProgressLine(stepID: "probe", text: warning, level: "warning"))
        }
    }
}

extension DowntimeFigures {
    /// One line: the write and read downtime clients saw and the failed requests.
    public var headline: String {
        let write = writeMS.map { Self.seconds($0) + (writesRecovered ? "" : " (writes had not come back)") } ?? "no writes"
        return "write downtime \(write), read downtime \(Self.seconds(readMS)), \(failedTransactions) failed transactions "
            + "of \(writes), \(failedReads) failed reads of \(reads), longest write stall \(Self.seconds(longestWriteStallMS))"
    }

    static func seconds(_ ms: Int) -> String { String(format: "%.2f s", Double(ms) / 1000) }
}
