import Foundation
import UpshiftWire

/// The agent's own step journal under its state directory: one fsync'd JSON line before and after each step,
/// the step's outputs with its end (so a coordinator that was away gets them later), and the moment a new
/// primary may start (the point of no return).
final class AgentJournal: @unchecked Sendable {
    /// What a journal line records.
    enum State: String, Codable {
        case started
        case finished
        case failed
        /// The new primary may start from here on (journaled before `pg_ctl start`).
        case pointOfNoReturn = "point-of-no-return"
    }

    struct Entry: Codable {
        var at: Date
        var plan: String
        var run: String
        var step: String
        var host: String
        var state: State
        var message: String?
        var durationMS: Int?
        /// The facts the step reported, in order, on its `finished` or `failed` line.
        var outputs: [StepOutput]?
        /// On a `failed` line: the step was cut short by an agent that stopped, not failed by itself.
        var interrupted: Bool?
    }

    /// How a step ended (or that it has not), as the journal says.
    struct StepHistory: Equatable {
        /// `none`, `started` (no end line: under way, or cut short by an agent that stopped), `finished`, `failed`.
        var state: State?
        var message: String?
        var durationMS: Int
        var outputs: [StepOutput]
        var interrupted: Bool
    }

    var path: String { file.path }
    private let file: JSONLinesFile
    private let lock = NSLock()

    init(stateDirectory: String) throws {
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        file = try JSONLinesFile(path: stateDirectory + "/journal.jsonl", permissions: 0o600)
    }

    /// Appends an entry and waits until it is on disk.
    func record(_ request: StepRequest, state: State, at: Date = Date(), message: String? = nil, durationMS: Int? = nil,
                outputs: [StepOutput]? = nil, interrupted: Bool? = nil) throws {
        try lock.withLock {
            try file.append(Entry(at: at, plan: request.planSHA256, run: request.runID, step: request.stepID, host: request.host,
                                  state: state, message: message, durationMS: durationMS, outputs: outputs, interrupted: interrupted))
        }
    }

    /// What the journal holds of the request's run, step and host.
    func history(of request: StepRequest) -> StepHistory {
        var history = StepHistory(state: nil, message: nil, durationMS: 0, outputs: [], interrupted: false)
        for entry in entries() where entry.run == request.runID && entry.step == request.stepID && entry.host == request.host
            && entry.state != .pointOfNoReturn {
            history = StepHistory(state: entry.state, message: entry.message, durationMS: entry.durationMS ?? 0, outputs: entry.outputs ?? [],
                                  interrupted: entry.interrupted ?? false)
        }
        return history
    }

    /// When this run's new primary on `host` was first allowed to start, or nil if it never was.
    func pointOfNoReturn(run: String, host: String) -> Date? {
        entries().first { $0.run == run && $0.host == host && $0.state == .pointOfNoReturn }?.at
    }

    /// Steps with a start line and no end line: they were under way when an earlier agent process stopped.
    func unfinishedSteps() -> [Entry] {
        var open: [String: Entry] = [:]
        for entry in entries() {
            let key = "\(entry.run)\u{0}\(entry.step)\u{0}\(entry.host)"
            switch entry.state {
            case .started: open[key] = entry
            case .finished, .failed: open[key] = nil
            case .pointOfNoReturn: break
            }
        }
        return open.values.sorted { $0.at < $1.at }
    }

    private func entries() -> [Entry] {
        guard let data = lock.withLock({ FileManager.default.contents(atPath: path) }) else { return [] }
        let decoder = WireJSON.makeDecoder()
        return data.split(separator: 0x0A).compactMap { try? decoder.decode(Entry.self, from: Data($0)) }
    }
}
