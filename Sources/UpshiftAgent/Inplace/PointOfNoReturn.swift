import Foundation
import UpshiftWire

/// The point of no return of an in-place run on the primary's host: the moment the new primary may start
/// on files it shares with the old cluster (link mode) or took from it (swap). It is journaled before
/// `pg_ctl start`, so a failure, timeout or lost link inside the start is already past it, and the
/// rollback refuses to start the old cluster on files the new server may have written.
struct PointOfNoReturnLedger {
    let journal: AgentJournal
    let request: StepRequest

    /// Journals the crossing (fsync'd) and reports it to the coordinator, before anything may start.
    func cross(emit: (StepEventKind) -> Void) throws {
        try journal.record(request, state: .pointOfNoReturn)
        emit(.output(key: StepFact.pointOfNoReturn, value: WireJSON.format(Date())))
    }

    /// True once this run has crossed it on this host.
    var isCrossed: Bool {
        journal.crossedPointOfNoReturn(run: request.runID, host: request.host)
    }
}
