import UpshiftWire

/// The facts a run's steps reported, by host, in the order they came: handed to every later step, journaled,
/// and folded back from the journal on resume. A fact with the same host and key as an earlier one replaces it
/// (a step re-attached to, or answered again from an agent's journal, reports its facts again).
public struct RunFacts: Sendable, Equatable {
    /// Every fact held, oldest first.
    public private(set) var all: [HostFact] = []

    /// No facts yet.
    public init() {}

    /// The facts `step.output` lines of a journal hold.
    public init(journal records: [JournalRecord]) {
        for line in records where line.kind == .stepOutput {
            if let host = line.host, let output = line.output { record(HostFact(host: host, output: output)) }
        }
    }

    /// Holds `fact`, replacing an earlier one of the same host and key.
    public mutating func record(_ fact: HostFact) {
        all.removeAll { $0.host == fact.host && $0.output.key == fact.output.key }
        all.append(fact)
    }

    /// True once some host reported that its new primary may start.
    public var crossedPointOfNoReturn: Bool { all.contains { $0.output.isPointOfNoReturn } }
}
