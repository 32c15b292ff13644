import Foundation
import UpshiftPlan

/// Expected durations for a run, from the last finished run (or rehearsal) of the same plan.
public struct Prediction: Codable, Sendable, Equatable {
    /// The run the figures come from: its run folder's name (what a DBA sees in `runs/`).
    public var basedOn: String
    /// True when that run was a rehearsal.
    public var basedOnRehearsal: Bool
    /// Expected wall time of each step id (first start to last finish over its hosts), in milliseconds.
    public var stepMS: [String: Int]
    /// Expected write downtime: the probe's figure when that run had a probe, else the journal's window.
    public var writeMS: Int?
    /// Expected read downtime, likewise.
    public var readMS: Int?
    /// The proof that run gave: `fenced` (table contents compared inside the window) or `structural`; nil when
    /// it compared nothing.
    public var proof: String?

    enum CodingKeys: String, CodingKey {
        case basedOn = "based_on", basedOnRehearsal = "based_on_rehearsal", stepMS = "step_ms", writeMS = "write_ms", readMS = "read_ms"
        case proof
    }

    /// The figures of one finished run, named by its folder.
    public init(from report: RunReport, folderName: String) {
        basedOn = folderName
        basedOnRehearsal = report.rehearsal
        stepMS = report.stepWallTimes
        writeMS = report.downtime?.writeMS ?? report.journalWriteWindow?.ms
        readMS = report.downtime?.readMS ?? report.journalReadWindow?.ms
        proof = report.summary.proofGiven?.rawValue
    }

    /// What `verify: fenced` cost that run inside its write window, in a line, when it was a fenced run: the
    /// steps that take and compare the checksums.
    public var fencedCost: String? {
        guard proof == VerifyMode.fenced.rawValue, let stop = stepMS["stop-primary"], let verify = stepMS["verify"] else { return nil }
        let window = writeMS.map { " of the \(DowntimeFigures.seconds($0)) write window" } ?? ""
        return "in \(basedOnRehearsal ? "rehearsal" : "run") \(basedOn), verify: fenced took stop-primary \(DowntimeFigures.seconds(stop)) "
            + "(checksums and the stop) and verify \(DowntimeFigures.seconds(verify))\(window)"
    }

    /// The prediction from the newest run of `planName` that finished (`done`) in `runsDirectory`, skipping
    /// `excluding`; nil when there is none.
    public static func latest(planName: String, in runsDirectory: String, excluding: String? = nil) -> Prediction? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: runsDirectory)) ?? []
        let candidates: [(Date, RunDirectory)] = names.compactMap { name in
            let directory = RunDirectory(path: runsDirectory + "/" + name)
            guard directory.path != excluding.map({ RunDirectory(path: $0).path }),
                  let metadata = try? RunMetadata.read(from: directory), metadata.plan == planName else { return nil }
            return (metadata.createdAt, directory)
        }
        for (_, directory) in candidates.sorted(by: { $0.0 > $1.0 }) {
            guard let report = try? directory.report(), report.summary.result == RunOutcome.done.rawValue else { continue }
            return Prediction(from: report, folderName: URL(fileURLWithPath: directory.path).lastPathComponent)
        }
        return nil
    }

    /// Writes `prediction.json` into a run directory.
    public func write(to directory: RunDirectory) throws {
        let encoder = JSONEncoder.journal
        encoder.outputFormatting.insert(.prettyPrinted)
        try encoder.encode(self).write(to: URL(fileURLWithPath: directory.predictionPath), options: .atomic)
    }

    /// Reads `prediction.json`, or nil when the run had nothing to go on.
    public static func read(from directory: RunDirectory) throws -> Prediction? {
        guard let data = FileManager.default.contents(atPath: directory.predictionPath) else { return nil }
        return try JSONDecoder.journal.decode(Prediction.self, from: data)
    }
}

extension RunDirectory {
    /// The most recently created run directory in `folder`, or nil when it holds none.
    public static func newest(in folder: String) -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.compactMap { name -> (Date, String)? in
            let directory = RunDirectory(path: folder + "/" + name)
            guard let metadata = try? RunMetadata.read(from: directory) else { return nil }
            return (metadata.createdAt, directory.path)
        }.max { $0.0 < $1.0 }?.1
    }
}
