import Foundation
import UpshiftWire

/// The agent's own step journal under its state directory: one fsync'd JSON line before and after each step.
final class AgentJournal: @unchecked Sendable {
    struct Entry: Codable {
        var at: Date
        var plan: String
        var run: String
        var step: String
        var host: String
        /// `started`, `finished` or `failed`.
        var state: String
        var message: String?
    }

    var path: String { file.path }
    private let file: JSONLinesFile

    init(stateDirectory: String) throws {
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        file = try JSONLinesFile(path: stateDirectory + "/journal.jsonl", permissions: 0o600)
    }

    /// Appends an entry and waits until it is on disk.
    func record(_ request: StepRequest, state: String, message: String? = nil) throws {
        try file.append(Entry(at: Date(), plan: request.planSHA256, run: request.runID, step: request.stepID,
                              host: request.host, state: state, message: message))
    }

    /// The last state the journal holds for the request's run, step and host, or `none`.
    func lastState(of request: StepRequest) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "none" }
        let decoder = WireJSON.makeDecoder()
        var state = "none"
        for line in data.split(separator: 0x0A) {
            guard let entry = try? decoder.decode(Entry.self, from: Data(line)) else { continue }
            if entry.run == request.runID, entry.step == request.stepID, entry.host == request.host {
                state = entry.state
            }
        }
        return state
    }
}
