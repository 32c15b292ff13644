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
        let at = Date()
        try journal.record(request, state: .pointOfNoReturn, at: at)
        emit(.output(.pointOfNoReturn(at: at)))
    }

    /// When this run crossed it on this host, or nil while it has not.
    var crossedAt: Date? {
        journal.pointOfNoReturn(run: request.runID, host: request.host)
    }
}
