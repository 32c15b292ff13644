import Foundation
import UpshiftWire

/// Renders a run report as JSON or Markdown (HTML: `HTMLReport`).
public enum ReportWriter {
    /// DESIGN.md's JSON report: plan, result, steps[], downtime, verify[]; plus checks[], the journal's
    /// downtime windows, and predicted vs actual step times.
    public static func json(_ report: RunReport) throws -> String {
        let encoder = JSONEncoder.journal
        encoder.outputFormatting.insert(.prettyPrinted)
        return String(decoding: try encoder.encode(JSONReport(report)), as: UTF8.self)
    }

    /// One step's expected and measured wall time.
    public struct StepComparison: Encodable, Sendable, Equatable {
        public var id: String
        public var predictedMS: Int?
        public var actualMS: Int?

        enum CodingKeys: String, CodingKey { case id, predictedMS = "predicted_ms", actualMS = "actual_ms" }
    }

    /// Predicted vs actual wall time for every step of the plan, in plan order.
    public static func comparisons(_ report: RunReport) -> [StepComparison] {
        let actual = report.stepWallTimes
        return report.steps.map { StepComparison(id: $0.id, predictedMS: report.prediction?.stepMS[$0.id], actualMS: actual[$0.id]) }
    }

    private struct JSONReport: Encodable {
        let report: RunReport
        init(_ report: RunReport) { self.report = report }

        struct Windows: Encodable {
            var writesStopped: DowntimeFigures.Window?
            var readsStopped: DowntimeFigures.Window?
            var pointOfNoReturnAt: Date?
            enum CodingKeys: String, CodingKey {
                case writesStopped = "writes_stopped", readsStopped = "reads_stopped", pointOfNoReturnAt = "point_of_no_return_at"
            }
        }

        struct PredictionBlock: Encodable {
            var basedOn: String
            var basedOnRehearsal: Bool
            var writeMS: Int?
            var readMS: Int?
            var steps: [StepComparison]
            enum CodingKeys: String, CodingKey {
                case basedOn = "based_on", basedOnRehearsal = "based_on_rehearsal", writeMS = "write_ms", readMS = "read_ms", steps
            }
        }

        func encode(to encoder: Encoder) throws {
            try report.summary.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(report.summary.proof, forKey: Key("proof"))
            try container.encode(report.rehearsal, forKey: Key("rehearsal"))
            if let downtime = report.downtime {
                try container.encode(downtime, forKey: Key("downtime"))
            } else {
                // The run had no probe: nulls rather than invented figures.
                var downtime = container.nestedContainer(keyedBy: Key.self, forKey: Key("downtime"))
                for key in ["write_ms", "read_ms", "failed_transactions"] { try downtime.encodeNil(forKey: Key(key)) }
            }
            try container.encode(Windows(writesStopped: report.journalWriteWindow, readsStopped: report.journalReadWindow,
                                         pointOfNoReturnAt: report.pointOfNoReturnAt), forKey: Key("journal_windows"))
            if let prediction = report.prediction {
                try container.encode(PredictionBlock(basedOn: prediction.basedOn, basedOnRehearsal: prediction.basedOnRehearsal,
                                                     writeMS: prediction.writeMS, readMS: prediction.readMS,
                                                     steps: ReportWriter.comparisons(report)), forKey: Key("prediction"))
            } else {
                try container.encodeNil(forKey: Key("prediction"))
            }
        }
    }

    /// A Markdown report: outcome, downtime, every step on every host, predicted vs actual, verify.
    public static func markdown(_ report: RunReport) -> String {
        let summary = report.summary
        var lines = ["# Upshift run \(summary.run): \(summary.plan)\(report.rehearsal ? " (rehearsal)" : "")", "",
                     "- result: **\(summary.result)**" + (summary.reason.map { " — \($0)" } ?? ""),
                     "- plan sha256: `\(summary.planSHA256)`"]
        if let advice = summary.advice { lines.append("- **what to do**: \(advice)") }
        if let start = summary.startedAt { lines.append("- started: \(WireJSON.format(start))") }
        if let end = summary.finishedAt { lines.append("- finished: \(WireJSON.format(end))") }
        if let downtime = report.downtime {
            lines.append("- downtime clients saw (probe): \(downtime.headline)")
        } else {
            lines.append("- downtime clients saw: not measured (the run had no probe)")
        }
        if let window = report.journalWriteWindow {
            lines.append("- writes stopped per the journal: \(DowntimeFigures.seconds(window.ms)) (\(time(window.from)) to \(time(window.to)))")
        }
        lines += ["", "| step | host | status | started | duration | detail |", "|---|---|---|---|---|---|"]
        for step in summary.steps {
            let started = step.startedAt.map(time) ?? ""
            let duration = step.durationMS.map { DowntimeFigures.seconds($0) } ?? ""
            let detail = (step.error ?? step.progress ?? "").replacingOccurrences(of: "|", with: "\\|")
            lines.append("| \(step.id) | \(step.host) | \(step.status) | \(started) | \(duration) | \(detail) |")
        }
        if let prediction = report.prediction {
            lines += ["", "Predicted from \(prediction.basedOnRehearsal ? "rehearsal" : "run") \(prediction.basedOn):", "",
                      "| step | predicted | actual |", "|---|---|---|"]
            for row in comparisons(report) {
                lines.append("| \(row.id) | \(row.predictedMS.map(DowntimeFigures.seconds) ?? "—") | \(row.actualMS.map(DowntimeFigures.seconds) ?? "—") |")
            }
        }
        lines += ["", "Proof: \(summary.proof)."]
        if !summary.verify.isEmpty {
            let differing = summary.verify.filter { !$0.match }
            lines += ["", "Verify: \(summary.verify.count - differing.count) of \(summary.verify.count) table checks match the old cluster."]
            for row in differing { lines.append("- DIFFERS: \(row.table) on \(row.host): \(row.rowsOld) rows before, \(row.rowsNew) after") }
        }
        lines += replicationLines(summary.replication)
        return lines.joined(separator: "\n") + "\n"
    }

    /// The replication section: each slot before and after (with what the run did), publications, subscriptions.
    static func replicationLines(_ replication: RunSummary.Replication) -> [String] {
        guard let before = replication.before else { return [] }
        let after = replication.after
        var lines = ["", "Replication (old primary → new primary):"]
        if before.slots.isEmpty && after?.slots.isEmpty != false { lines.append("- no replication slots") }
        for slot in before.slots {
            let now = after?.slots.first { $0.name == slot.name }
            let then = "\(slot.kind.rawValue)" + (slot.plugin.map { ", \($0) in \(slot.database ?? "?")" } ?? "") + (slot.lsn.map { ", at \($0)" } ?? "")
            lines.append("- slot \(slot.name) (\(then)): " + (now?.action ?? (after == nil ? "the run did not reach the new primary" : "absent after the upgrade")))
        }
        for slot in after?.slots ?? [] where !before.slots.contains(where: { $0.name == slot.name }) {
            lines.append("- slot \(slot.name) (\(slot.kind.rawValue)): new on the new primary")
        }
        if !before.publications.isEmpty || after?.publications.isEmpty == false {
            lines.append("- publications before: \(before.publications.joined(separator: ", ")); after: \(after.map { $0.publications.joined(separator: ", ") } ?? "—")")
        }
        func subscriptions(_ shape: ReplicationShape?) -> String {
            shape.map { $0.subscriptions.map { "\($0.name) (\($0.enabled ? "enabled" : "disabled"), slot \($0.slot ?? "none"))" }.joined(separator: ", ") } ?? "—"
        }
        if !before.subscriptions.isEmpty || after?.subscriptions.isEmpty == false {
            lines.append("- subscriptions before: \(subscriptions(before)); after: \(subscriptions(after))")
        }
        return lines
    }

    static func time(_ date: Date) -> String { String(WireJSON.format(date).dropFirst(11)) }
}

struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
