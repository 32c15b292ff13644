import Foundation
import UpshiftWire

/// Where a running step's events go: the coordinator's connection (while it lasts) and the agent's journal.
struct StepEventSink: Sendable {
    typealias Kind = StepEventKind

    let runID: String
    let stepID: String
    let host: String
    let send: @Sendable (AgentMessage) -> Void

    func callAsFunction(_ kind: Kind) {
        send(.event(StepEvent(runID: runID, stepID: stepID, host: host, at: Date(), kind: kind)))
    }
}
